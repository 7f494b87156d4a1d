// The clean-up service: a detached actor per node that sweeps on a staggered schedule
// under the cluster-wide `cleanup` lease (docs/cleanup.md).
//
// The sweep itself (sweep_now) is plain blocking code: the actor is detached so that it
// may block, and the runtime can call sweep_now directly for a one-off command.

#include "actors/cleanup.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/planning/effective_settings.hpp"
#include "actors/protocol.hpp"
#include "config/cron.hpp"
#include "storage/database_sweeper.hpp"
#include "storage/lease_store.hpp"
#include "storage/orphan_sweeper.hpp"
#include "storage/sweep_store.hpp"

namespace weft::actors {

using planning::effective_settings;

namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using sweep_tick_atom = caf::atom_constant<caf::atom("sweeptick")>;

constexpr const char* lease_name = "cleanup";

nlohmann::json to_json(const storage::sweep_row& r) {
  return {{"id", r.id},
          {"node", r.node},
          {"token", r.token},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"status", r.status},
          {"error", r.error},
          {"jobs_deleted", r.counts.jobs},
          {"records_deleted", r.counts.records},
          {"content_deleted", r.counts.content},
          {"outputs_deleted", r.counts.outputs},
          {"files_removed", r.counts.files},
          {"bytes_freed", r.counts.bytes}};
}

/// Who holds the lease: the node's name and this process, for people reading `leases`.
std::string holder_name(const node_context& ctx) {
  return ctx.node().name + " pid " + std::to_string(::getpid());
}

/// Test hook, never for production: WEFT_TEST_SWEEP_PAUSE_MS=N makes a sweep pause N ms at
/// every point where it asks whether to go on (before each delete transaction, before each
/// job directory, every 64 files), so that a test can kill a node in the middle of a sweep
/// (docs/cleanup.md "Test hook"). Read once per process.
milliseconds test_sweep_pause() {
  static const milliseconds pause = [] {
    const char* v = std::getenv("WEFT_TEST_SWEEP_PAUSE_MS");
    if (v == nullptr || *v == '\0') return milliseconds(0);
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 0 || n > 60000) {
      spdlog::error("clean-up: ignoring WEFT_TEST_SWEEP_PAUSE_MS=\"{}\" (want 0..60000)", v);
      return milliseconds(0);
    }
    return milliseconds(n);
  }();
  return pause;
}

milliseconds since_epoch(system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch());
}

}  // namespace

system_clock::time_point next_sweep(const config::settings& settings,
                                    system_clock::time_point now) {
  const auto& c = settings.cleanup;
  const auto nodes = static_cast<int64_t>(std::max<std::size_t>(settings.nodes.size(), 1));
  const auto index = static_cast<int64_t>(settings.self);
  if (c.interval && c.interval->count() > 0) {
    const int64_t interval = c.interval->count();
    const int64_t offset = interval * index / nodes;
    const int64_t t = since_epoch(now).count() - offset;
    // floor division: the last slot at or before now, then the next one.
    int64_t k = t / interval;
    if (t % interval < 0) --k;
    return system_clock::time_point(milliseconds((k + 1) * interval + offset));
  }
  // Cron: each fire time f, moved by index/nodes of the gap to the following one. Start
  // one gap back so that a slot whose offset still lies ahead of `now` is not missed.
  const auto never = system_clock::time_point::max();
  const auto first = config::next_fire(c.schedule, now);
  if (first == never) return never;
  const auto second = config::next_fire(c.schedule, first);
  auto f = second == never ? first : config::next_fire(c.schedule, now - (second - first));
  for (int i = 0; i < 1000 && f != never; ++i) {
    const auto g = config::next_fire(c.schedule, f);
    const auto gap = g == never ? milliseconds(0) : std::chrono::duration_cast<milliseconds>(g - f);
    const auto at = f + gap * index / nodes;
    if (at > now) return at;
    f = g;
  }
  return never;
}

std::string sweep_now(const node_context& ctx) {
  const auto& settings = *ctx.settings;
  const auto& c = settings.cleanup;
  const auto& node = ctx.node();
  const std::string holder = holder_name(ctx);
  storage::lease_store leases(*ctx.db);
  storage::sweep_store sweeps(*ctx.db);

  std::optional<int64_t> token;
  try {
    token = leases.try_acquire(lease_name, holder, c.lock_at_most);
  } catch (const std::exception& e) {
    spdlog::warn("clean-up: cannot take the lease: {}", e.what());
    return nlohmann::json{{"status", "failed"}, {"node", node.name}, {"error", e.what()}}.dump();
  }
  if (!token) {
    nlohmann::json skipped{{"status", "skipped"}, {"node", node.name}};
    try {
      if (auto info = leases.describe(lease_name)) {
        skipped["holder"] = info->holder;
        skipped["token"] = info->token;
        skipped["lock_until"] = info->lock_until;
      }
    } catch (const std::exception&) {
      // informative only
    }
    spdlog::info("clean-up: skipped, the lease is held by {} until {}",
                 skipped.value("holder", std::string{"?"}),
                 skipped.value("lock_until", std::string{"?"}));
    return skipped.dump();
  }

  storage::sweep_counts counts;
  const auto sweep_started = std::chrono::steady_clock::now();
  std::string status = "done";
  std::string error;
  int64_t id = 0;
  const bool database_sweep = node.database_sweep;
  try {
    // A sweep still `running` under an older token lost its lease without ending: its node
    // died. Say so in the history instead of showing it as running for ever.
    for (const auto& dead : sweeps.abandon_older(*token, node.name))
      spdlog::warn(
          "clean-up: sweep {} of {} (token {}, started {}) never finished and its lease "
          "expired: marked abandoned",
          dead.id, dead.node, dead.token, dead.started_at);
    id = sweeps.begin(node.name, *token);
    spdlog::info("clean-up: sweep {} started (token {}{})", id, *token,
                 database_sweep ? ", database and files" : ", files");
    const auto pause = test_sweep_pause();
    if (pause.count() > 0)
      spdlog::warn("clean-up: test hook WEFT_TEST_SWEEP_PAUSE_MS: pausing {} ms at every step",
                   pause.count());
    // Asked between transactions and every few dozen files: stop when the node stops,
    // renew the lease now and then (the renewal is also the fence check).
    const auto renew_every = std::max(c.lock_at_most / 4, milliseconds(1));
    auto renewed = std::chrono::steady_clock::now();
    auto keep_going = [&]() -> bool {
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
      if (ctx.stopping->load()) {
        status = "stopped";
        return false;
      }
      if (std::chrono::steady_clock::now() - renewed >= renew_every) {
        if (!leases.renew(lease_name, holder, *token, c.lock_at_most)) {
          status = "lost_lease";
          return false;
        }
        renewed = std::chrono::steady_clock::now();
      }
      return true;
    };
    bool complete = true;
    if (database_sweep) {
      const storage::retention_policy policy(c.retain_jobs, c.retain_content, c.retain_outputs,
                                             c.batch_size, c.pause_percent / 100.0);
      complete = storage::database_sweeper(*ctx.db, policy).run(counts, keep_going);
    }
    if (complete)
      storage::orphan_sweeper(*ctx.db, ctx.files_root(), c.orphan_min_age).run(counts, keep_going);
  } catch (const std::exception& e) {
    status = "failed";
    error = e.what();
  }
  nlohmann::json result;
  try {
    if (id != 0) {
      sweeps.finish(id, counts, status, error);
      result = to_json(sweeps.sweep(id));
    }
  } catch (const std::exception& e) {
    if (error.empty()) error = e.what();
    status = "failed";
  }
  try {
    leases.release(lease_name, holder, *token, c.lock_at_least);
  } catch (const std::exception& e) {
    spdlog::warn("clean-up: cannot release the lease (it expires by itself): {}", e.what());
  }
  if (result.is_null()) {
    result = {
        {"id", id}, {"node", node.name}, {"token", *token}, {"status", status}, {"error", error}};
  }
  result["batches_deleted"] = counts.batches;
  result["transactions"] = counts.transactions;
  result["file_errors"] = counts.file_errors;
  result["database_sweep"] = database_sweep;
  {
    auto& r = metrics::global();
    const metrics::labels l{{"node", node.name}, {"status", status}};
    r.counter_of("weft_sweep_runs_total", "Clean-up sweeps this node ran, by status.", l).inc();
    r.counter_of("weft_sweep_rows_total",
                 "Rows (jobs, records, content, outputs) this node's sweeps deleted.",
                 {{"node", node.name}})
        .inc(static_cast<double>(counts.jobs + counts.records + counts.content + counts.outputs));
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - sweep_started;
    r.histogram_of("weft_sweep_duration_seconds", "Duration of this node's clean-up sweeps.",
                   {{"node", node.name}})
        .observe(took.count());
  }
  if (status == "failed")
    spdlog::error("clean-up: sweep {} failed: {}", id, error);
  else
    spdlog::info(
        "clean-up: sweep {} {}: {} jobs, {} records, {} content, {} outputs deleted; {} files "
        "({} bytes) removed",
        id, status, counts.jobs, counts.records, counts.content, counts.outputs, counts.files,
        counts.bytes);
  return result.dump();
}

std::string sweep_history(const node_context& ctx, int limit) {
  auto rows = storage::sweep_store(*ctx.db).history(limit);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) out.push_back(to_json(r));
  return out.dump();
}

std::string lease_table(const node_context& ctx) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : storage::lease_store(*ctx.db).describe())
    out.push_back({{"name", l.name},
                   {"holder", l.holder},
                   {"token", l.token},
                   {"lock_until", l.lock_until},
                   {"acquired_at", l.acquired_at},
                   {"expired", l.expired}});
  return out.dump();
}

namespace {

struct cleanup_state {
  /// ctx.settings points to `effective`: the topology plus the clean-up settings changed
  /// with the shell's `set`, read again before every sweep.
  node_context ctx;
  const config::settings* topology = nullptr;
  std::shared_ptr<const config::settings> effective;
  uint64_t timer = 0;                      ///< the pending tick's number; older ones are void
  system_clock::time_point last_target{};  ///< the slot the pending tick is for
  static inline const char* name = "cleanup";
};

/// Reads the stored settings again (`set` may have changed the schedule or the retention).
void reload(cleanup_state& st) {
  storage::settings_store store(*st.ctx.db);
  st.effective = effective_settings(*st.topology, store);
  st.ctx.settings = st.effective.get();
}

using cleanup_actor = caf::stateful_actor<cleanup_state>;

/// Arms the timer for the next slot after the current one (never the same slot twice,
/// even when the timer fires a little early).
void schedule_next(cleanup_actor* self) {
  auto& st = self->state;
  const auto now = system_clock::now();
  const auto next = next_sweep(*st.ctx.settings, std::max(now, st.last_target));
  if (next == system_clock::time_point::max()) {
    spdlog::warn("clean-up: the schedule \"{}\" never fires; only manual sweeps will run",
                 st.ctx.settings->cleanup.schedule);
    return;
  }
  st.last_target = next;
  const auto delay = std::chrono::duration_cast<milliseconds>(next - now) + milliseconds(1);
  self->delayed_send(self, delay, sweep_tick_atom::value, ++st.timer);
}

caf::behavior cleanup(cleanup_actor* self, node_context ctx) {
  auto& st = self->state;
  st.ctx = ctx;
  st.topology = ctx.settings;
  reload(st);
  if (st.ctx.settings->cleanup.run_at_startup) self->send(self, sweep_tick_atom::value, false);
  schedule_next(self);
  harden(self, ctx, "cleanup");
  return trusted_behavior(
      self, ctx, "cleanup",
      [=](sweep_tick_atom, uint64_t timer) {
        if (timer != self->state.timer) return;  // re-armed by a reload since
        reload(self->state);
        sweep_now(self->state.ctx);
        schedule_next(self);
      },
      [=](sweep_tick_atom, bool) { sweep_now(self->state.ctx); },  // run_at_startup
      // The clean-up settings changed (`set`): the schedule from now on.
      [=](cleanup_atom, reload_atom) {
        reload(self->state);
        self->state.last_target = system_clock::time_point{};
        schedule_next(self);
        spdlog::info("clean-up: settings reloaded");
      },
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      [=](cleanup_atom, run_atom) -> caf::result<std::string> {
        reload(self->state);
        return sweep_now(self->state.ctx);
      },
      [=](cleanup_atom, history_atom, int32_t limit) -> caf::result<std::string> {
        try {
          return sweep_history(self->state.ctx, limit);
        } catch (const std::exception& e) {
          return failure(std::string{"clean-up history: "} + e.what());
        }
      },
      [=](cleanup_atom, leases_atom) -> caf::result<std::string> {
        try {
          return lease_table(self->state.ctx);
        } catch (const std::exception& e) {
          return failure(std::string{"leases: "} + e.what());
        }
      });
}

}  // namespace

caf::actor spawn_cleanup(caf::actor_system& sys, const node_context& ctx) {
  return spawn_hardened(sys, true, cleanup, ctx);
}

}  // namespace weft::actors
