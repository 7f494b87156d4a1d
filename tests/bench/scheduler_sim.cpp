// Scale by simulation (scheduler_sim.hpp): engines, the mailbox sampler and
// the driver.

#include "tests/bench/scheduler_sim.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "actors/errors.hpp"
#include "actors/planning/batch_json.hpp"
#include "actors/planning/scheduling_policy.hpp"
#include "actors/protocol.hpp"
#include "actors/scheduler.hpp"
#include "config/settings.hpp"
#include "tests/bench/scheduler_sim_store.hpp"

namespace weft::bench {

namespace {

using namespace weft::actors;
using planning::engine_type;
using clock_type = std::chrono::steady_clock;

/// What the engines and the sampler share with the driver.
struct sim_shared {
  std::shared_ptr<sim_store_counters> store;
  int merge_engines = 0;
  std::atomic<int64_t> registered{0};
  std::atomic<int64_t> grants{0};
  std::atomic<int64_t> errors{0};
  /// When the jobs arrive (steady_clock ticks): a first grant's wait starts there
  /// at the earliest (the engines asked long before, when they registered).
  std::atomic<clock_type::rep> arrival{0};
  std::mutex mx;  ///< guards what follows
  std::set<std::tuple<int64_t, int, int32_t>> granted;
  int64_t duplicates = 0;
  std::vector<double> busy_us;   ///< grant latency of the asks marked busy (not first)
  std::vector<double> first_us;  ///< each engine's first grant after the jobs arrive
  std::vector<double> all_us;    ///< every grant's latency
  std::vector<int64_t> depths;   ///< sampled mailbox depths
};

struct engine_state {
  std::string id;
  std::string node;
  engine_type type = engine_type::merge;
  bool local = false;
  caf::actor scheduler;
  std::chrono::microseconds work{0};
  double record_us = 0;  ///< work per record of a batch, on top of `work`
  int prefetch = 0;      ///< 0: want/done, one batch at a time; ≥ 1: take, as actors/engine.cpp
  std::shared_ptr<sim_shared> sh;
  clock_type::time_point asked;
  bool busy = false;       ///< asked while the large job queued more batches than merge engines
  bool had_first = false;  ///< got a batch already (its first grant is the start's wave)
  // want/done
  bool has_last = false;
  planning::batch last;
  // take
  /// Held and not finished, the running one first (actors/engine.cpp's queue, which
  /// runs a batch synchronously, so that its `holding` counts the same batches).
  std::deque<planning::batch> queue;
  std::vector<planning::finished_batch> reports;
  std::size_t reports_sent = 0;
  bool in_flight = false;
  bool running = false;
  bool asked_early = false;
};

using sim_engine_actor = caf::stateful_actor<engine_state>;

/// Counts one batch handed to this engine (and its grant latency).
void granted(sim_engine_actor* self, const planning::batch& b) {
  auto& st = self->state;
  auto asked = std::max(st.asked, clock_type::time_point{clock_type::duration{st.sh->arrival}});
  double us = std::chrono::duration<double, std::micro>(clock_type::now() - asked).count();
  {
    std::lock_guard<std::mutex> lock(st.sh->mx);
    if (!st.sh->granted.emplace(b.job_id, static_cast<int>(b.type), b.batch_no).second)
      ++st.sh->duplicates;
    st.sh->all_us.push_back(us);
    if (!st.had_first)
      st.sh->first_us.push_back(us);
    else if (st.busy)
      st.sh->busy_us.push_back(us);
  }
  st.had_first = true;
  ++st.sh->grants;
  if (b.job_id == 1 && b.type == engine_type::merge) --st.sh->store->queued_large;
  if (b.type != st.type) ++st.sh->errors;
}

void mark_asked(sim_engine_actor* self) {
  auto& st = self->state;
  st.asked = clock_type::now();
  // The large job is the oldest and may use every merge engine: an ask made
  // while it has more batches queued than every merge engine can hold is
  // answered with one of them at once, whatever the others do. Its wait is
  // the scheduler's.
  st.busy = st.type == engine_type::merge &&
            st.sh->store->queued_large.load() >
                static_cast<int64_t>(st.sh->merge_engines) * std::max(1, st.prefetch);
}

void run_or_ask(sim_engine_actor* self);

/// Asks like actors/engine.cpp with prefetch 0 (the protocol's want/done): a
/// finished batch is reported with the poll for the next one.
void ask_one(sim_engine_actor* self) {
  auto& st = self->state;
  mark_asked(self);
  auto poll = st.has_last
                  ? self->request(st.scheduler, std::chrono::seconds(30), done_atom::value, st.id,
                                  st.last.job_id, engine_type_atom(st.last.type),
                                  int32_t{st.last.batch_no}, int32_t{st.last.attempt}, true)
                  : self->request(st.scheduler, std::chrono::seconds(30), want_atom::value, st.id);
  st.has_last = false;
  poll.then(
      [=](batch_atom, int64_t job, caf::atom_value type_atom, int32_t batch_no, int32_t attempt,
          int64_t first, int64_t last) {
        auto type = engine_type_of(type_atom);
        planning::batch b;
        b.job_id = job;
        b.type = type ? *type : engine_type::merge;
        if (!type) ++self->state.sh->errors;
        b.batch_no = batch_no;
        b.attempt = attempt;
        b.first_seq = first;
        b.last_seq = last;
        granted(self, b);
        self->state.queue.push_back(b);
        run_or_ask(self);
      },
      [=](caf::error& err) {
        if (weft_error_of(err) != weft_error::no_work) ++self->state.sh->errors;
        ask_one(self);  // the long poll ended (or an error, counted): ask again
      });
}

/// Reports the finished batches and asks for up to `slots` more (take).
void take(sim_engine_actor* self, int slots) {
  auto& st = self->state;
  mark_asked(self);
  st.in_flight = true;
  st.reports_sent = st.reports.size();
  auto acknowledged = [self] {
    auto& s = self->state;
    s.reports.erase(s.reports.begin(),
                    s.reports.begin() + static_cast<std::ptrdiff_t>(s.reports_sent));
    s.reports_sent = 0;
    s.in_flight = false;
  };
  self->request(st.scheduler, std::chrono::seconds(30), take_atom::value, st.id, int32_t{slots},
                static_cast<int32_t>(st.queue.size()), planning::finished_to_json(st.reports))
      .then(
          [=](batches_atom, const std::string& json) {
            acknowledged();
            try {
              for (const auto& b : planning::batches_from_json(json)) {
                granted(self, b);
                self->state.queue.push_back(b);
              }
            } catch (const std::exception&) {
              ++self->state.sh->errors;
            }
            run_or_ask(self);
          },
          [=](caf::error& err) {
            if (weft_error_of(err) == weft_error::no_work) {
              acknowledged();
              if (!self->state.queue.empty()) self->state.asked_early = true;
            } else {
              ++self->state.sh->errors;  // counted; the reports go again with the next take
              self->state.in_flight = false;
            }
            run_or_ask(self);
          });
}

/// What the engine does next, as actors/engine.cpp's step(): with take, ask when its
/// batches are done (prefetch 1 or 2) or at most one is left (3 and more); run the next.
void run_or_ask(sim_engine_actor* self) {
  auto& st = self->state;
  if (st.prefetch == 0) {
    if (st.queue.empty()) {
      ask_one(self);
      return;
    }
  } else {
    const std::size_t ask_at = st.prefetch >= 3 ? 1 : 0;
    if (!st.in_flight && st.queue.size() <= ask_at) {
      const int room = st.prefetch - static_cast<int>(st.queue.size());
      const int slots = (st.queue.empty() || !st.asked_early) ? std::max(0, room) : 0;
      if (slots > 0 || !st.reports.empty()) take(self, slots);
    }
  }
  if (!st.queue.empty() && !st.running) {
    st.running = true;
    const auto& b = st.queue.front();
    auto work = st.work + std::chrono::microseconds(static_cast<int64_t>(
                              st.record_us * static_cast<double>(b.last_seq - b.first_seq + 1)));
    if (work.count() > 0)
      self->delayed_send(self, work, work_done_atom::value);
    else
      self->send(self, work_done_atom::value);
  }
}

/// The running batch is done: its result is "stored" (accepted) and reported.
void finish_one(sim_engine_actor* self) {
  auto& st = self->state;
  st.running = false;
  if (st.queue.empty()) return;
  auto b = st.queue.front();
  st.queue.pop_front();
  st.asked_early = false;
  if (st.prefetch == 0) {
    st.has_last = true;
    st.last = b;
  } else {
    st.reports.push_back(planning::finished_batch{b, true});
  }
  run_or_ask(self);
}

caf::behavior sim_engine(sim_engine_actor* self, engine_state init) {
  self->state = std::move(init);
  self->request(self->state.scheduler, std::chrono::seconds(120), register_atom::value,
                self->state.id, engine_type_atom(self->state.type), self->state.node,
                self->state.local, caf::actor{self})
      .then(
          [=](bool ok) {
            if (!ok) ++self->state.sh->errors;
            ++self->state.sh->registered;
            run_or_ask(self);
          },
          [=](caf::error&) { ++self->state.sh->errors; });
  return {[=](work_done_atom) { finish_one(self); }};
}

/// Samples the scheduler's mailbox depth with its (inspect) request.
caf::behavior sampler(caf::event_based_actor* self, caf::actor scheduler,
                      std::shared_ptr<sim_shared> sh, std::chrono::milliseconds every) {
  self->send(self, tick_atom::value);
  return {[=](tick_atom) {
    self->request(scheduler, std::chrono::seconds(60), inspect_atom::value)
        .then(
            [=](int64_t depth) {
              {
                std::lock_guard<std::mutex> lock(sh->mx);
                sh->depths.push_back(depth);
              }
              self->delayed_send(self, every, tick_atom::value);
            },
            [=](caf::error&) { self->delayed_send(self, every, tick_atom::value); });
  }};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

config::settings topology(const sim_options& o) {
  config::settings s;
  for (int i = 0; i < o.nodes; ++i) {
    config::node_settings n;
    n.name = i == 0 ? "master" : "n" + std::to_string(i);
    n.role = i == 0 ? config::node_role::master : config::node_role::extension;
    n.merge_engines = o.merge_per_node;
    n.weaver_engines = o.weaver_per_node;
    s.nodes.push_back(n);
  }
  s.self = 0;
  // A large job may use every engine of the cluster (an operator of 256 nodes
  // would set this); medium jobs keep the default.
  s.scheduler.merge.parallel_large = o.nodes * o.merge_per_node;
  s.scheduler.weaver.parallel_large = o.nodes * o.weaver_per_node;
  s.scheduler.merge.additional_engine_every = 0;  // not one engine per 100 records
  s.scheduler.weaver.additional_engine_every = 0;
  s.scheduler.prefetch = std::max(1, o.prefetch);
  return s;
}

template <class Pred>
bool wait_until(Pred pred, clock_type::time_point deadline) {
  while (!pred()) {
    if (clock_type::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

sim_result run_simulation(const sim_options& o) {
  sim_result r;
  try {
    spdlog::set_level(spdlog::level::err);  // not the capacity notes
    auto settings = topology(o);
    caf::actor_system_config cfg;
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    register_weft_errors(cfg);
    auto sh = std::make_shared<sim_shared>();
    sh->store = std::make_shared<sim_store_counters>();
    sh->merge_engines = o.nodes * o.merge_per_node;
    r.engines = o.nodes * (o.merge_per_node + o.weaver_per_node);
    {
      caf::actor_system sys{cfg};
      node_context ctx;
      ctx.settings = &settings;
      auto store = spawn_sim_store(sys, sh->store, o.store_min, o.store_max);
      auto scheduler = spawn_scheduler(sys, ctx, store);
      auto deadline = clock_type::now() + o.deadline;
      auto t_reg = clock_type::now();
      std::vector<caf::actor> engines;
      for (int n = 0; n < o.nodes; ++n)
        for (auto type : {engine_type::merge, engine_type::weaver}) {
          int count = type == engine_type::merge ? o.merge_per_node : o.weaver_per_node;
          for (int i = 0; i < count; ++i) {
            engine_state e;
            e.node = settings.nodes[static_cast<std::size_t>(n)].name;
            e.id = planning::engine_id(e.node, type, i);
            e.type = type;
            e.local = n == 0;
            e.scheduler = scheduler;
            e.work = o.work;
            e.record_us = o.record_us;
            e.prefetch = o.prefetch;
            e.sh = sh;
            engines.push_back(sys.spawn(sim_engine, std::move(e)));
          }
        }
      auto sampler_actor = sys.spawn(sampler, scheduler, sh, o.sample_every);
      bool ready = wait_until(
          [&] {
            return sh->registered.load() == r.engines && sh->store->registers.load() == r.engines;
          },
          deadline);
      r.register_s = std::chrono::duration<double>(clock_type::now() - t_reg).count();
      {
        std::lock_guard<std::mutex> lock(sh->mx);
        sh->depths.clear();  // measure the jobs, not the registration
      }
      auto t0 = clock_type::now();
      if (ready) {
        // Every job arrives at once, as its mapper reports it mapped.
        caf::scoped_actor driver{sys};
        sh->arrival = clock_type::now().time_since_epoch().count();
        int64_t job = 1;
        // As a submission whose records are stored with the job's row (the path of a
        // small job mapped at submission): the scheduler plans it at once.
        const std::string options = "{}";
        driver->send(scheduler, submitted_atom::value, job++, options, o.records);
        for (int i = 0; i < o.medium_jobs; ++i)
          driver->send(scheduler, submitted_atom::value, job++, options, o.medium_records);
        for (int i = 0; i < o.small_jobs; ++i)
          driver->send(scheduler, submitted_atom::value, job++, options, o.small_records);
        r.jobs = static_cast<int>(job - 1);
        ready = wait_until(
            [&] { return sh->store->jobs_done.load() + sh->store->jobs_failed.load() == r.jobs; },
            deadline);
      }
      auto t1 = clock_type::now();
      r.seconds = std::chrono::duration<double>(t1 - t0).count();
      // Stop: the scheduler obeys an anonymous exit only while the node stops.
      ctx.stopping->store(true);
      caf::anon_send_exit(sampler_actor, caf::exit_reason::user_shutdown);
      for (auto& e : engines) caf::anon_send_exit(e, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
      engines.clear();
      scheduler = caf::actor{};
      store = caf::actor{};
      sampler_actor = caf::actor{};
      std::lock_guard<std::mutex> lock(sh->mx);
      r.batches = sh->store->batches.load();
      r.grants = sh->grants.load();
      r.duplicates = sh->duplicates;
      r.decisions_per_s = r.seconds > 0 ? static_cast<double>(r.grants) / r.seconds : 0;
      r.p50_us = percentile(sh->busy_us, 0.5);
      r.p99_us = percentile(sh->busy_us, 0.99);
      r.max_us = percentile(sh->busy_us, 1.0);
      r.latency_samples = static_cast<int64_t>(sh->busy_us.size());
      r.first_p50_us = percentile(sh->first_us, 0.5);
      r.first_p99_us = percentile(sh->first_us, 0.99);
      r.all_p50_us = percentile(sh->all_us, 0.5);
      r.all_p99_us = percentile(sh->all_us, 0.99);
      r.mailbox_samples = static_cast<int64_t>(sh->depths.size());
      for (auto d : sh->depths) {
        r.mailbox_max = std::max(r.mailbox_max, d);
        r.mailbox_mean += static_cast<double>(d);
      }
      if (!sh->depths.empty()) r.mailbox_mean /= static_cast<double>(sh->depths.size());
      r.rss_peak_mb = peak_rss_mb();
      if (!ready)
        r.error = sh->registered.load() < r.engines ? "not every engine registered in time"
                                                    : "the jobs did not finish in time";
      else if (sh->store->jobs_failed.load() > 0)
        r.error = std::to_string(sh->store->jobs_failed.load()) + " jobs did not end done";
      else if (r.duplicates > 0)
        r.error = std::to_string(r.duplicates) + " batches handed out twice";
      else if (r.grants != r.batches || static_cast<int64_t>(sh->granted.size()) != r.batches)
        r.error =
            std::to_string(r.grants) + " grants for " + std::to_string(r.batches) + " batches";
      else if (sh->errors.load() > 0)
        r.error = std::to_string(sh->errors.load()) + " engine errors";
      else if (sh->store->unexpected.load() > 0)
        r.error = "the store got messages it does not know";
      else
        r.ok = true;
      if (o.report) o.report(r);
      if (!ready && o.abandon_on_deadline) std::quick_exit(1);
    }  // the actor system waits for every actor here
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
  }
  return r;
}

}  // namespace weft::bench
