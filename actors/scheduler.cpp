// The master's scheduler (scheduler.hpp).
//
// The scheduler is a cooperative actor: it decides, and never blocks. Every
// database call runs in the detached store worker (one at a time, in order)
// or in a detached mapper per job. Engines pull work with a long poll: an
// idle engine's request is held until a batch is available or the poll
// interval ends. State that must survive a crash is in the database before
// anything depends on it; the scheduler's memory is rebuilt from it at start.

#include "actors/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/mapper.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/planner.hpp"
#include "actors/planning/batch_json.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/output_planning.hpp"
#include "actors/protocol.hpp"
#include "actors/settings_message.hpp"
#include "actors/store_worker.hpp"
#include "storage/job_store.hpp"

namespace weft::actors {

using planning::job_options;
using planning::parse_job_options;
using planning::planned_after_merge;
using planning::scheduling_limits;
using planning::scheduling_policy;
using planning::to_json;
using planning::type_limits;

namespace {

using storage::job_state;
using storage::phase;
using namespace std::chrono_literals;

constexpr auto long_poll = 1s;  ///< an idle engine's request is answered within this
constexpr int64_t default_segment_cap = 10000;  ///< documents per output file by default

phase phase_of(engine_type t) { return t == engine_type::merge ? phase::merge : phase::weave; }

struct job_progress {
  int64_t records = 0;
  job_state state = job_state::queued;
  job_options options;
  std::set<int> remaining[2];  ///< batch numbers not yet done, by engine type
  /// Record ranges of the merge batches not yet done, by batch number.
  std::map<int, std::pair<int64_t, int64_t>> open_merge;
  /// The same ranges by first record (first -> last), for release_segments: rebuilt
  /// from open_merge when batches were added to it (its size differs), kept on removal.
  std::map<int64_t, int64_t> open_by_first;
  /// Weave segments held back until every merge batch they cover is done:
  /// weaving overlaps merging, so both kinds of engine work at once.
  std::vector<batch> held;
  // Merging overlaps mapping (issue 15): merge batches are cut over the records the
  // mapper has stored while it reads on (cut_stored), the rest when it is done.
  int64_t stored = 0;     ///< records the mapper reported stored
  int64_t cut = 0;        ///< records cut into merge batches so far (1..cut)
  int next_batch = 0;     ///< the number of the next merge batch cut
  int attempt_base = 0;   ///< this mapping's batches have attempts above it
  bool cutting = false;   ///< an add_batches request is out
  int64_t mapped = -1;    ///< the mapper's final count, kept while `cutting`
  int mapping_round = 0;  ///< a new mapping of the job ignores the old one's answers
};

struct watcher {
  caf::response_promise promise;
  uint64_t token = 0;  ///< of its max-wait timer; 0: none
};

/// An engine's long poll. The policy keeps the same engines waiting (with their slots)
/// and decides; every change of `waiting` is made in the policy too (wait/unwait).
struct waiting_engine {
  caf::response_promise promise;
  uint64_t token = 0;
  bool multi = false;  ///< answered (batches, json) (`take`) rather than (batch, …) (`want`)
};

struct scheduler_state {
  node_context ctx;
  scheduling_policy policy;
  caf::actor store;
  std::map<std::string, caf::actor> engines;
  std::map<caf::actor_addr, std::string> engine_by_addr;
  std::map<std::string, waiting_engine> waiting;
  uint64_t next_token = 0;
  std::map<int64_t, job_progress> jobs;
  /// The jobs that left `jobs` lately, oldest first (bounded): a queued-jobs scan read
  /// before one ended, or a submission told after the scan took it, must not start it again.
  std::deque<int64_t> ended;
  std::set<int64_t> ended_set;
  std::map<int64_t, std::vector<watcher>> watchers;
  /// What the logs last said about capacity, per engine type.
  std::string capacity_said[2];
  bool standby_warned[2] = {false, false};
  /// The topology plus what `set` changed (the inspector sends it).
  settings_ptr effective;
  /// New attempts sent to the database and not yet confirmed there: nothing is
  /// handed out meanwhile (scheduler::bump_attempts).
  int unconfirmed_attempts = 0;
  /// When the scheduler started, until it handed out its first batch (logged: the end of
  /// a take-over as a client sees it).
  std::optional<std::chrono::steady_clock::time_point> started;
  /// Whether the unfinished jobs have been loaded (load_unfinished). Until then a job the
  /// scheduler does not know may be one it is about to resume (after a take-over or a
  /// restart): a cancellation of it waits here, answered once they are loaded.
  bool loaded = false;
  std::vector<std::pair<int64_t, caf::response_promise>> cancels_before_load;
};

/// The reply type of a guarded handler: its own result<T>, or result<R>.
template <class R>
struct as_result {
  using type = caf::result<R>;
};
template <class T>
struct as_result<caf::result<T>> {
  using type = caf::result<T>;
};

/// The scheduler. Each message handler is one `on_…` member function; the
/// behaviour (make_behavior) only forwards to them.
class scheduler : public caf::event_based_actor {
 public:
  scheduler(caf::actor_config& cfg, node_context ctx, caf::actor store);

  const char* name() const override { return "scheduler"; }

  /// Foreign exit and down messages never reach the mailbox (admission.hpp).
  using caf::event_based_actor::enqueue;
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    if (ptr && foreign_system_message(this, *ptr, state_.ctx)) return;
    caf::event_based_actor::enqueue(std::move(ptr), eu);
  }

 protected:
  caf::behavior make_behavior() override;
  /// Drops every handle the scheduler holds (its store worker, the engines, the
  /// waiting promises) when it terminates. CAF 0.17 waits at shutdown until each
  /// detached actor is destroyed, and a terminated scheduler object that still
  /// held them kept the store worker and the engines alive: the node never
  /// stopped (a stateful actor's state is dropped here the same way).
  void on_exit() override {
    auto& s = state_;
    s.store = caf::actor{};
    s.engines.clear();
    s.engine_by_addr.clear();
    s.waiting.clear();
    s.watchers.clear();
    s.cancels_before_load.clear();
    s.jobs.clear();
    s.effective.reset();
  }

 private:
  // -- handlers (docs/protocol.md) --
  caf::result<bool> on_register(const std::string& id, caf::atom_value type,
                                const std::string& node, bool local, const caf::actor& engine);
  void on_want(const std::string& engine);
  void on_take(const std::string& engine, int32_t slots, int32_t holding,
               const std::string& finished_json);
  void on_done_and_want(const std::string& engine, int64_t job, caf::atom_value type,
                        int32_t batch_no, int32_t attempt, bool accepted);
  void on_poll_expired(const std::string& engine, uint64_t token);
  void on_node_lost(const std::string& node);
  bool on_drain(const std::string& node, bool on);
  void on_batch_failed(int64_t job, const std::string& reason);
  void on_submitted(int64_t job, const std::string& options_json, int64_t mapped_records);
  void on_remap(int64_t job, const std::string& options_json);
  void on_adopt();
  /// The job leaves the scheduler's memory; remembered for a while as ended.
  void forget(int64_t job);
  /// Whether the job is running here or ended lately.
  bool known(int64_t job) const;
  void on_mapping_failed(int64_t job, const std::string& reason);
  void on_mapping_interrupted(int64_t job, const std::string& reason);
  void on_planned(int64_t job, batch_rows_ptr segments);
  void on_plan_failed(int64_t job, const std::string& reason);
  void on_wait(int64_t job, int32_t max_ms);
  void hold(int64_t job, int32_t max_ms, caf::response_promise rp);
  void on_wait_expired(int64_t job, uint64_t token);
  void on_cancel(int64_t job);
  void cancel(int64_t job, caf::response_promise rp);
  void on_status(int64_t job);
  caf::result<std::string> on_inspect(const std::string& what);
  void on_apply(settings_ptr settings);
  void on_engine_down(const caf::down_msg& msg);

  /// Runs handler `f` for message `what`. An exception is logged with the
  /// message (sanitised, cut) and, for a handler with a reply, answered with
  /// an error: no message ends the scheduler.
  template <class F>
  auto guarded(const char* what, F&& f) {
    using returned = decltype(f());
    if constexpr (std::is_void_v<returned>) {
      if (!trusted_sender(this, *state_.ctx.peers, "scheduler")) return;
      try {
        f();
      } catch (const std::exception& e) {
        log_exception(what, e.what());
      }
    } else {
      using answer = typename as_result<returned>::type;
      if (!trusted_sender(this, *state_.ctx.peers, "scheduler"))
        return detail::refusal<answer>::none();
      try {
        return answer{f()};
      } catch (const std::exception& e) {
        log_exception(what, e.what());
        return answer{failure(std::string{"scheduler: cannot handle '"} + what + "': " + e.what())};
      }
    }
  }
  /// Logs an exception thrown by a handler, with the message it handled.
  void log_exception(const char* what, const char* why);
  /// Whether `job` is still being mapped (not cancelled or failed meanwhile).
  bool mapping(int64_t job) const;

  // -- the work behind them --
  /// Asks the store worker for the job's JSON and answers `rp` with it.
  void answer_status(caf::response_promise rp, int64_t job);
  void dispatch();
  void notify_watchers(int64_t job);
  void finish_job(int64_t job, job_state state, const std::string& error);
  void release_segments(int64_t job);
  void start_weaving(int64_t job, batch_rows_ptr planned = nullptr);
  void on_done(const std::string& engine, const batch& b, bool accepted);
  void on_mapped(int64_t job, int64_t records);
  void on_map_progress(int64_t job, int64_t stored, int32_t attempt_base);
  void cut_stored(int64_t job);
  void drop_cut_batches(int64_t job);
  void start_mapping(int64_t job);
  void resume(const storage::job_row& row);
  void requeued(const std::vector<batch>& batches, const std::string& why);
  /// Stores a batch's new attempt under the lease; no batch is handed out until
  /// the database confirmed every new attempt.
  void bump_attempts(attempt_updates_ptr updates);
  void send_attempts(attempt_updates_ptr updates);
  /// Fails `b`'s job when `b.attempt` is past `[jobs] max_attempts`; true if it did.
  bool out_of_attempts(const batch& b, const std::string& why);
  void report_capacity();
  std::string engines_json();
  std::string jobs_json();
  std::string capacity_json();
  void forget_engine(const std::string& id, const std::string& why);
  void load_unfinished();
  scheduler_state state_;
};

scheduling_limits limits_from(const config::settings& s) {
  scheduling_limits l;
  l.max_records_small = s.scheduler.max_records_small;
  l.min_records_large = s.scheduler.min_records_large;
  auto fill = [](type_limits& t, const config::engine_scheduling& e, int remote_default) {
    t.parallel_medium = e.parallel_medium;
    t.parallel_large = e.parallel_large;
    t.reserved[0] = e.reserved_small;
    t.reserved[1] = e.reserved_medium;
    t.reserved[2] = e.reserved_large;
    t.additional_engine_every = e.additional_engine_every;
    t.expected_remote = e.expected_remote.value_or(remote_default);
  };
  fill(l.merge, s.scheduler.merge, s.extension_merge_engines());
  fill(l.weaver, s.scheduler.weaver, s.extension_weaver_engines());
  return l;
}

/// The answer to a long poll that ends without a batch: ask again.
caf::error no_work() { return make_weft_error(weft_error::no_work, "no batch for now: ask again"); }

caf::message batch_message(const batch& b) {
  return caf::make_message(batch_atom::value, b.job_id, engine_type_atom(b.type),
                           static_cast<int32_t>(b.batch_no), static_cast<int32_t>(b.attempt),
                           b.first_seq, b.last_seq);
}

batch batch_of(const storage::batch_row& r) {
  batch b;
  b.job_id = r.job_id;
  b.type = r.phase == phase::merge ? engine_type::merge : engine_type::weaver;
  b.batch_no = r.batch_no;
  b.attempt = r.attempt;
  b.first_seq = r.first_seq;
  b.last_seq = r.last_seq;
  return b;
}

/// Hands batches to the engines whose long poll is waiting: in rounds, one batch to
/// each waiting engine per round, up to each one's slots, so that an engine that
/// prefetches does not take a second batch while another engine waits for its first.
/// The policy decides (scheduling_policy::dispatch) and looks only at the waiting
/// engines that can get something: an idle engine's re-ask while nothing changed costs
/// a lookup, not a walk over every waiting engine and every job (issue 15).
void scheduler::dispatch() {
  auto& st = state_;
  // A new attempt number is handed out only once the database holds it under this
  // master's lease: a master paused past its lease (SIGSTOP, a partition) must not
  // hand out an attempt its successor hands out too — both engines would write the
  // same content file and the refused one would delete the accepted one's file.
  if (st.unconfirmed_attempts > 0) return;
  if (st.waiting.empty()) return;
  // Handing out a batch writes nothing: the result is fenced by its attempt
  // when it is stored, and a restart gives every open batch a new attempt.
  for (const auto& [id, g] : st.policy.dispatch()) {
    auto w = st.waiting.find(id);
    // Cannot happen (both are changed together); the engine's next ask gets the
    // batches it holds again.
    if (w == st.waiting.end()) continue;
    if (w->second.multi)
      w->second.promise.deliver(batches_atom::value, planning::batches_to_json(g));
    else
      w->second.promise.deliver(batch_message(g.front()));
    st.waiting.erase(w);
    if (st.started) {
      spdlog::info(
          "first batch handed out {} ms after the scheduler started (job {} {} batch {} "
          "attempt {})",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                *st.started)
              .count(),
          g.front().job_id, to_string(g.front().type), g.front().batch_no, g.front().attempt);
      st.started.reset();
    }
  }
}

void scheduler::notify_watchers(int64_t job) {
  auto& st = state_;
  auto w = st.watchers.find(job);
  if (w == st.watchers.end()) return;
  auto promises = std::move(w->second);
  st.watchers.erase(w);
  for (auto& watching : promises) {
    answer_status(watching.promise, job);
  }
}

/// Ends a job: no more work is handed out for it at once; the job leaves the
/// scheduler's memory (and its watchers are answered) once its final state is
/// stored, so that nobody is told it is finished before it is.
void scheduler::finish_job(int64_t job, job_state state, const std::string& error) {
  auto& st = state_;
  // Its class before the policy forgets it (a job that failed before mapping counts as small).
  const std::string cls = to_string(st.policy.class_of(job));
  st.policy.remove_job(job);
  auto j = st.jobs.find(job);
  if (j != st.jobs.end()) {
    if (storage::finished(j->second.state)) return;  // already ending
    j->second.state = state;
  }
  request(st.store, caf::infinite, save_state_atom::value, job, state, error)
      .then(
          [=](bool) {
            forget(job);
            metrics::global()
                .counter_of("weft_jobs_finished_total",
                            "Jobs this master ended, by final state (done, failed, cancelled) "
                            "and class.",
                            {{"state", storage::to_string(state)}, {"class", cls}})
                .inc();
            if (state == job_state::failed)
              spdlog::warn("job {} failed: {}", job, sanitised(error));
            else
              spdlog::info("job {} {}", job, storage::to_string(state));
            notify_watchers(job);
          },
          [=](caf::error& err) {
            forget(job);
            spdlog::error("job {}: could not store state {}: {}", job, storage::to_string(state),
                          error_text(system(), err));
            notify_watchers(job);
          });
}

void scheduler::forget(int64_t job) {
  auto& st = state_;
  st.jobs.erase(job);
  if (!st.ended_set.insert(job).second) return;
  st.ended.push_back(job);
  constexpr std::size_t remembered = 4096;
  if (st.ended.size() > remembered) {
    st.ended_set.erase(st.ended.front());
    st.ended.pop_front();
  }
}

bool scheduler::known(int64_t job) const {
  return state_.jobs.count(job) > 0 || state_.ended_set.count(job) > 0;
}

/// Records from..to cut into consecutive ranges of `size`, as batches of phase `p`
/// numbered from `first_no`, each at attempt `attempt`.
std::vector<storage::batch_row> cut(int64_t job, phase p, int64_t from, int64_t to, int64_t size,
                                    int first_no = 0, int attempt = 1) {
  std::vector<storage::batch_row> out;
  int n = first_no;
  for (int64_t first = from; first <= to; first += size) {
    storage::batch_row r;
    r.job_id = job;
    r.phase = p;
    r.batch_no = n++;
    r.first_seq = first;
    r.last_seq = std::min(to, first + size - 1);
    r.attempt = attempt;
    out.push_back(r);
  }
  return out;
}

/// Output segments: consecutive record ranges of `split_every` documents (or
/// the default cap, which bounds a weaver's memory and lets weavers share a
/// job).
std::vector<storage::batch_row> plan_segments(int64_t job, int64_t records, int64_t split) {
  return cut(job, phase::weave, 1, records, split > 0 ? split : default_segment_cap);
}

/// Hands out the held weave segments whose merge batches are all done.
/// A merge batch covers records no other merge batch of its job covers (they are cut
/// from consecutive ranges), so the open range that starts last at or before a
/// segment's end is the only one that can reach into it: one lookup per segment
/// instead of a walk over every open merge batch (issue 15; that walk cost
/// O(segments x batches) per finished merge batch).
void scheduler::release_segments(int64_t job) {
  auto& st = state_;
  auto& jp = st.jobs[job];
  if (jp.held.empty()) return;
  if (jp.open_by_first.size() != jp.open_merge.size()) {
    jp.open_by_first.clear();
    for (const auto& [no, range] : jp.open_merge) jp.open_by_first[range.first] = range.second;
  }
  std::vector<batch> ready;
  for (auto i = jp.held.begin(); i != jp.held.end();) {
    bool covered = true;
    auto r = jp.open_by_first.upper_bound(i->last_seq);
    if (r != jp.open_by_first.begin() && std::prev(r)->second >= i->first_seq) covered = false;
    if (covered) {
      ready.push_back(*i);
      i = jp.held.erase(i);
    } else {
      ++i;
    }
  }
  if (!ready.empty()) st.policy.add_batches(ready);
}

/// Every merge batch is done: the job is weaving. Its segments either exist
/// since mapping ended (some may be woven already) or, for sorted and grouped
/// jobs, are `planned` now and stored with the state change.
void scheduler::start_weaving(int64_t job, batch_rows_ptr planned) {
  auto& st = state_;
  auto j = st.jobs.find(job);
  if (j == st.jobs.end() || storage::finished(j->second.state)) return;
  if (!planned && planned_after_merge(j->second.options)) {
    spawn_planner(system(), st.ctx, job, j->second.options, caf::actor{this});
    return;
  }
  auto segments =
      planned ? planned : batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>()};
  request(st.store, caf::infinite, save_weaving_atom::value, job, segments)
      .then(
          [=](bool) {
            auto& s = state_;
            auto jj = s.jobs.find(job);
            if (jj == s.jobs.end() || storage::finished(jj->second.state)) return;
            auto& jp = jj->second;
            jp.state = job_state::weaving;
            std::vector<batch> bs;
            for (const auto& r : *segments) {
              bs.push_back(batch_of(r));
              jp.remaining[1].insert(r.batch_no);
            }
            s.policy.add_batches(bs);
            release_segments(job);
            if (jp.remaining[1].empty())
              finish_job(job, job_state::done, "");
            else
              dispatch();
          },
          [=](caf::error& err) { finish_job(job, job_state::failed, error_text(system(), err)); });
}

/// An engine finished a batch (accepted: the database took its result; or
/// not: another attempt had already finished it).
void scheduler::on_done(const std::string& engine, const batch& b, bool accepted) {
  auto& st = state_;
  bool current = st.policy.complete(engine, b);
  if (!current && !accepted) return;  // a late result of an attempt nobody waits for
  auto j = st.jobs.find(b.job_id);
  if (j == st.jobs.end()) return;
  auto& jp = j->second;
  auto& remaining = jp.remaining[static_cast<int>(b.type)];
  if (remaining.erase(b.batch_no) == 0) return;
  if (b.type == engine_type::merge) {
    auto open = jp.open_merge.find(b.batch_no);
    if (open != jp.open_merge.end()) {
      auto f = jp.open_by_first.find(open->second.first);
      if (f != jp.open_by_first.end() && f->second == open->second.second)
        jp.open_by_first.erase(f);
      jp.open_merge.erase(open);
    }
    release_segments(b.job_id);
    if (remaining.empty() && jp.state == job_state::merging) start_weaving(b.job_id);
  } else if (remaining.empty() && jp.state == job_state::weaving) {
    finish_job(b.job_id, job_state::done, "");
  }
}

/// Enters stored merge batches as open in `jp` (not done yet, with their record ranges);
/// returns them for the policy's queue.
std::vector<batch> open_merge_batches(job_progress& jp,
                                      const std::vector<storage::batch_row>& rows) {
  std::vector<batch> bs;
  for (const auto& r : rows) {
    bs.push_back(batch_of(r));
    jp.remaining[0].insert(r.batch_no);
    jp.open_merge[r.batch_no] = {r.first_seq, r.last_seq};
  }
  return bs;
}

int64_t batch_size_for(const scheduler_state& st, int64_t job, int64_t records) {
  const auto& s = st.ctx.settings->scheduler;
  int64_t engines = std::max(1, st.policy.engines_allowed(job, engine_type::merge));
  int64_t wanted = engines * std::max(1, s.batches_per_engine);
  int64_t size = (records + wanted - 1) / wanted;
  return std::clamp<int64_t>(size, s.min_batch_size, s.max_batch_size);
}

void scheduler::on_mapped(int64_t job, int64_t records) {
  auto& st = state_;
  auto known_job = st.jobs.find(job);
  // Only a job being mapped (by a mapper, or at submission): one cancelled (or failed)
  // meanwhile is ended and forgotten, or ending; a planned one is not planned again.
  if (known_job == st.jobs.end() || known_job->second.state != job_state::mapping) return;
  auto& jp0 = known_job->second;
  if (jp0.cutting) {  // batches cut while mapping are being stored: after them
    jp0.mapped = records;
    return;
  }
  jp0.mapped = -1;
  const int64_t from = jp0.cut + 1;  // the records not cut while mapping
  const int first_no = jp0.next_batch;
  const int attempt = jp0.attempt_base + 1;
  const bool early = jp0.cut > 0;
  // A job whose batches were cut while mapping keeps its place in the order.
  st.policy.add_job(job, records, early);
  auto size = batch_size_for(st, job, records);
  batch_rows_ptr cbatches = std::make_shared<const std::vector<storage::batch_row>>(
      cut(job, phase::merge, from, records, size, first_no, attempt));
  std::string cls = to_string(st.policy.class_of(job));
  batch_rows_ptr segments = std::make_shared<const std::vector<storage::batch_row>>(
      planned_after_merge(jp0.options) ? std::vector<storage::batch_row>{}
                                       : plan_segments(job, records, jp0.options.split_every));
  const int round = jp0.mapping_round;
  request(st.store, caf::infinite, save_mapping_atom::value, job, records, cbatches, segments, cls)
      .then(
          [=](bool) {
            auto& s = state_;
            // Cancelled (or failed) while the plan was being stored: its end is being stored
            // after it; no batch of it is handed out.
            auto it = s.jobs.find(job);
            if (it == s.jobs.end() || storage::finished(it->second.state) ||
                it->second.mapping_round != round)
              return;
            auto& jp = it->second;
            jp.records = records;
            jp.state = job_state::merging;
            auto bs = open_merge_batches(jp, *cbatches);
            for (const auto& r : *segments) {
              jp.held.push_back(batch_of(r));
              jp.remaining[1].insert(r.batch_no);
            }
            s.policy.add_batches(bs);
            if (early)
              spdlog::info(
                  "job {}: {} records, {} class, {} merge batches of up to {} (records 1-{} in {} "
                  "batches cut while mapping)",
                  job, records, cls, bs.size() + static_cast<std::size_t>(first_no), size, from - 1,
                  first_no);
            else
              spdlog::info("job {}: {} records, {} class, {} merge batches of {}", job, records,
                           cls, bs.size(), size);
            // Batches cut while mapping may be done already: their segments go now, and
            // with every merge batch done the job weaves.
            release_segments(job);
            if (jp.remaining[0].empty())
              start_weaving(job);
            else
              dispatch();
          },
          [=](caf::error& err) { finish_job(job, job_state::failed, error_text(system(), err)); });
}

void scheduler::on_map_progress(int64_t job, int64_t stored, int32_t attempt_base) {
  auto j = state_.jobs.find(job);
  if (j == state_.jobs.end() || j->second.state != job_state::mapping) return;
  auto& jp = j->second;
  jp.attempt_base = std::max(jp.attempt_base, static_cast<int>(attempt_base));
  jp.stored = std::max(jp.stored, stored);
  cut_stored(job);
}

/// Cuts merge batches over the records the mapper has stored and not yet cut, whole
/// batches of the size the job would get with the records stored so far (the class
/// grows with them; the rest is cut when mapping ends). One store request at a time.
void scheduler::cut_stored(int64_t job) {
  auto& st = state_;
  auto j = st.jobs.find(job);
  if (j == st.jobs.end() || j->second.state != job_state::mapping || j->second.cutting) return;
  auto& jp = j->second;
  if (!st.effective->scheduler.merge_while_mapping || jp.stored - jp.cut <= 0) return;
  st.policy.add_job(job, jp.stored, /*keep_order=*/jp.cut > 0 || jp.next_batch > 0);
  const int64_t size = batch_size_for(st, job, jp.stored);
  const int64_t whole = (jp.stored - jp.cut) / size;
  // A batch for each engine the job may use at once, or none yet: cut one by one, the
  // first waiting engine (in id order) would take every batch and one node do the job.
  const int64_t group = std::max(1, st.policy.engines_allowed(job, engine_type::merge));
  if (whole < group) return;
  batch_rows_ptr rows = std::make_shared<const std::vector<storage::batch_row>>(
      cut(job, phase::merge, jp.cut + 1, jp.cut + whole * size, size, jp.next_batch,
          jp.attempt_base + 1));
  jp.cutting = true;
  // Taken as cut now (the next request starts after them); dropped again if not stored.
  jp.cut = rows->back().last_seq;
  jp.next_batch = rows->back().batch_no + 1;
  const int round = jp.mapping_round;
  request(st.store, caf::infinite, add_batches_atom::value, job, rows)
      .then(
          [=](bool) {
            auto& s = state_;
            auto it = s.jobs.find(job);
            if (it == s.jobs.end() || it->second.mapping_round != round) return;
            auto& p = it->second;
            p.cutting = false;
            if (storage::finished(p.state)) return;
            s.policy.add_batches(open_merge_batches(p, *rows));
            spdlog::debug("job {}: merge batches {}-{} (records {}-{}) cut while mapping", job,
                          rows->front().batch_no, rows->back().batch_no, rows->front().first_seq,
                          rows->back().last_seq);
            dispatch();
            if (p.mapped >= 0)
              on_mapped(job, p.mapped);
            else
              cut_stored(job);
          },
          [=](caf::error& err) {
            auto it = state_.jobs.find(job);
            if (it == state_.jobs.end() || it->second.mapping_round != round) return;
            auto& p = it->second;
            p.cutting = false;
            if (storage::finished(p.state)) return;
            // Not stored (the database is away, or the job no longer mapping): these
            // records are cut again, with the next progress or when mapping ends.
            p.cut = rows->front().first_seq - 1;
            p.next_batch = rows->front().batch_no;
            spdlog::warn(
                "job {}: merge batches cut while mapping are not stored ({}); cut again "
                "later",
                job, error_text(system(), err));
            if (p.mapped >= 0) on_mapped(job, p.mapped);
          });
}

/// Forgets the merge batches cut while a mapping ran (it was interrupted, or starts
/// again): the new mapping clears them in the database (reset_mapping) and cuts its
/// own with higher attempts, so an engine still running one of them is refused.
void scheduler::drop_cut_batches(int64_t job) {
  auto& st = state_;
  auto& jp = st.jobs[job];
  if (jp.next_batch > 0 || jp.cutting) st.policy.remove_job(job);
  jp.remaining[0].clear();
  jp.open_merge.clear();
  jp.open_by_first.clear();
  jp.stored = jp.cut = 0;
  jp.next_batch = 0;
  jp.cutting = false;
  jp.mapped = -1;
  ++jp.mapping_round;
}

void scheduler::start_mapping(int64_t job) {
  drop_cut_batches(job);
  state_.jobs[job].state = job_state::mapping;
  if (state_.ctx.start_mapper)
    state_.ctx.start_mapper(job);
  else
    spawn_mapper(system(), state_.ctx, job, caf::actor{this});
}

/// Resumes a job found unfinished in the database at start.
void scheduler::resume(const storage::job_row& row) {
  auto& st = state_;
  auto& entry = st.jobs[row.id];
  entry.records = row.record_count;
  entry.state = row.state;
  try {
    entry.options = parse_job_options(row.options_json);
  } catch (const std::exception& e) {
    finish_job(row.id, job_state::failed,
               std::string{"the job's options cannot be read: "} + e.what());
    return;
  }
  if (row.state == job_state::queued || row.state == job_state::mapping) {
    start_mapping(row.id);
    return;
  }
  st.policy.add_job(row.id, row.record_count);
  // Both phases' open batches come back: merge batches are queued; weave
  // segments are queued when the merge batches they cover are done.
  auto load = [=](phase p, auto next) {
    request(state_.store, caf::infinite, open_batches_atom::value, row.id, p)
        .then(
            [=](batch_rows_ptr open, int32_t, int32_t) {
              auto& s = state_;
              auto j = s.jobs.find(row.id);
              if (j == s.jobs.end()) return;
              auto& jp = j->second;
              std::vector<batch> bs;
              auto updates = std::make_shared<std::vector<storage::attempt_update>>();
              for (const auto& r : *open) {
                auto b = batch_of(r);
                // Any open batch may have been handed out before the restart and
                // its engine may still finish it: fence the old attempt. A batch
                // whose attempts are used up (its render may be what crashed the
                // master) fails the job instead of crashing it again.
                ++b.attempt;
                if (out_of_attempts(b, "the master restarted while the batch was open")) return;
                updates->push_back({b.job_id, p, b.batch_no, b.attempt});
                jp.remaining[p == phase::merge ? 0 : 1].insert(b.batch_no);
                if (p == phase::merge) jp.open_merge[b.batch_no] = {b.first_seq, b.last_seq};
                bs.push_back(b);
              }
              // The job's new attempts in one transaction (the store worker's group commit),
              // confirmed before anything is handed out.
              if (!updates->empty())
                bump_attempts(
                    attempt_updates_ptr{std::shared_ptr<const std::vector<storage::attempt_update>>(
                        std::move(updates))});
              if (p == phase::merge)
                s.policy.add_batches(bs);
              else
                jp.held.insert(jp.held.end(), bs.begin(), bs.end());
              next();
            },
            [=](caf::error& err) {
              // The database is away or answered only in part (a read cut short:
              // storage/short_read.hpp): forget the job and read the unfinished jobs
              // again in a second; its batches get new attempts then (fenced as now).
              spdlog::warn("job {}: cannot read its open {} batches (trying again in 1 s): {}",
                           row.id, storage::to_string(p), error_text(system(), err));
              state_.jobs.erase(row.id);
              state_.policy.remove_job(row.id);
              delayed_send(this, 1s, load_atom::value);
            });
  };
  load(phase::merge, [=] {
    load(phase::weave, [=] {
      auto& s = state_;
      auto j = s.jobs.find(row.id);
      if (j == s.jobs.end()) return;
      auto& jp = j->second;
      spdlog::info("job {} resumed while {}: {} merge and {} weave batches open", row.id,
                   storage::to_string(row.state), jp.remaining[0].size(), jp.remaining[1].size());
      if (jp.remaining[0].empty() && jp.state == job_state::merging) {
        start_weaving(row.id);
        return;
      }
      release_segments(row.id);
      if (jp.state == job_state::weaving && jp.remaining[1].empty())
        finish_job(row.id, job_state::done, "");
      dispatch();
    });
  });
}

/// Persists the new attempts of batches handed back (a lost engine or node):
/// from then on the old attempts' results are refused. A batch past
/// `max_attempts` fails its job instead (a job that kills its engines' nodes
/// must not be handed out for ever).
void scheduler::requeued(const std::vector<batch>& batches, const std::string& why) {
  // One message, one transaction for all of them (a lost node's running and prefetched
  // batches): the store worker's group commit.
  auto updates = std::make_shared<std::vector<storage::attempt_update>>();
  for (const auto& b : batches) {
    if (out_of_attempts(b, why)) continue;
    spdlog::info("job {} {} batch {} goes back to the queue as attempt {} ({})", b.job_id,
                 to_string(b.type), b.batch_no, b.attempt, sanitised(why));
    updates->push_back({b.job_id, phase_of(b.type), b.batch_no, b.attempt});
  }
  if (!updates->empty())
    bump_attempts(attempt_updates_ptr{
        std::shared_ptr<const std::vector<storage::attempt_update>>(std::move(updates))});
}

void scheduler::bump_attempts(attempt_updates_ptr updates) {
  ++state_.unconfirmed_attempts;
  send_attempts(std::move(updates));
}

// Until the database answers, dispatch() hands nothing out. A refusal by the
// fence (another master holds the lease) makes the node step down (the store
// worker reports it); any other failure (the database away) is tried again, so
// nothing is handed out under an attempt number the database does not hold.
void scheduler::send_attempts(attempt_updates_ptr updates) {
  request(state_.store, std::chrono::seconds(30), attempt_atom::value, updates)
      .then(
          [=](bool) {
            if (--state_.unconfirmed_attempts == 0) dispatch();
          },
          [=](caf::error& err) {
            const auto& first = updates->front();
            spdlog::warn(
                "scheduler: {} new attempts (first: job {} batch {} attempt {}) are not stored "
                "yet (trying again in 1 s; nothing is handed out meanwhile): {}",
                updates->size(), first.job_id, first.batch_no, first.attempt,
                error_text(system(), err));
            delayed_send(this, 1s, attempt_atom::value, updates);
          });
}

bool scheduler::out_of_attempts(const batch& b, const std::string& why) {
  const int max = state_.effective->jobs.max_attempts;
  if (b.attempt <= max) return false;
  finish_job(b.job_id, job_state::failed,
             std::string{to_string(b.type)} + " batch " + std::to_string(b.batch_no) +
                 " (records " + std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq) +
                 ") failed " + std::to_string(b.attempt - 1) + " attempts (jobs.max_attempts = " +
                 std::to_string(max) + "); last: " + sanitised(why, 500));
  return true;
}

/// Logs the expected-remote-engine totals when they change: degraded (fewer
/// registered than expected: jobs run on what exists) and standby (more: the
/// extra ones wait; warned once with the fix).
void scheduler::report_capacity() {
  auto& st = state_;
  for (auto type : {engine_type::merge, engine_type::weaver}) {
    auto t = static_cast<int>(type);
    auto c = st.policy.capacity(type);
    auto said = std::string{to_string(type)} + " " + std::to_string(c.registered_remote) + "/" +
                std::to_string(c.expected_remote) + " remote engines";
    if (said == st.capacity_said[t]) continue;
    st.capacity_said[t] = said;
    if (c.degraded())
      spdlog::warn("{}: degraded; jobs run on the {} engines that exist", said, c.active);
    else
      spdlog::info("{} ({} local, {} active, {} on standby)", said, c.local, c.active, c.standby);
    if (c.standby > 0 && !st.standby_warned[t]) {
      st.standby_warned[t] = true;
      spdlog::warn(
          "{}: {} remote {} engines registered but expected_remote is {}: {} on standby "
          "(they take over when an active engine is lost); set "
          "[scheduler.{}].expected_remote = {} to use them all",
          to_string(type), c.registered_remote, to_string(type), c.expected_remote, c.standby,
          to_string(type), c.registered_remote);
    }
  }
}

/// `engines` for the shell: every registered engine and what it does now.
std::string scheduler::engines_json() {
  auto& st = state_;
  auto out = nlohmann::json::array();
  for (const auto& [id, e] : st.policy.engines()) {
    nlohmann::json j{{"id", id},
                     {"type", to_string(e.type)},
                     {"node", e.node},
                     {"local", e.local},
                     {"state", e.standby         ? "standby"
                               : !e.held.empty() ? "busy"
                                                 : "idle"},
                     {"draining", st.policy.draining(e.node)},
                     {"batches_done", e.batches_done},
                     {"job", nullptr},
                     {"batch", nullptr},
                     {"attempt", nullptr},
                     {"held", e.held.size()}};
    if (!e.held.empty()) {  // the batch it runs; `held` counts the prefetched ones too
      j["job"] = e.held.front().job_id;
      j["batch"] = e.held.front().batch_no;
      j["attempt"] = e.held.front().attempt;
    }
    out.push_back(std::move(j));
  }
  return out.dump();
}

/// The live view of the running jobs for the shell: class (after any `set`),
/// engines granted now and allowed, batches queued and running, by job id.
std::string scheduler::jobs_json() {
  auto& st = state_;
  auto out = nlohmann::json::object();
  for (const auto& [id, j] : st.jobs) {
    if (!st.policy.has_job(id)) continue;
    nlohmann::json e{{"class", to_string(st.policy.class_of(id))}};
    for (auto type : {engine_type::merge, engine_type::weaver}) {
      e["engines"][to_string(type)] = st.policy.engines_granted(id, type);
      e["allowed"][to_string(type)] = st.policy.engines_allowed(id, type);
      e["queued"][to_string(type)] = st.policy.queued(id, type);
      e["running"][to_string(type)] = st.policy.running(id, type);
    }
    out[std::to_string(id)] = std::move(e);
  }
  return out.dump();
}

/// `capacity` for the shell: per engine type, the expected-remote totals.
std::string scheduler::capacity_json() {
  auto& st = state_;
  auto out = nlohmann::json::array();
  for (auto type : {engine_type::merge, engine_type::weaver}) {
    auto c = st.policy.capacity(type);
    const auto& cfg =
        type == engine_type::merge ? st.effective->scheduler.merge : st.effective->scheduler.weaver;
    auto sum = type == engine_type::merge ? st.effective->extension_merge_engines()
                                          : st.effective->extension_weaver_engines();
    out.push_back({{"type", to_string(type)},
                   {"local", c.local},
                   {"expected_remote", c.expected_remote},
                   {"expected_explicit", cfg.expected_remote.has_value()},
                   {"topology_remote", sum},
                   {"registered_remote", c.registered_remote},
                   {"active", c.active},
                   {"standby", c.standby},
                   {"degraded", c.degraded()}});
  }
  return out.dump();
}

/// Forgets an engine whose actor is gone or whose node is lost; `why` is
/// the error its batch (if any) fails with when it has no attempt left.
void scheduler::forget_engine(const std::string& id, const std::string& why) {
  auto& s = state_;
  auto e = s.engines.find(id);
  if (e == s.engines.end()) return;
  s.engine_by_addr.erase(e->second.address());
  s.engines.erase(e);
  s.waiting.erase(id);  // the policy forgets its wait with the engine
  requeued(s.policy.remove_engine(id), why);
}

/// Resumes every unfinished job, then looks for new queued ones every second.
/// While the database cannot be read, tries again every second.
void scheduler::load_unfinished() {
  request(state_.store, caf::infinite, load_atom::value)
      .then(
          [=](job_rows_ptr rows) {
            for (const auto& r : *rows)
              if (!state_.jobs.count(r.id)) resume(r);  // else submitted meanwhile
            state_.loaded = true;
            auto cancels = std::move(state_.cancels_before_load);
            state_.cancels_before_load.clear();
            for (auto& [job, rp] : cancels) cancel(job, rp);
            send(this, adopt_atom::value);
          },
          [=](caf::error& err) {
            spdlog::error("scheduler: cannot load unfinished jobs (trying again in 1 s): {}",
                          error_text(system(), err));
            delayed_send(this, 1s, load_atom::value);
          });
}

void scheduler::answer_status(caf::response_promise rp, int64_t job) {
  request(state_.store, caf::infinite, status_atom::value, job)
      .then([rp](std::string json) mutable { rp.deliver(std::move(json)); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

scheduler::scheduler(caf::actor_config& cfg, node_context ctx, caf::actor store)
    : caf::event_based_actor(cfg) {
  auto& st = state_;
  st.ctx = ctx;
  st.effective = std::make_shared<const config::settings>(*ctx.settings);
  st.policy.set_limits(limits_from(*ctx.settings));
  st.store = std::move(store);
  st.started = std::chrono::steady_clock::now();
}

caf::behavior scheduler::make_behavior() {
  auto& st = state_;
  const auto& ctx = st.ctx;
  link_to(st.store);
  harden(this, ctx, "scheduler");
  set_down_handler([this](caf::down_msg& msg) { on_engine_down(msg); });
  {
    auto note = [&](engine_type t, const std::optional<int>& explicit_total, int sum) {
      if (explicit_total && *explicit_total != sum)
        spdlog::info("{}: expected_remote = {} (the topology's extensions have {})", to_string(t),
                     *explicit_total, sum);
    };
    note(engine_type::merge, ctx.settings->scheduler.merge.expected_remote,
         ctx.settings->extension_merge_engines());
    note(engine_type::weaver, ctx.settings->scheduler.weaver.expected_remote,
         ctx.settings->extension_weaver_engines());
  }
  load_unfinished();
  return {
      // Each handler runs guarded: an exception is logged with the message and
      // answered with an error; it never ends the scheduler.
      [this](register_atom, const std::string& id, caf::atom_value type, const std::string& node,
             bool local, const caf::actor& engine) {
        return guarded("register", [&] { return on_register(id, type, node, local, engine); });
      },
      [this](want_atom, const std::string& engine) { guarded("want", [&] { on_want(engine); }); },
      [this](take_atom, const std::string& engine, int32_t slots, int32_t holding,
             const std::string& finished_json) {
        guarded("take", [&] { on_take(engine, slots, holding, finished_json); });
      },
      [this](done_atom, const std::string& engine, int64_t job, caf::atom_value type,
             int32_t batch_no, int32_t attempt, bool accepted) {
        guarded("done", [&] { on_done_and_want(engine, job, type, batch_no, attempt, accepted); });
      },
      [this](poll_atom, const std::string& engine, uint64_t token) {
        guarded("poll", [&] { on_poll_expired(engine, token); });
      },
      [this](lost_atom, const std::string& node) { guarded("lost", [&] { on_node_lost(node); }); },
      [this](drain_atom, const std::string& node, bool on) {
        return guarded("drain", [&] { return on_drain(node, on); });
      },
      [this](fail_atom, int64_t job, const std::string& reason) {
        guarded("fail", [&] { on_batch_failed(job, reason); });
      },
      [this](submitted_atom, int64_t job, const std::string& options_json, int64_t mapped) {
        guarded("submitted", [&] { on_submitted(job, options_json, mapped); });
      },
      [this](remap_atom, int64_t job, const std::string& options_json) {
        guarded("remap", [&] { on_remap(job, options_json); });
      },
      [this](load_atom) { guarded("load", [&] { load_unfinished(); }); },
      // New attempts the database did not confirm, tried again (send_attempts).
      [this](attempt_atom, attempt_updates_ptr updates) {
        // Only this scheduler's own retry: anyone else's would unbalance the count.
        if (caf::actor_cast<caf::actor_addr>(current_sender()) != address() || !updates ||
            updates->empty())
          return;
        guarded("attempt", [&] { send_attempts(updates); });
      },
      [this](adopt_atom) { guarded("adopt", [&] { on_adopt(); }); },
      [this](mapped_atom, int64_t job, int64_t records) {
        guarded("mapped", [&] { on_mapped(job, records); });
      },
      [this](map_progress_atom, int64_t job, int64_t stored, int32_t attempt_base) {
        guarded("map_progress", [&] { on_map_progress(job, stored, attempt_base); });
      },
      [this](map_failed_atom, int64_t job, const std::string& reason) {
        guarded("map_failed", [&] { on_mapping_failed(job, reason); });
      },
      [this](map_retry_atom, int64_t job, const std::string& reason) {
        guarded("map_retry", [&] { on_mapping_interrupted(job, reason); });
      },
      [this](planned_atom, int64_t job, batch_rows_ptr segments) {
        guarded("planned", [&] { on_planned(job, std::move(segments)); });
      },
      [this](plan_failed_atom, int64_t job, const std::string& reason) {
        guarded("plan_failed", [&] { on_plan_failed(job, reason); });
      },
      [this](wait_atom, int64_t job, int32_t max_ms) {
        guarded("wait", [&] { on_wait(job, max_ms); });
      },
      [this](wait_atom, int64_t job, uint64_t token) {
        guarded("wait", [&] { on_wait_expired(job, token); });
      },
      [this](cancel_atom, int64_t job) { guarded("cancel", [&] { on_cancel(job); }); },
      [this](status_atom, int64_t job) { guarded("status", [&] { on_status(job); }); },
      [this](inspect_atom) { return static_cast<int64_t>(mailbox().size()); },
      [this](inspect_atom, const std::string& what) {
        return guarded("inspect", [&] { return on_inspect(what); });
      },
      [this](apply_atom, settings_ptr settings) {
        guarded("apply", [&] { on_apply(std::move(settings)); });
      },
  };
}

void scheduler::log_exception(const char* what, const char* why) {
  const auto* msg = current_mailbox_element();
  spdlog::error("scheduler: message '{}' refused ({}): {}", what, sanitised(why),
                msg ? sanitised(to_string(msg->content())) : std::string{"?"});
}

void scheduler::on_engine_down(const caf::down_msg& msg) {
  auto& s = state_;
  auto e = s.engine_by_addr.find(msg.source);
  if (e == s.engine_by_addr.end()) return;
  auto id = e->second;
  auto why = "engine " + id + " is gone: " + error_text(system(), msg.reason);
  spdlog::warn("{}", sanitised(why));
  forget_engine(id, why);
  report_capacity();
  dispatch();
}

caf::result<bool> scheduler::on_register(const std::string& id, caf::atom_value type_atom,
                                         const std::string& node, bool local,
                                         const caf::actor& engine) {
  auto& s = state_;
  const auto type = engine_type_of(type_atom);
  if (!type) return refused("engine " + sanitised(id) + ": unknown engine type");
  // Registering again (after a rejoin) replaces the old one.
  forget_engine(id, "engine " + id + " registered again while running it");
  s.policy.add_engine(id, *type, node, local);
  s.engines[id] = engine;
  s.engine_by_addr[engine.address()] = id;
  monitor(engine);
  bool standby = s.policy.engines().at(id).standby;
  send(s.store, register_atom::value, id, node, std::string{to_string(*type)},
       std::string{standby ? "standby" : "idle"});
  spdlog::debug("engine {} registered{}", sanitised(id), standby ? " (standby)" : "");
  report_capacity();
  dispatch();
  return true;
}

void scheduler::on_done_and_want(const std::string& engine, int64_t job, caf::atom_value type_atom,
                                 int32_t batch_no, int32_t attempt, bool accepted) {
  auto& s = state_;
  const auto type = engine_type_of(type_atom);
  if (!s.engines.count(engine) || !type) {
    make_response_promise().deliver(
        !type ? refused("done: unknown engine type")
              : failure("unknown engine " + sanitised(engine) + ": register first"));
    return;
  }
  batch b;
  b.job_id = job;
  b.type = *type;
  b.batch_no = batch_no;
  b.attempt = attempt;
  on_done(engine, b, accepted);
  on_want(engine);
}

void scheduler::on_want(const std::string& engine) {
  auto& s = state_;
  auto rp = make_response_promise();
  if (!s.engines.count(engine)) {
    rp.deliver(failure("unknown engine " + sanitised(engine) + ": register first"));
    return;
  }
  auto old = s.waiting.find(engine);
  if (old != s.waiting.end()) {
    old->second.promise.deliver(no_work());
    s.waiting.erase(old);
    s.policy.unwait(engine);
  }
  auto token = ++s.next_token;
  s.waiting[engine] = waiting_engine{rp, token};
  s.policy.wait(engine, 1, false);
  dispatch();
  if (s.waiting.count(engine)) delayed_send(this, long_poll, poll_atom::value, engine, token);
}

// Prefetch (issue 15): the engine reports what it finished, says how many batches it
// still holds, and asks for up to `slots` more; the scheduler caps what one engine
// holds at `[scheduler] prefetch`.
void scheduler::on_take(const std::string& engine, int32_t slots, int32_t holding,
                        const std::string& finished_json) {
  auto& s = state_;
  auto rp = make_response_promise();
  if (!s.engines.count(engine)) {
    rp.deliver(failure("unknown engine " + sanitised(engine) + ": register first"));
    return;
  }
  std::vector<planning::finished_batch> finished;
  try {
    if (slots < 0 || holding < 0) throw std::invalid_argument("negative slots or holding");
    finished = planning::finished_from_json(finished_json);
  } catch (const std::exception& e) {
    rp.deliver(refused("take from " + sanitised(engine) + ": " + e.what()));
    return;
  }
  for (const auto& f : finished) on_done(engine, f.b, f.accepted);
  auto old = s.waiting.find(engine);
  if (old != s.waiting.end()) {
    old->second.promise.deliver(no_work());
    s.waiting.erase(old);
    s.policy.unwait(engine);
  }
  // The engine holds fewer batches than it was given: an answer was lost on the way.
  // The newest ones (those that answer carried) go to it again, same attempt: their
  // results are fenced in the database, so running one twice is harmless.
  const auto& held = s.policy.held(engine);
  if (held.size() > static_cast<std::size_t>(holding)) {
    std::vector<batch> again(held.begin() + holding, held.end());
    rp.deliver(batches_atom::value, planning::batches_to_json(again));
    return;
  }
  const int cap = std::max(1, s.effective->scheduler.prefetch) - static_cast<int>(held.size());
  const int n = std::min<int>(slots, cap);
  if (n <= 0) {
    rp.deliver(no_work());
    return;
  }
  auto token = ++s.next_token;
  s.waiting[engine] = waiting_engine{rp, token, true};
  s.policy.wait(engine, n, true);
  dispatch();
  auto w = s.waiting.find(engine);
  if (w == s.waiting.end()) return;
  // An engine with work is answered at once (it asks again when its next batch is
  // done); an idle one waits in a long poll.
  if (holding > 0 || !s.policy.held(engine).empty()) {
    w->second.promise.deliver(no_work());
    s.waiting.erase(w);
    s.policy.unwait(engine);
    return;
  }
  delayed_send(this, long_poll, poll_atom::value, engine, token);
}

void scheduler::on_poll_expired(const std::string& engine, uint64_t token) {
  auto& s = state_;
  auto w = s.waiting.find(engine);
  if (w == s.waiting.end() || w->second.token != token) return;
  w->second.promise.deliver(no_work());
  s.waiting.erase(w);
  s.policy.unwait(engine);
}

void scheduler::on_node_lost(const std::string& node) {
  auto& s = state_;
  std::vector<std::string> gone;
  for (const auto& [id, e] : s.policy.engines())
    if (e.node == node) gone.push_back(id);
  for (const auto& id : gone) {
    auto e = s.engines.find(id);
    if (e != s.engines.end()) {
      demonitor(e->second);
      s.engine_by_addr.erase(e->second.address());
      s.engines.erase(e);
    }
    s.waiting.erase(id);
    s.policy.unwait(id);
  }
  requeued(s.policy.remove_node(node), "node " + node + " was lost while running it");
  send(s.store, lost_atom::value, node);
  report_capacity();
  dispatch();
}

bool scheduler::on_drain(const std::string& node, bool on) {
  state_.policy.set_draining(node, on);
  spdlog::info("node '{}' {}", sanitised(node), on ? "draining: no new work" : "undrained");
  if (!on) dispatch();
  return true;
}

void scheduler::on_batch_failed(int64_t job, const std::string& reason) {
  finish_job(job, job_state::failed, reason);
}

void scheduler::on_submitted(int64_t job, const std::string& options_json, int64_t mapped_records) {
  // Adopted already by the scan for queued jobs (submitted on an extension), or ended.
  if (known(job)) return;
  // Parsed before the job is entered: malformed options leave no trace here
  // (guarded() logs them); the row stays queued and fails when adopted.
  auto options = parse_job_options(options_json);
  state_.jobs[job].options = std::move(options);
  if (mapped_records > 0) {
    // Its records were stored with the row (a small data file, planning::map_inline): no
    // mapper, planned as after a mapper's report. Until the plan is stored the row is
    // queued with its records: a master that resumes or adopts it maps it again (the
    // mapper starts by removing what a mapping left).
    state_.jobs[job].state = job_state::mapping;
    on_mapped(job, mapped_records);
    return;
  }
  start_mapping(job);
}

// Mapping was interrupted (the database was away): map again.
void scheduler::on_remap(int64_t job, const std::string& options_json) {
  if (!mapping(job)) return;
  state_.jobs[job].options = parse_job_options(options_json);
  start_mapping(job);
}

// Jobs submitted on an extension are rows in the database only: adopt the
// queued jobs this scheduler does not know, every second.
void scheduler::on_adopt() {
  request(state_.store, caf::infinite, adopt_atom::value)
      .then(
          [this](job_rows_ptr rows) {
            for (const auto& r : *rows)
              // A row without paths is still being created by its session (the paths
              // are set right after the row): taking it now would map no file.
              if (!known(r.id) && !r.data_path.empty()) {
                spdlog::info("job {} submitted on another node: taken", r.id);
                resume(r);
              }
            delayed_send(this, 1s, adopt_atom::value);
          },
          [this](caf::error& err) {
            spdlog::warn("scheduler: cannot look for queued jobs: {}", error_text(system(), err));
            delayed_send(this, 1s, adopt_atom::value);
          });
}

bool scheduler::mapping(int64_t job) const {
  auto j = state_.jobs.find(job);
  return j != state_.jobs.end() && !storage::finished(j->second.state);  // else cancelled
}

void scheduler::on_mapping_failed(int64_t job, const std::string& reason) {
  if (mapping(job)) finish_job(job, job_state::failed, reason);
}

void scheduler::on_mapping_interrupted(int64_t job, const std::string& reason) {
  if (!mapping(job)) return;
  spdlog::warn("job {}: mapping interrupted ({}); retrying", job, sanitised(reason));
  drop_cut_batches(job);
  delayed_send(this, 1s, remap_atom::value, job, to_json(state_.jobs[job].options));
}

void scheduler::on_planned(int64_t job, batch_rows_ptr segments) {
  if (!segments) segments = std::make_shared<const std::vector<storage::batch_row>>();
  start_weaving(job, segments);
}

void scheduler::on_plan_failed(int64_t job, const std::string& reason) {
  finish_job(job, job_state::failed, "planning the outputs: " + reason);
}

// Answers with the job's JSON when it is finished, or after `max_ms` with its
// current state, whichever comes first.
void scheduler::on_wait(int64_t job, int32_t max_ms) {
  auto rp = make_response_promise();
  if (state_.jobs.count(job)) {
    hold(job, max_ms, rp);
    return;
  }
  // Not held here: finished (answered at once), unknown (answered at once), or not yet
  // adopted — queued on another node, or about to be resumed — and then held as well, so
  // that a waiting client is answered when it ends, not at once and again and again.
  request(state_.store, caf::infinite, status_atom::value, job)
      .then(
          [=](std::string json) mutable {
            auto parsed = nlohmann::json::parse(json, nullptr, false);
            std::string state = parsed.is_object() ? parsed.value("state", "") : "";
            bool open =
                !state.empty() && state != "done" && state != "failed" && state != "cancelled";
            if (state_.jobs.count(job) || open)
              hold(job, max_ms, rp);
            else
              rp.deliver(std::move(json));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// Answers `rp` when `job` ends (finish_job) or after `max_ms` (its state then).
void scheduler::hold(int64_t job, int32_t max_ms, caf::response_promise rp) {
  auto& s = state_;
  auto token = ++s.next_token;
  s.watchers[job].push_back(watcher{rp, token});
  delayed_send(this, std::chrono::milliseconds(std::max(1, max_ms)), wait_atom::value, job, token);
}

void scheduler::on_wait_expired(int64_t job, uint64_t token) {
  auto& s = state_;
  auto w = s.watchers.find(job);
  if (w == s.watchers.end()) return;
  auto& list = w->second;
  for (auto i = list.begin(); i != list.end(); ++i) {
    if (i->token != token) continue;
    auto rp = i->promise;
    list.erase(i);
    if (list.empty()) s.watchers.erase(w);
    answer_status(rp, job);
    break;
  }
}

void scheduler::on_cancel(int64_t job) {
  auto rp = make_response_promise();
  if (!state_.loaded) {
    state_.cancels_before_load.emplace_back(job, rp);
    return;
  }
  cancel(job, rp);
}

void scheduler::cancel(int64_t job, caf::response_promise rp) {
  if (state_.jobs.count(job)) {
    state_.watchers[job].push_back(watcher{rp, 0});
    finish_job(job, job_state::cancelled, "cancelled by request");
    return;
  }
  answer_status(rp, job);
}

void scheduler::on_status(int64_t job) { answer_status(make_response_promise(), job); }

caf::result<std::string> scheduler::on_inspect(const std::string& what) {
  if (what == "engines") return engines_json();
  if (what == "capacity") return capacity_json();
  if (what == "jobs") return jobs_json();
  return failure("scheduler: nothing to inspect as '" + what + "'");
}

// The effective settings changed (`set`): new limits at once; running jobs are
// reclassified by the policy, and what they may use from now on follows.
void scheduler::on_apply(settings_ptr settings) {
  auto& s = state_;
  if (!settings) return;
  s.effective = std::move(settings);
  s.policy.set_limits(limits_from(*s.effective));
  s.capacity_said[0].clear();
  s.capacity_said[1].clear();
  spdlog::info("scheduler: settings changed; limits applied to the running jobs");
  report_capacity();
  dispatch();
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& sys, const node_context& ctx,
                           const caf::actor& store) {
  return sys.spawn<scheduler>(ctx, store);
}

}  // namespace weft::actors
