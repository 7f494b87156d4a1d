#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "storage/database_spec.hpp"
#include "storage/storage_error.hpp"

namespace soci {
class session;
}

namespace weft::storage {

namespace detail {
class session_pool;
}

/// How `database::open` treats the schema.
struct open_options {
  /// Apply missing migrations (see docs/storage.md). When false the schema is
  /// only checked: a database newer than this Weft is still refused.
  bool migrate = true;
  /// How long to wait for another process that holds the migration lease.
  std::chrono::milliseconds migration_wait{60000};
};

/// What `database::migrate` did.
struct migration_report {
  int version = 0;  ///< the schema version afterwards
  int applied = 0;  ///< migrations this call applied itself (0 when another process did)
};

/// A thread-safe pool of sessions on one Weft database, SQLite or MariaDB.
///
/// The facade other modules hold; it exposes no SOCI type. Storage-internal
/// code (the repositories in `storage/`) runs its work on a pooled session
/// with `detail::with_session` / `detail::with_transaction`
/// (storage/detail/session.hpp). Every method may be called from any thread;
/// calls block the calling thread (use a detached actor or a thread pool).
///
/// Failures surface as `storage_error` only.
class database {
 public:
  /// Connects, retrying with back-off (100 ms doubling to 2 s) until
  /// `give_up_after` has passed, then checks and migrates the schema.
  ///
  /// SQLite: creates the file's directory; WAL, busy_timeout, foreign keys on,
  /// synchronous=NORMAL. MariaDB: utf8mb4, time zone UTC, strict SQL mode,
  /// READ COMMITTED, connect/read/write timeouts from the spec.
  ///
  /// @throws storage_error unavailable naming the database and the last
  ///   driver message when no connection could be made in time; invalid for
  ///   access denied / unknown database (not retried) and for a schema newer
  ///   than this binary.
  static std::unique_ptr<database> open(const database_spec& spec,
                                        std::chrono::milliseconds give_up_after,
                                        open_options options = {});

  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// Which server this is.
  backend_kind backend() const noexcept;

  /// The spec it was opened with (the password included: do not print it, use describe()).
  const database_spec& spec() const noexcept;

  /// Applies missing migrations; safe when several processes do it at once.
  /// Losers of the migration lease wait (polling with back-off) until the
  /// winner has brought the schema to this binary's version.
  /// @throws storage_error invalid when the database is newer than this Weft,
  ///   unavailable when another process held the migration lease past `wait`.
  migration_report migrate(std::chrono::milliseconds wait);

  /// The largest statement the server accepts, in bytes: MariaDB's
  /// `max_allowed_packet` (read from the server), SQLite's string limit. A row
  /// whose values come near it can never be stored: callers fail it instead of
  /// retrying (a too-large packet makes MariaDB drop the connection, which
  /// otherwise looks like a transient outage).
  /// @throws storage_error when the server cannot be asked.
  std::size_t max_statement_bytes();

  /// The schema version recorded in the database (0 for an empty one).
  int schema_version();

  /// The newest schema version this binary knows.
  static int known_schema_version() noexcept;

  /// The database server's clock, in UTC. Leases and retention use this one
  /// clock so that nodes whose clocks differ still agree.
  std::chrono::system_clock::time_point now();

  /// Storage-internal: the session pool (storage/detail/session.hpp).
  detail::session_pool& pool() noexcept { return *pool_; }

 private:
  explicit database(std::unique_ptr<detail::session_pool> pool);

  std::unique_ptr<detail::session_pool> pool_;
};

}  // namespace weft::storage
