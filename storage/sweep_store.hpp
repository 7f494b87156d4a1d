#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// What one sweep deleted. The first seven are stored in `sweeps`; the rest are reported
/// with a sweep that has just run but not kept (the table has no columns for them).
struct sweep_counts {
  int64_t jobs = 0;          ///< `jobs` rows
  int64_t records = 0;       ///< `records` rows
  int64_t content = 0;       ///< `content` rows
  int64_t outputs = 0;       ///< `outputs` rows
  int64_t files = 0;         ///< files removed from the file store
  int64_t bytes = 0;         ///< bytes those files held
  int64_t batches = 0;       ///< `batches` rows (not stored)
  int64_t transactions = 0;  ///< delete transactions the database sweep committed (not stored)
  int64_t file_errors = 0;   ///< files that could not be removed (not stored)

  sweep_counts& operator+=(const sweep_counts& o);
};

/// One row of `sweeps`.
struct sweep_row {
  int64_t id = 0;
  std::string node;
  int64_t token = 0;        ///< fencing token of the `cleanup` lease the sweep ran under
  std::string started_at;   ///< database clock, "YYYY-MM-DD HH:MM:SS.ffffff"
  std::string finished_at;  ///< "" while running (or when its node died mid-sweep)
  sweep_counts counts;
  std::string status;  ///< running, done, stopped, lost_lease, failed, abandoned
  std::string error;
};

/// The history of clean-up sweeps (table `sweeps`, docs/cleanup.md).
///
/// Every call blocks on the database and may throw storage_error.
class sweep_store {
 public:
  explicit sweep_store(database& db) : db_(db) {}

  /// Records the start of a sweep (status `running`, started_at = database now).
  /// @return the sweep's id.
  int64_t begin(const std::string& node, int64_t token);

  /// Records the end of a sweep: finished_at = database now, its counts and status.
  void finish(int64_t id, const sweep_counts& counts, const std::string& status,
              const std::string& error);

  /// Marks as `abandoned` every sweep still `running` under a fencing token older than
  /// `token`, the token the caller has just acquired: the lease of such a sweep expired
  /// and was taken again, so its node died (or stalled) without finishing it. The row
  /// keeps its start, an empty finished_at (when it stopped is not known) and its counts
  /// (zero: they are written at the end); the error names `token` and `by`. A stalled
  /// sweep that does reach its end afterwards still writes its own status over this one.
  /// @return the sweeps it marked, as they were before (status `running`).
  std::vector<sweep_row> abandon_older(int64_t token, const std::string& by);

  /// The newest `limit` sweeps, newest first.
  std::vector<sweep_row> history(int limit);

  /// @throws storage_error not_found
  sweep_row sweep(int64_t id);

 private:
  database& db_;
};

}  // namespace weft::storage
