#pragma once

#include <chrono>
#include <functional>

#include "storage/database.hpp"
#include "storage/sweep_store.hpp"

namespace weft::storage {

/// What the database sweep deletes and how fast: how long finished jobs and their data are
/// kept, counted from the job's `finished_at` on the database clock (docs/cleanup.md "What is
/// deleted"), and the size of and pause after each transaction.
///
/// Every value is required. Their defaults are the `[cleanup]` settings' (one home:
/// config/settings.hpp, documented in docs/configuration.md); storage does not repeat them.
struct retention_policy {
  retention_policy(std::chrono::milliseconds retain_jobs, std::chrono::milliseconds retain_content,
                   std::chrono::milliseconds retain_outputs, int rows_per_transaction, double pause)
      : jobs(retain_jobs),
        content(retain_content),
        outputs(retain_outputs),
        batch_size(rows_per_transaction),
        pause_ratio(pause) {}

  std::chrono::milliseconds jobs;
  std::chrono::milliseconds content;
  std::chrono::milliseconds outputs;
  int batch_size;  ///< most rows deleted by one transaction (>= 1)
  /// After each transaction the sweep pauses for this multiple of the time the transaction
  /// took (0: no pause), so that it leaves the database server time for production work:
  /// 1 keeps the sweep's connection busy at most about half of the time, whatever the load.
  double pause_ratio;
};

/// The database sweep: deletes finished jobs past their retention with their rows, in
/// transactions of at most `batch_size` rows.
///
/// Only jobs whose state is done, failed or cancelled and whose finished_at is older
/// than the retention are touched; a job that has not finished is never touched (its
/// state is terminal once set, and the final delete of the job row checks it again).
/// Children go before their parent, so an interrupted sweep leaves a finished job with
/// fewer rows, never a row without its job.
class database_sweeper {
 public:
  database_sweeper(database& db, retention_policy policy) : db_(db), policy_(policy) {}

  /// Runs the sweep, adding what it deletes to `counts` as each transaction commits (so
  /// `counts` is right even when this throws). `keep_going` is asked before every
  /// transaction; when it answers false the sweep stops there.
  /// @return true when the sweep finished, false when `keep_going` stopped it.
  /// @throws storage_error
  bool run(sweep_counts& counts, const std::function<bool()>& keep_going);

 private:
  bool sweep_jobs(sweep_counts& counts, const std::function<bool()>& keep_going);
  /// Sleeps pause_ratio times the time since `started` (the transaction that just ended).
  void pause_after(std::chrono::steady_clock::time_point started) const;
  bool sweep_children(const char* table, const char* key, std::chrono::milliseconds retain,
                      int64_t sweep_counts::*counter, sweep_counts& counts,
                      const std::function<bool()>& keep_going);

  database& db_;
  retention_policy policy_;
};

}  // namespace weft::storage
