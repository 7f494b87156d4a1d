#pragma once

// The scheduler lease and the record of who held it (docs/cluster.md "Master failover").
//
// Several nodes may be master candidates; the one holding the `scheduler` lease is the active
// master and the only one that schedules. The lease is a row of `leases` like the clean-up
// lease (database clock, a fencing token incremented on every take-over); every take-over,
// step-down and hand-over is also a row of `master_history`. Every write a master's scheduler
// makes carries its token (write_fence) and is checked against the lease row in the same
// transaction: once a successor took over, the old master's writes are refused with
// storage_error fenced and change nothing.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/lease_store.hpp"

namespace soci {
class session;
}

namespace weft::storage {

/// The name of the scheduler lease in `leases`.
inline const std::string scheduler_lease = "scheduler";

/// What a master writes under: its node name and the token its take-over got. A write
/// carrying it is applied only while the scheduler lease still carries this token.
struct write_fence {
  std::string holder;
  int64_t token = 0;
};

/// One row of `master_history`.
struct master_event {
  int64_t id = 0;
  std::string event;  ///< "take-over", "step-down", "hand-over"
  std::string node;
  int64_t token = 0;
  std::string at;  ///< database clock
  std::string reason;
};

/// The scheduler lease and its history. Every call blocks on the database (never call it from
/// a cooperative actor) and throws storage_error on failure, except where noted.
class master_store {
 public:
  explicit master_store(database& db) : db_(db) {}

  /// Takes the scheduler lease for `node` when it is free (expired on the database clock),
  /// or when `node` itself holds it (`reclaim_own`: this node restarted before its own lease
  /// expired; its previous process is gone). Sets token + 1 and lock_until = now + `lease`,
  /// and records a take-over with `reason` in master_history, in one transaction.
  /// @return the new token, or nothing when another node holds the lease.
  std::optional<int64_t> take_over(const std::string& node, std::chrono::milliseconds lease,
                                   const std::string& reason, bool reclaim_own = true);

  /// Extends the lease to now + `lease` if it still carries `node` and `token` (even when it
  /// expired meanwhile but nobody took it: the token is the fence, not the time).
  /// @return whether the caller still holds the lease.
  bool renew(const std::string& node, int64_t token, std::chrono::milliseconds lease);

  /// Records that `node` stopped scheduling under `token`, and why. When the lease still
  /// carries the token it is freed at once (lock_until = now), so a successor need not wait
  /// for it to expire (`hand_over`: the master was drained or stopped on purpose).
  /// Never throws: a step-down is recorded best-effort (the database may be the reason).
  /// @return whether the history row was written.
  bool step_down(const std::string& node, int64_t token, const std::string& reason,
                 bool hand_over = false) noexcept;

  /// The lease row; nothing before the first take-over.
  std::optional<lease_info> holder();

  /// The newest `limit` rows of master_history, newest first.
  std::vector<master_event> history(int limit = 50);

  /// Ends every MariaDB session that `node` registered (database_spec::session_owner) with
  /// KILL CONNECTION, if `fence` still holds the scheduler lease (read first, without a
  /// lock: a master that was paused and lost its lease ends nobody's sessions). The
  /// killed transactions roll back and the row locks they held are free at once, instead of
  /// after the server's idle-transaction timeout. For a node declared lost, and by a master
  /// taking over a lease (a frozen process holds its locks); a live node only sees its
  /// connections fail and reconnects. Another user's sessions cannot be ended (MariaDB
  /// refuses without CONNECTION ADMIN): left to the idle-transaction timeout. SQLite (one
  /// process) has nothing to end.
  /// @return how many were ended.
  /// @throws storage_error fenced when `fence` no longer holds the lease, or when the
  ///   database cannot be asked.
  int end_sessions_of(const std::string& node, const write_fence& fence);

 private:
  database& db_;
};

/// Checks inside the caller's open transaction that the scheduler lease still carries
/// `fence.token` (on MariaDB, with `lock`, the lease row is locked until the transaction
/// ends, so a take-over waits for it or the write sees the new token; without, a plain read).
/// @throws storage_error fenced, its message starting with `refused`, when it does not: the
///   caller's transaction must roll back.
void check_fence(soci::session& s, backend_kind kind, const write_fence& fence, bool lock = true,
                 const std::string& refused = "write refused");

}  // namespace weft::storage
