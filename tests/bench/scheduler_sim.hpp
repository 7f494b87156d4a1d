#pragma once

// Scale by simulation (docs/benchmark.md, "Scheduler scale (simulation)"): the
// real scheduler actor (actors/scheduler.*) on a real, threaded CAF actor
// system, with simulated engines and a simulated store of realistic latency,
// in one process (no network).
//
// - The store (scheduler_sim_store.cpp) is a detached actor that answers the
//   store worker's protocol (actors/store_worker.hpp) from memory, one request
//   at a time and in order like the real worker, after a random delay in
//   [store_min, store_max] (a MariaDB commit). Its message handling is in one
//   function, so a protocol change (e.g. a fencing token) is one edit there.
// - An engine (scheduler_sim.cpp) is an event-based actor that registers and
//   polls like actors/engine.cpp: with `prefetch` ≥ 1 (the default 2, as a
//   node) it asks with `take` for up to `prefetch` batches and reports the ones
//   it finished together; with 0, one batch at a time (want, then done+want).
//   It "works" for `work` (a timer) on each batch.
// - Jobs of all three classes arrive together: the driver tells the scheduler
//   (submitted, job, options, records) for each, as a submission whose records
//   are stored with the job's row (the scheduler plans it at once; a mapper's
//   own I/O, and merging while it maps, are not simulated).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace weft::bench {

struct sim_options {
  int nodes = 8;             ///< the master and nodes-1 extensions
  int merge_per_node = 12;   ///< merge engines per node
  int weaver_per_node = 4;   ///< weaver engines per node
  int64_t records = 100000;  ///< the large job's records
  int medium_jobs = 8;       ///< jobs of medium_records
  int64_t medium_records = 1000;
  int small_jobs = 32;  ///< jobs of small_records
  int64_t small_records = 20;
  std::chrono::microseconds work{20000};  ///< an engine's time per batch
  double record_us = 0;  ///< and per record of the batch (0: every batch takes `work`)
  /// Batches an engine holds (`take`, and the scheduler's `[scheduler] prefetch`);
  /// 0: one at a time with `want`/`done` (the protocol before prefetch).
  int prefetch = 2;
  std::chrono::microseconds store_min{200};    ///< the store's delay per request,
  std::chrono::microseconds store_max{2000};   ///< uniform in [min, max]
  std::chrono::seconds deadline{600};          ///< the run fails past this
  std::chrono::milliseconds sample_every{10};  ///< mailbox depth sampling
  /// Called with the figures before the actor system is torn down. A saturated
  /// scheduler can take minutes to work off its mailbox at shutdown: with
  /// `abandon_on_deadline`, a run past its deadline ends the process
  /// (std::quick_exit(1)) right after `report` instead.
  std::function<void(const struct sim_result&)> report;
  bool abandon_on_deadline = false;
};

struct sim_result {
  bool ok = false;
  std::string error;  ///< why not ok
  int engines = 0;
  int jobs = 0;
  int64_t batches = 0;     ///< merge batches and weave segments the scheduler cut
  int64_t grants = 0;      ///< batches handed out (decisions)
  int64_t duplicates = 0;  ///< batches handed out more than once (must be 0)
  double seconds = 0;      ///< first job arrives → last job done
  double decisions_per_s = 0;
  /// Grant latency (engine asks → batch handed out), µs, over the merge asks
  /// made while the large job (the oldest, allowed every merge engine) had
  /// more batches queued than all merge engines hold (engines × prefetch):
  /// such an ask gets a batch at once, so its wait is the scheduler's, not a
  /// wait for work. With prefetch, each batch of a grant counts. An engine's
  /// first grant after the jobs arrive is not among them (`first_*`): when
  /// every engine asks at the same instant, that wave's wait grows with the
  /// number of engines whatever the scheduler does per decision.
  double p50_us = 0, p99_us = 0, max_us = 0;
  int64_t latency_samples = 0;
  double first_p50_us = 0, first_p99_us = 0;
  /// The same over every grant (includes waiting for work to exist).
  double all_p50_us = 0, all_p99_us = 0;
  int64_t mailbox_max = 0;
  double mailbox_mean = 0;
  int64_t mailbox_samples = 0;
  double rss_peak_mb = 0;  ///< the whole process's peak RSS (VmHWM)
  double register_s = 0;   ///< time for every engine to register (store included)
};

/// Runs one simulation; never throws (a failure is in `error`).
sim_result run_simulation(const sim_options& o);

}  // namespace weft::bench
