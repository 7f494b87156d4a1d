#include "runtime/node_metrics.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "actors/metrics/registry.hpp"
#include "storage/cluster_figures.hpp"
#include "weft/version.hpp"

namespace weft::runtime {

namespace {

using clock = std::chrono::steady_clock;

/// One database read shared by the families of a scrape. A read that outlives
/// its scrape's timeout finishes on its own thread and fills the cache for the
/// next scrape; no second read starts while one runs.
class figures_cache {
 public:
  figures_cache(storage::database& db, std::chrono::milliseconds timeout,
                std::chrono::milliseconds cache_for)
      : db_(db), timeout_(timeout), cache_for_(cache_for) {}

  /// The figures, fresh enough; throws when none could be read in time.
  storage::cluster_figures get() {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (state_->have && clock::now() - state_->read_at < cache_for_) return state_->figures;
    if (!state_->running) {
      state_->running = true;
      state_->generation++;
      auto state = state_;
      auto* db = &db_;
      std::thread([state, db] {
        std::optional<storage::cluster_figures> f;
        std::string error;
        try {
          f = storage::read_cluster_figures(*db);
        } catch (const std::exception& e) {
          error = e.what();
        }
        std::lock_guard<std::mutex> l(state->mutex);
        state->running = false;
        state->error = error;
        if (f) {
          state->figures = std::move(*f);
          state->have = true;
          state->read_at = clock::now();
        }
        state->done.notify_all();
      }).detach();
    }
    auto gen = state_->generation;
    auto state = state_;
    if (!state_->done.wait_for(lock, timeout_, [&] { return !state->running; }))
      throw std::runtime_error("database read for metrics timed out");
    if (gen == state_->generation && !state_->error.empty())
      throw std::runtime_error(state_->error);
    if (!state_->have) throw std::runtime_error("no figures");
    return state_->figures;
  }

 private:
  struct shared {
    std::mutex mutex;
    std::condition_variable done;
    bool running = false;
    bool have = false;
    uint64_t generation = 0;
    std::string error;
    clock::time_point read_at;
    storage::cluster_figures figures;
  };
  storage::database& db_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds cache_for_;
  // Shared with a read that may outlive a scrape (never with the node: see detach above).
  std::shared_ptr<shared> state_ = std::make_shared<shared>();
};

std::vector<metrics::sample> two_labels(const std::vector<storage::labelled_count>& rows,
                                        const char* first, const char* second) {
  std::vector<metrics::sample> out;
  for (const auto& r : rows) {
    metrics::labels l{{first, r.first}};
    if (second) l.emplace_back(second, r.second);
    out.push_back({l, static_cast<double>(r.count)});
  }
  return out;
}

int expected_remote(const config::settings& s, bool merge) {
  const auto& sched = merge ? s.scheduler.merge : s.scheduler.weaver;
  if (sched.expected_remote) return *sched.expected_remote;
  int sum = 0;
  for (const auto& n : s.nodes)
    if (n.role == config::node_role::extension) sum += merge ? n.merge_engines : n.weaver_engines;
  return sum;
}

}  // namespace

void register_node_metrics(storage::database& db, const config::settings& settings,
                           std::chrono::milliseconds timeout, std::chrono::milliseconds cache_for) {
  auto& r = metrics::global();
  auto cache = std::make_shared<figures_cache>(db, timeout, cache_for);
  const auto& self = settings.this_node();
  r.gauge_of("weft_node_info", "This node: its name, role and Weft version (always 1).",
             {{"node", self.name},
              {"role", self.role == config::node_role::master ? "master" : "extension"},
              {"version", weft::version}})
      .set(1);
  r.collector("weft_jobs", "Jobs in the database by state and class (cluster-wide).",
              [cache] { return two_labels(cache->get().jobs, "state", "class"); });
  r.collector("weft_queued_batches",
              "Batches waiting for an engine, by phase (the scheduler's queue depth).",
              [cache] { return two_labels(cache->get().queued_batches, "phase", nullptr); });
  r.collector(
      "weft_engines",
      "Engines by state (active = idle or busy, busy, standby, lost) and type (cluster-wide).",
      [cache] {
        std::map<std::pair<std::string, std::string>, double> by;
        for (const auto& e : cache->get().engines) {
          auto state = e.first;
          if (state == "idle" || state == "busy") {
            by[{"active", e.second}] += static_cast<double>(e.count);
            if (state == "busy") by[{"busy", e.second}] += static_cast<double>(e.count);
          } else {
            by[{state, e.second}] += static_cast<double>(e.count);
          }
        }
        for (const char* t : {"merge", "weaver"})
          for (const char* st : {"active", "busy", "standby", "lost"}) by[{st, t}] += 0;
        std::vector<metrics::sample> out;
        for (const auto& [k, v] : by) out.push_back({{{"state", k.first}, {"type", k.second}}, v});
        return out;
      });
  r.collector("weft_remote_engines_registered",
              "Engines of extensions registered with the master and not lost, by type.", [cache] {
                std::map<std::string, double> by{{"merge", 0}, {"weaver", 0}};
                for (const auto& e : cache->get().remote_engines)
                  by[e.first] += static_cast<double>(e.count);
                std::vector<metrics::sample> out;
                for (const auto& [t, v] : by) out.push_back({{{"type", t}}, v});
                return out;
              });
  const double exp_merge = expected_remote(settings, true);
  const double exp_weaver = expected_remote(settings, false);
  r.gauge_of("weft_remote_engines_expected",
             "Remote engines the topology expects ([scheduler.*].expected_remote or the sum "
             "over the extensions), by type.",
             {{"type", "merge"}})
      .set(exp_merge);
  r.gauge_of("weft_remote_engines_expected", "", {{"type", "weaver"}}).set(exp_weaver);
  r.collector("weft_nodes", "Nodes in the database by state (up, draining, lost) and role.",
              [cache] { return two_labels(cache->get().nodes, "state", "role"); });
  r.collector("weft_lease_holder", "Leases held now (1), by lease name and holder (e.g. cleanup).",
              [cache] { return two_labels(cache->get().leases, "lease", "holder"); });
  r.collector("weft_sweeps", "Clean-up sweeps recorded in the database, by status.",
              [cache] { return two_labels(cache->get().sweeps, "status", nullptr); });
  r.collector(
      "weft_sweep_rows_deleted",
      "Rows (jobs, records, content, outputs) deleted by the sweeps recorded.", [cache] {
        return std::vector<metrics::sample>{{{}, static_cast<double>(cache->get().sweep_rows)}};
      });
}

std::string metrics_text() { return metrics::global().expose(); }

}  // namespace weft::runtime
