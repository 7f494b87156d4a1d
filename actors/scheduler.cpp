// The master's scheduler, its store worker and the job mapper.
//
// The scheduler is a cooperative actor: it decides, and never blocks. Every
// database call runs in the detached store worker (one at a time, in order)
// or in a detached mapper per job. Engines pull work with a long poll: an
// idle engine's request is held until a batch is available or the poll
// interval ends. State that must survive a crash is in the database before
// anything depends on it; the scheduler's memory is rebuilt from it at start.

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/field_usage.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/output_planning.hpp"
#include "actors/protocol.hpp"
#include "actors/settings_message.hpp"
#include "storage/cluster_store.hpp"
#include "storage/job_store.hpp"
#include "storage/storage_error.hpp"

namespace weft::actors {

using planning::job_json;
using planning::job_options;
using planning::key_writer;
using planning::parse_job_options;
using planning::plan_outputs;
using planning::planned_after_merge;
using planning::scheduling_limits;
using planning::scheduling_policy;
using planning::to_json;
using planning::type_limits;
/// Local-only payloads between the scheduler and its store worker.
using job_rows_ptr = std::shared_ptr<const std::vector<storage::job_row>>;
using batch_rows_ptr = std::shared_ptr<const std::vector<storage::batch_row>>;
}  // namespace weft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::job_rows_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::batch_rows_ptr)

namespace weft::actors {

namespace {

using storage::job_state;
using storage::phase;
using namespace std::chrono_literals;

constexpr auto long_poll = 1s;  ///< an idle engine's request is answered within this
constexpr int64_t default_segment_cap = 10000;  ///< documents per output file by default
constexpr std::size_t mapping_chunk = 1000;     ///< records per insert transaction

caf::error fail(const std::string& what) { return failure(what); }

phase phase_of(engine_type t) { return t == engine_type::merge ? phase::merge : phase::weave; }

// -- the store worker ----------------------------------------------------------

/// Runs the scheduler's database work, one request at a time, off the
/// cooperative threads. Storage errors become CAF errors carrying the text.
caf::behavior store_worker(caf::event_based_actor* self, node_context ctx) {
  auto store = std::make_shared<storage::job_store>(*ctx.db);
  // Never let a stray message or error end the worker (and, linked, the scheduler).
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        spdlog::error("scheduler store: unexpected message {}", to_string(x.content()));
        return caf::message{};
      });
  self->set_error_handler(
      [](caf::error& err) { spdlog::error("scheduler store: error {}", caf::to_string(err)); });
  auto guarded = [](auto&& f) -> caf::result<caf::message> {
    try {
      return f();
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  };
  return {
      // Queued jobs (the scheduler adopts those submitted on an extension).
      [=](adopt_atom) {
        return guarded([&] {
          auto rows = store->jobs(job_state::queued, 1000);
          return caf::make_message(
              job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>(rows)});
        });
      },
      // Unfinished jobs, with their open batches, for the restart.
      [=](load_atom) {
        return guarded([&] {
          auto rows = store->unfinished_jobs();
          return caf::make_message(
              job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>(rows)});
        });
      },
      [=](load_atom, int64_t job, int32_t p) {
        return guarded([&] {
          auto open = store->open_batches(job, static_cast<phase>(p));
          auto progress = store->progress(job, static_cast<phase>(p));
          return caf::make_message(
              batch_rows_ptr{
                  std::make_shared<const std::vector<storage::batch_row>>(std::move(open))},
              int32_t{progress.first}, int32_t{progress.second});
        });
      },
      [=](finish_atom, int64_t job, int64_t records, batch_rows_ptr batches,
          batch_rows_ptr segments, std::string job_class) {
        return guarded([&] {
          store->finish_mapping(job, records, *batches, *segments);
          store->set_class(job, job_class, "");
          return caf::make_message(true);
        });
      },
      [=](plan_atom, int64_t job, batch_rows_ptr segs) {
        return guarded([&] {
          store->start_weaving(job, *segs);
          return caf::make_message(true);
        });
      },
      [=](finish_atom, int64_t job, int32_t state, std::string error) {
        return guarded([&] {
          bool moved = store->set_state(job, static_cast<job_state>(state), error);
          return caf::make_message(moved);
        });
      },
      // Sent, not requested: nothing answers. A failure is logged; the fence
      // (attempt <= current) keeps exactly-once even if the bump is late or lost.
      [=](attempt_atom, int64_t job, int32_t p, int32_t batch_no, int32_t attempt) {
        try {
          store->set_attempt(job, static_cast<phase>(p), batch_no, attempt);
        } catch (const std::exception& e) {
          spdlog::warn("scheduler: could not store attempt {} of job {} batch {}: {}", attempt, job,
                       batch_no, e.what());
        }
      },
      [=](status_atom, int64_t job) {
        return guarded([&] { return caf::make_message(job_json(*store, job)); });
      },
      // The engines table: informative (the shell shows it), never fatal.
      [=](register_atom, const std::string& id, const std::string& node, const std::string& type,
          const std::string& state) {
        try {
          storage::cluster_store(*ctx.db).engine_registered({id, node, type, state, 0});
        } catch (const std::exception& e) {
          spdlog::warn("scheduler: cannot store engine {}: {}", id, e.what());
        }
      },
      // A node's engines are lost. Written here, after their registrations, so that a
      // node lost right after it joined cannot end up shown with idle engines.
      [=](lost_atom, const std::string& node) {
        try {
          storage::cluster_store(*ctx.db).set_node_engines_state(node, "lost");
        } catch (const std::exception& e) {
          spdlog::warn("scheduler: cannot store the engines of node {} as lost: {}", node,
                       e.what());
        }
      },
  };
}

// -- the mapper ----------------------------------------------------------------

/// Streams a job's data file into `records` in chunks, then tells the
/// scheduler how many records there are. Detached: it blocks on the file and
/// the database. A malformed row fails the job with its row number.
void mapper(caf::blocking_actor* self, node_context ctx, int64_t job_id, caf::actor scheduler) {
  storage::job_store store(*ctx.db);
  try {
    auto job = store.job(job_id);
    if (storage::finished(job.state)) return;
    store.reset_mapping(job_id);
    store.set_state(job_id, job_state::mapping);
    auto format = document::parse_data_format(job.data_format);
    document::reader_options options;
    options.source_name = std::filesystem::path(job.data_path).filename().string();
    options.data = document::data_options_of_job(job.options_json);
    auto reader = document::open_record_reader(job.data_path, format, options);
    document::field_usage usage(document::fields_of_template(job.template_path),
                                options.data.strict);
    auto job_opts = parse_job_options(job.options_json);
    std::optional<key_writer> keys;
    if (planned_after_merge(job_opts))
      keys.emplace(ctx.files_root(), job_id, job_opts, options.source_name);
    std::vector<storage::record_row> chunk;
    // Stopping the node stops mapping between chunks; the job stays in
    // `mapping` and starts over when the master starts again.
    chunk.reserve(mapping_chunk);
    document::record r;
    int64_t count = 0;
    while (reader->next(r)) {
      ++count;
      usage.add(r, options.source_name);
      if (keys) keys->add(count, r);
      chunk.push_back({count, r.text.empty() ? r.value.dump() : std::move(r.text)});
      if (chunk.size() == mapping_chunk) {
        if (ctx.stopping->load()) return;
        store.insert_records(job_id, chunk);
        chunk.clear();
      }
    }
    if (!chunk.empty()) store.insert_records(job_id, chunk);
    if (keys) keys->finish();
    if (count == 0) throw document::data_error(options.source_name, 0, 0, "no records");
    auto report = document::mapping_report(reader->describe(), usage);
    spdlog::info("job {}: {}: {}", job_id, options.source_name, reader->describe());
    for (const auto& line : report["warnings"])
      spdlog::warn("job {}: {}", job_id, line.get<std::string>());
    store.set_mapping_report(job_id, report.dump());
    self->send(scheduler, mapped_atom::value, job_id, count, std::string{});
  } catch (const document::data_error& e) {
    self->send(scheduler, mapped_atom::value, job_id, int64_t{-1}, std::string{e.what()});
  } catch (const storage::storage_error& e) {
    // The database is down: leave the job as it is; the scheduler retries.
    self->send(scheduler, mapped_atom::value, job_id, int64_t{-2}, std::string{e.what()});
  } catch (const std::exception& e) {
    self->send(scheduler, mapped_atom::value, job_id, int64_t{-1}, std::string{e.what()});
  }
}

/// Plans the outputs of a sorted or grouped job once all its records are
/// merged (detached: it reads the job's keys file).
void planner(caf::blocking_actor* self, node_context ctx, int64_t job_id, job_options options,
             caf::actor scheduler) {
  try {
    auto rows = plan_outputs(ctx.files_root(), job_id, options);
    self->send(scheduler, plan_atom::value, job_id,
               batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>(rows)},
               std::string{});
  } catch (const std::exception& e) {
    self->send(scheduler, plan_atom::value, job_id, batch_rows_ptr{}, std::string{e.what()});
  }
}

// -- the scheduler -------------------------------------------------------------

struct job_progress {
  int64_t records = 0;
  job_state state = job_state::queued;
  job_options options;
  std::set<int> remaining[2];  ///< batch numbers not yet done, by engine type
  /// Record ranges of the merge batches not yet done, by batch number.
  std::map<int, std::pair<int64_t, int64_t>> open_merge;
  /// Weave segments held back until every merge batch they cover is done:
  /// weaving overlaps merging, so both kinds of engine work at once.
  std::vector<batch> held;
};

struct watcher {
  caf::response_promise promise;
  uint64_t token = 0;  ///< of its max-wait timer; 0: none
};

struct waiting_engine {
  caf::response_promise promise;
  uint64_t token = 0;
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
  std::map<int64_t, std::vector<watcher>> watchers;
  /// What the logs last said about capacity, per engine type.
  std::string capacity_said[2];
  bool standby_warned[2] = {false, false};
  /// The topology plus what `set` changed (the inspector sends it).
  settings_ptr effective;
  static inline const char* name = "scheduler";
};

using scheduler_actor = caf::stateful_actor<scheduler_state>;

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

caf::message batch_message(const batch& b) {
  return caf::make_message(batch_atom::value, b.job_id, static_cast<int32_t>(b.type),
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

/// Hands batches to the engines whose long poll is waiting.
void dispatch(scheduler_actor* self) {
  auto& st = self->state;
  for (auto i = st.waiting.begin(); i != st.waiting.end();) {
    auto b = st.policy.next_for(i->first);
    if (!b) {
      ++i;
      continue;
    }
    // Handing out a batch writes nothing: the result is fenced by its attempt
    // when it is stored, and a restart gives every open batch a new attempt.
    i->second.promise.deliver(batch_message(*b));
    i = st.waiting.erase(i);
  }
}

void notify_watchers(scheduler_actor* self, int64_t job) {
  auto& st = self->state;
  auto w = st.watchers.find(job);
  if (w == st.watchers.end()) return;
  auto promises = std::move(w->second);
  st.watchers.erase(w);
  for (auto& watching : promises) {
    auto rp = watching.promise;
    self->request(st.store, caf::infinite, status_atom::value, job)
        .then([rp](std::string json) mutable { rp.deliver(std::move(json)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  }
}

/// Ends a job: no more work is handed out for it at once; the job leaves the
/// scheduler's memory (and its watchers are answered) once its final state is
/// stored, so that nobody is told it is finished before it is.
void finish_job(scheduler_actor* self, int64_t job, job_state state, const std::string& error) {
  auto& st = self->state;
  st.policy.remove_job(job);
  auto j = st.jobs.find(job);
  if (j != st.jobs.end()) {
    if (storage::finished(j->second.state)) return;  // already ending
    j->second.state = state;
  }
  self->request(st.store, caf::infinite, finish_atom::value, job, static_cast<int32_t>(state),
                error)
      .then(
          [=](bool) {
            self->state.jobs.erase(job);
            if (state == job_state::failed)
              spdlog::warn("job {} failed: {}", job, error);
            else
              spdlog::info("job {} {}", job, storage::to_string(state));
            notify_watchers(self, job);
          },
          [=](caf::error& err) {
            self->state.jobs.erase(job);
            spdlog::error("job {}: could not store state {}: {}", job, storage::to_string(state),
                          error_text(self->system(), err));
            notify_watchers(self, job);
          });
}

/// Records 1..records cut into consecutive ranges of `size`, as batches of phase `p`.
std::vector<storage::batch_row> cut(int64_t job, phase p, int64_t records, int64_t size) {
  std::vector<storage::batch_row> out;
  int n = 0;
  for (int64_t first = 1; first <= records; first += size) {
    storage::batch_row r;
    r.job_id = job;
    r.phase = p;
    r.batch_no = n++;
    r.first_seq = first;
    r.last_seq = std::min(records, first + size - 1);
    r.attempt = 1;
    out.push_back(r);
  }
  return out;
}

/// Output segments: consecutive record ranges of `split_every` documents (or
/// the default cap, which bounds a weaver's memory and lets weavers share a
/// job).
std::vector<storage::batch_row> plan_segments(int64_t job, int64_t records, int64_t split) {
  return cut(job, phase::weave, records, split > 0 ? split : default_segment_cap);
}

/// Hands out the held weave segments whose merge batches are all done.
void release_segments(scheduler_actor* self, int64_t job) {
  auto& st = self->state;
  auto& jp = st.jobs[job];
  std::vector<batch> ready;
  for (auto i = jp.held.begin(); i != jp.held.end();) {
    bool covered = true;
    for (const auto& [no, range] : jp.open_merge)
      if (range.first <= i->last_seq && range.second >= i->first_seq) {
        covered = false;
        break;
      }
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
void start_weaving(scheduler_actor* self, int64_t job, batch_rows_ptr planned = nullptr) {
  auto& st = self->state;
  auto j = st.jobs.find(job);
  if (j == st.jobs.end() || storage::finished(j->second.state)) return;
  if (!planned && planned_after_merge(j->second.options)) {
    self->spawn<caf::detached>(planner, st.ctx, job, j->second.options, caf::actor{self});
    return;
  }
  auto segments =
      planned ? planned : batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>()};
  self->request(st.store, caf::infinite, plan_atom::value, job, segments)
      .then(
          [=](bool) {
            auto& s = self->state;
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
            release_segments(self, job);
            if (jp.remaining[1].empty())
              finish_job(self, job, job_state::done, "");
            else
              dispatch(self);
          },
          [=](caf::error& err) {
            finish_job(self, job, job_state::failed, error_text(self->system(), err));
          });
}

/// An engine finished a batch (accepted: the database took its result; or
/// not: another attempt had already finished it).
void on_done(scheduler_actor* self, const std::string& engine, const batch& b, bool accepted) {
  auto& st = self->state;
  bool current = st.policy.complete(engine, b);
  if (!current && !accepted) return;  // a late result of an attempt nobody waits for
  auto j = st.jobs.find(b.job_id);
  if (j == st.jobs.end()) return;
  auto& jp = j->second;
  auto& remaining = jp.remaining[static_cast<int>(b.type)];
  if (remaining.erase(b.batch_no) == 0) return;
  if (b.type == engine_type::merge) {
    jp.open_merge.erase(b.batch_no);
    release_segments(self, b.job_id);
    if (remaining.empty() && jp.state == job_state::merging) start_weaving(self, b.job_id);
  } else if (remaining.empty() && jp.state == job_state::weaving) {
    finish_job(self, b.job_id, job_state::done, "");
  }
}

int64_t batch_size_for(const scheduler_state& st, int64_t job, int64_t records) {
  const auto& s = st.ctx.settings->scheduler;
  int64_t engines = std::max(1, st.policy.engines_allowed(job, engine_type::merge));
  int64_t wanted = engines * std::max(1, s.batches_per_engine);
  int64_t size = (records + wanted - 1) / wanted;
  return std::clamp<int64_t>(size, s.min_batch_size, s.max_batch_size);
}

void on_mapped(scheduler_actor* self, int64_t job, int64_t records) {
  auto& st = self->state;
  st.policy.add_job(job, records);
  auto size = batch_size_for(st, job, records);
  batch_rows_ptr cbatches = std::make_shared<const std::vector<storage::batch_row>>(
      cut(job, phase::merge, records, size));
  std::string cls = to_string(st.policy.class_of(job));
  batch_rows_ptr segments = std::make_shared<const std::vector<storage::batch_row>>(
      planned_after_merge(st.jobs[job].options)
          ? std::vector<storage::batch_row>{}
          : plan_segments(job, records, st.jobs[job].options.split_every));
  self->request(st.store, caf::infinite, finish_atom::value, job, records, cbatches, segments, cls)
      .then(
          [=](bool) {
            auto& s = self->state;
            auto& jp = s.jobs[job];
            jp.records = records;
            jp.state = job_state::merging;
            std::vector<batch> bs;
            for (const auto& r : *cbatches) {
              bs.push_back(batch_of(r));
              jp.remaining[0].insert(r.batch_no);
              jp.open_merge[r.batch_no] = {r.first_seq, r.last_seq};
            }
            for (const auto& r : *segments) {
              jp.held.push_back(batch_of(r));
              jp.remaining[1].insert(r.batch_no);
            }
            s.policy.add_batches(bs);
            spdlog::info("job {}: {} records, {} class, {} merge batches of {}", job, records, cls,
                         bs.size(), size);
            dispatch(self);
          },
          [=](caf::error& err) {
            finish_job(self, job, job_state::failed, error_text(self->system(), err));
          });
}

void start_mapping(scheduler_actor* self, int64_t job) {
  self->state.jobs[job].state = job_state::mapping;
  self->spawn<caf::detached>(mapper, self->state.ctx, job, caf::actor{self});
}

/// Resumes a job found unfinished in the database at start.
void resume(scheduler_actor* self, const storage::job_row& row) {
  auto& st = self->state;
  auto& entry = st.jobs[row.id];
  entry.records = row.record_count;
  entry.state = row.state;
  entry.options = parse_job_options(row.options_json);
  if (row.state == job_state::queued || row.state == job_state::mapping) {
    start_mapping(self, row.id);
    return;
  }
  st.policy.add_job(row.id, row.record_count);
  // Both phases' open batches come back: merge batches are queued; weave
  // segments are queued when the merge batches they cover are done.
  auto load = [=](phase p, auto next) {
    self->request(self->state.store, caf::infinite, load_atom::value, row.id,
                  static_cast<int32_t>(p))
        .then(
            [=](batch_rows_ptr open, int32_t, int32_t) {
              auto& s = self->state;
              auto j = s.jobs.find(row.id);
              if (j == s.jobs.end()) return;
              auto& jp = j->second;
              std::vector<batch> bs;
              for (const auto& r : *open) {
                auto b = batch_of(r);
                // Any open batch may have been handed out before the restart and
                // its engine may still finish it: fence the old attempt.
                ++b.attempt;
                self->send(s.store, attempt_atom::value, b.job_id, static_cast<int32_t>(p),
                           static_cast<int32_t>(b.batch_no), static_cast<int32_t>(b.attempt));
                jp.remaining[p == phase::merge ? 0 : 1].insert(b.batch_no);
                if (p == phase::merge) jp.open_merge[b.batch_no] = {b.first_seq, b.last_seq};
                bs.push_back(b);
              }
              if (p == phase::merge)
                s.policy.add_batches(bs);
              else
                jp.held.insert(jp.held.end(), bs.begin(), bs.end());
              next();
            },
            [=](caf::error& err) {
              spdlog::error("job {}: cannot resume: {}", row.id, error_text(self->system(), err));
            });
  };
  load(phase::merge, [=] {
    load(phase::weave, [=] {
      auto& s = self->state;
      auto j = s.jobs.find(row.id);
      if (j == s.jobs.end()) return;
      auto& jp = j->second;
      spdlog::info("job {} resumed while {}: {} merge and {} weave batches open", row.id,
                   storage::to_string(row.state), jp.remaining[0].size(), jp.remaining[1].size());
      if (jp.remaining[0].empty() && jp.state == job_state::merging) {
        start_weaving(self, row.id);
        return;
      }
      release_segments(self, row.id);
      if (jp.state == job_state::weaving && jp.remaining[1].empty())
        finish_job(self, row.id, job_state::done, "");
      dispatch(self);
    });
  });
}

/// Persists the new attempts of batches handed back (a lost engine or node):
/// from then on the old attempts' results are refused.
void requeued(scheduler_actor* self, const std::vector<batch>& batches) {
  for (const auto& b : batches) {
    spdlog::info("job {} {} batch {} goes back to the queue as attempt {}", b.job_id,
                 to_string(b.type), b.batch_no, b.attempt);
    self->send(self->state.store, attempt_atom::value, b.job_id,
               static_cast<int32_t>(phase_of(b.type)), static_cast<int32_t>(b.batch_no),
               static_cast<int32_t>(b.attempt));
  }
}

/// Logs the expected-remote-engine totals when they change: degraded (fewer
/// registered than expected: jobs run on what exists) and standby (more: the
/// extra ones wait; warned once with the fix).
void report_capacity(scheduler_actor* self) {
  auto& st = self->state;
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
std::string engines_json(scheduler_actor* self) {
  auto& st = self->state;
  auto out = nlohmann::json::array();
  for (const auto& [id, e] : st.policy.engines()) {
    nlohmann::json j{{"id", id},
                     {"type", to_string(e.type)},
                     {"node", e.node},
                     {"local", e.local},
                     {"state", e.standby   ? "standby"
                               : e.current ? "busy"
                                           : "idle"},
                     {"draining", st.policy.draining(e.node)},
                     {"batches_done", e.batches_done},
                     {"job", nullptr},
                     {"batch", nullptr},
                     {"attempt", nullptr}};
    if (e.current) {
      j["job"] = e.current->job_id;
      j["batch"] = e.current->batch_no;
      j["attempt"] = e.current->attempt;
    }
    out.push_back(std::move(j));
  }
  return out.dump();
}

/// The live view of the running jobs for the shell: class (after any `set`),
/// engines granted now and allowed, batches queued and running, by job id.
std::string jobs_json(scheduler_actor* self) {
  auto& st = self->state;
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
std::string capacity_json(scheduler_actor* self) {
  auto& st = self->state;
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

/// Forgets an engine whose actor is gone or whose node is lost.
void forget_engine(scheduler_actor* self, const std::string& id) {
  auto& s = self->state;
  auto e = s.engines.find(id);
  if (e == s.engines.end()) return;
  s.engine_by_addr.erase(e->second.address());
  s.engines.erase(e);
  s.waiting.erase(id);
  if (auto b = s.policy.remove_engine(id)) requeued(self, {*b});
}

/// Resumes every unfinished job, then looks for new queued ones every second.
/// While the database cannot be read, tries again every second.
void load_unfinished(scheduler_actor* self) {
  self->request(self->state.store, caf::infinite, load_atom::value)
      .then(
          [=](job_rows_ptr rows) {
            for (const auto& r : *rows)
              if (!self->state.jobs.count(r.id)) resume(self, r);  // else submitted meanwhile
            self->send(self, adopt_atom::value);
          },
          [=](caf::error& err) {
            spdlog::error("scheduler: cannot load unfinished jobs (trying again in 1 s): {}",
                          error_text(self->system(), err));
            self->delayed_send(self, 1s, load_atom::value);
          });
}

caf::behavior scheduler(scheduler_actor* self, node_context ctx) {
  auto& st = self->state;
  st.ctx = ctx;
  st.effective = std::make_shared<const config::settings>(*ctx.settings);
  st.policy.set_limits(limits_from(*ctx.settings));
  st.store = self->spawn<caf::detached + caf::linked>(store_worker, ctx);
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        spdlog::error("scheduler: unexpected message {}", to_string(x.content()));
        return caf::message{};
      });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& s = self->state;
    auto e = s.engine_by_addr.find(msg.source);
    if (e == s.engine_by_addr.end()) return;
    auto id = e->second;
    spdlog::warn("engine {} is gone: {}", id, error_text(self->system(), msg.reason));
    forget_engine(self, id);
    report_capacity(self);
    dispatch(self);
  });
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
  load_unfinished(self);
  return {
      [=](register_atom, const std::string& id, int32_t type, const std::string& node, bool local,
          const caf::actor& engine) {
        auto& s = self->state;
        forget_engine(self, id);  // registering again (after a rejoin) replaces the old one
        s.policy.add_engine(id, static_cast<engine_type>(type), node, local);
        s.engines[id] = engine;
        s.engine_by_addr[engine.address()] = id;
        self->monitor(engine);
        bool standby = s.policy.engines().at(id).standby;
        self->send(s.store, register_atom::value, id, node,
                   std::string{to_string(static_cast<engine_type>(type))},
                   std::string{standby ? "standby" : "idle"});
        spdlog::debug("engine {} registered{}", id, standby ? " (standby)" : "");
        report_capacity(self);
        dispatch(self);
        return true;
      },
      [=](want_atom, const std::string& engine, int64_t done_job, int32_t done_type,
          int32_t done_batch, int32_t done_attempt, bool accepted) {
        auto& s = self->state;
        auto rp = self->make_response_promise();
        if (!s.engines.count(engine)) {
          rp.deliver(fail("unknown engine " + engine + ": register first"));
          return;
        }
        if (done_job != 0) {
          batch b;
          b.job_id = done_job;
          b.type = static_cast<engine_type>(done_type);
          b.batch_no = done_batch;
          b.attempt = done_attempt;
          on_done(self, engine, b, accepted);
        }
        auto old = s.waiting.find(engine);
        if (old != s.waiting.end()) {
          old->second.promise.deliver(batch_message(batch{}));
          s.waiting.erase(old);
        }
        auto token = ++s.next_token;
        s.waiting[engine] = waiting_engine{rp, token};
        dispatch(self);
        if (s.waiting.count(engine))
          self->delayed_send(self, long_poll, poll_atom::value, engine, token);
      },
      [=](poll_atom, const std::string& engine, uint64_t token) {
        auto& s = self->state;
        auto w = s.waiting.find(engine);
        if (w == s.waiting.end() || w->second.token != token) return;
        w->second.promise.deliver(batch_message(batch{}));
        s.waiting.erase(w);
      },
      [=](lost_atom, const std::string& node) {
        auto& s = self->state;
        std::vector<std::string> gone;
        for (const auto& [id, e] : s.policy.engines())
          if (e.node == node) gone.push_back(id);
        for (const auto& id : gone) {
          auto e = s.engines.find(id);
          if (e != s.engines.end()) {
            self->demonitor(e->second);
            s.engine_by_addr.erase(e->second.address());
            s.engines.erase(e);
          }
          s.waiting.erase(id);
        }
        requeued(self, s.policy.remove_node(node));
        self->send(s.store, lost_atom::value, node);
        report_capacity(self);
        dispatch(self);
      },
      [=](drain_atom, const std::string& node, bool on) {
        self->state.policy.set_draining(node, on);
        spdlog::info("node '{}' {}", node, on ? "draining: no new work" : "undrained");
        if (!on) dispatch(self);
        return true;
      },
      [=](fail_atom, int64_t job, const std::string& reason) {
        finish_job(self, job, job_state::failed, reason);
      },
      [=](submitted_atom, int64_t job, const std::string& options_json) {
        // Adopted already by the scan for queued jobs (submitted on an extension).
        if (self->state.jobs.count(job)) return;
        self->state.jobs[job].options = parse_job_options(options_json);
        start_mapping(self, job);
      },
      // Mapping was interrupted (the database was away): map again.
      [=](submitted_atom, int64_t job, const std::string& options_json, bool) {
        self->state.jobs[job].options = parse_job_options(options_json);
        start_mapping(self, job);
      },
      [=](load_atom) { load_unfinished(self); },
      // Jobs submitted on an extension are rows in the database only: adopt the
      // queued jobs this scheduler does not know, every second.
      [=](adopt_atom) {
        self->request(self->state.store, caf::infinite, adopt_atom::value)
            .then(
                [=](job_rows_ptr rows) {
                  for (const auto& r : *rows)
                    if (!self->state.jobs.count(r.id)) {
                      spdlog::info("job {} submitted on another node: taken", r.id);
                      resume(self, r);
                    }
                  self->delayed_send(self, 1s, adopt_atom::value);
                },
                [=](caf::error& err) {
                  spdlog::warn("scheduler: cannot look for queued jobs: {}",
                               error_text(self->system(), err));
                  self->delayed_send(self, 1s, adopt_atom::value);
                });
      },
      [=](mapped_atom, int64_t job, int64_t records, const std::string& reason) {
        auto j = self->state.jobs.find(job);
        if (j == self->state.jobs.end() || storage::finished(j->second.state))
          return;  // cancelled meanwhile
        if (records == -2) {
          spdlog::warn("job {}: mapping interrupted ({}); retrying", job, reason);
          self->delayed_send(self, 1s, submitted_atom::value, job,
                             to_json(self->state.jobs[job].options), true);
          return;
        }
        if (records < 0) {
          finish_job(self, job, job_state::failed, reason);
          return;
        }
        on_mapped(self, job, records);
      },
      // Answers with the job's JSON when it is finished, or after `max_ms`
      // with its current state, whichever comes first.
      [=](plan_atom, int64_t job, batch_rows_ptr segments, const std::string& error) {
        if (!segments) {
          finish_job(self, job, job_state::failed, "planning the outputs: " + error);
          return;
        }
        start_weaving(self, job, segments);
      },
      [=](wait_atom, int64_t job, int32_t max_ms) {
        auto rp = self->make_response_promise();
        auto& s = self->state;
        if (s.jobs.count(job)) {
          auto token = ++s.next_token;
          s.watchers[job].push_back(watcher{rp, token});
          self->delayed_send(self, std::chrono::milliseconds(std::max(1, max_ms)), wait_atom::value,
                             job, token);
          return;
        }
        self->request(s.store, caf::infinite, status_atom::value, job)
            .then([rp](std::string json) mutable { rp.deliver(std::move(json)); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      },
      [=](wait_atom, int64_t job, uint64_t token) {
        auto& s = self->state;
        auto w = s.watchers.find(job);
        if (w == s.watchers.end()) return;
        auto& list = w->second;
        for (auto i = list.begin(); i != list.end(); ++i) {
          if (i->token != token) continue;
          auto rp = i->promise;
          list.erase(i);
          self->request(s.store, caf::infinite, status_atom::value, job)
              .then([rp](std::string json) mutable { rp.deliver(std::move(json)); },
                    [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          break;
        }
      },
      [=](cancel_atom, int64_t job) {
        auto rp = self->make_response_promise();
        auto& s = self->state;
        if (s.jobs.count(job)) {
          s.watchers[job].push_back(watcher{rp, 0});
          finish_job(self, job, job_state::cancelled, "cancelled by request");
          return;
        }
        self->request(s.store, caf::infinite, status_atom::value, job)
            .then([rp](std::string json) mutable { rp.deliver(std::move(json)); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      },
      [=](status_atom, int64_t job) {
        return self->delegate(self->state.store, status_atom::value, job);
      },
      // -- inspection (the shell) --
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      [=](inspect_atom, const std::string& what) -> caf::result<std::string> {
        if (what == "engines") return engines_json(self);
        if (what == "capacity") return capacity_json(self);
        if (what == "jobs") return jobs_json(self);
        return fail("scheduler: nothing to inspect as '" + what + "'");
      },
      // The effective settings changed (`set`): new limits at once; running jobs are
      // reclassified by the policy, and what they may use from now on follows.
      [=](apply_atom, settings_ptr settings) {
        auto& s = self->state;
        if (!settings) return;
        s.effective = std::move(settings);
        s.policy.set_limits(limits_from(*s.effective));
        s.capacity_said[0].clear();
        s.capacity_said[1].clear();
        spdlog::info("scheduler: settings changed; limits applied to the running jobs");
        report_capacity(self);
        dispatch(self);
      },
  };
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& sys, const node_context& ctx) {
  return sys.spawn(scheduler, ctx);
}

caf::error failure(const std::string& why) { return caf::make_error(caf::sec::runtime_error, why); }

std::string error_text(caf::actor_system& sys, const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(ctx.size() - 1))
    return ctx.get_as<std::string>(ctx.size() - 1);
  return sys.render(err);
}

}  // namespace weft::actors
