#pragma once

// The simulation's store: the store worker's protocol (actors/store_worker.hpp)
// answered from memory after a simulated database delay (scheduler_sim.hpp).

#include <atomic>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

namespace weft::bench {

/// What the simulated store was told; the driver and the engines read it.
struct sim_store_counters {
  std::atomic<int64_t> registers{0};    ///< (register …) rows written
  std::atomic<int64_t> mapped_jobs{0};  ///< (save_mapping …) answered
  std::atomic<int64_t> batches{0};      ///< merge batches + weave segments cut
  /// The large job's (job 1's) merge batches not yet handed out.
  std::atomic<int64_t> queued_large{0};
  std::atomic<int64_t> jobs_done{0};    ///< (save_state, job, done) answered
  std::atomic<int64_t> jobs_failed{0};  ///< any other final state
  std::atomic<int64_t> requests{0};     ///< every message the store handled
  std::atomic<int64_t> unexpected{0};   ///< messages it does not know
};

/// Spawns the store (detached: it sleeps its delay, like the real worker blocks).
caf::actor spawn_sim_store(caf::actor_system& sys, std::shared_ptr<sim_store_counters> counters,
                           std::chrono::microseconds min_delay,
                           std::chrono::microseconds max_delay);

}  // namespace weft::bench
