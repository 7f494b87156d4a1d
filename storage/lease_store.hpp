#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// One row of `leases`, for people (the shell, logs).
struct lease_info {
  std::string name;
  std::string holder;       ///< who took it last ("" when never taken)
  int64_t token = 0;        ///< fencing token of the last acquisition
  std::string lock_until;   ///< database clock, "YYYY-MM-DD HH:MM:SS.ffffff"
  std::string acquired_at;  ///< database clock; "" when never taken
  bool expired = false;     ///< lock_until has passed on the database clock: the lease is free
};

/// Named, cluster-wide leases kept in the `leases` table (docs/cleanup.md "The lease").
///
/// A lease is free when its `lock_until` lies in the past on the **database's** clock;
/// nodes' clocks are never compared. Acquiring never waits: it either takes a free lease
/// at once or reports that it is held. Every acquisition increments the lease's fencing
/// token, which only grows; renew and release act only when the caller still holds that
/// token, so a holder whose lease expired and was taken by another node changes nothing.
///
/// Every call blocks on the database (call it from a detached actor or a worker thread)
/// and may throw storage_error, except where noted.
class lease_store {
 public:
  explicit lease_store(database& db) : db_(db) {}

  /// Takes the lease `name` for `holder` if it is free, without waiting: sets holder,
  /// token + 1, acquired_at = now and lock_until = now + `lock_at_most` (database clock)
  /// in one conditional statement. The first acquisition of a name inserts its row; when
  /// two processes insert it at once, the loser sees a conflict and reports "not taken".
  /// @return the new fencing token, or nothing when the lease is held by someone
  ///   (this caller included: a lease is not re-entrant).
  std::optional<int64_t> try_acquire(const std::string& name, const std::string& holder,
                                     std::chrono::milliseconds lock_at_most);

  /// Extends a held lease to now + `lock_at_most`, if the row still carries `holder` and
  /// `token` and has
  /// not expired. Long sweeps call it between batches; it doubles as the fence check.
  /// @return whether the caller still holds the lease.
  bool renew(const std::string& name, const std::string& holder, int64_t token,
             std::chrono::milliseconds lock_at_most);

  /// Gives the lease back: lock_until = max(acquired_at + `lock_at_least`, now), only if
  /// the row still carries `holder` and `token` (fenced: a stale holder changes nothing). A sweep
  /// that took less than `lock_at_least` thus keeps other nodes from repeating it at once.
  /// @return whether the row carried `token`.
  bool release(const std::string& name, const std::string& holder, int64_t token,
               std::chrono::milliseconds lock_at_least);

  /// Every lease, by name.
  std::vector<lease_info> describe();

  /// One lease; nothing when its row does not exist yet.
  std::optional<lease_info> describe(const std::string& name);

 private:
  database& db_;
};

}  // namespace weft::storage
