#pragma once

#include <stdexcept>
#include <string>

namespace weft::storage {

/// What kind of failure a storage call met; callers decide on retries by it.
///
/// Every exception the database drivers throw is translated into one of these
/// inside `storage/` (see docs/storage.md, "Errors"), so no other module ever
/// sees a SOCI type.
enum class errc {
  /// The database cannot be reached right now: connection refused or lost,
  /// server shutting down, connect or read timeout, file cannot be opened.
  /// Nothing was acknowledged; the same call may succeed later.
  unavailable,
  /// The write collided with other data or another writer: duplicate key,
  /// deadlock, lock wait timeout, SQLITE_BUSY/LOCKED, constraint violation.
  /// The unit of work was not applied; retry it or treat the row as existing.
  conflict,
  /// The row the caller asked for does not exist (raised by repositories).
  not_found,
  /// Stored data cannot be read as what Weft expects: a wrong type, a value
  /// out of range, text that is not UTF-8, a damaged file. Retrying will not help.
  corrupt,
  /// The caller or the configuration is wrong: bad URL, access denied, unknown
  /// database, a statement the server rejects, a schema newer than this Weft.
  /// Retrying will not help; fix the input.
  invalid,
  /// A master's write was refused because the scheduler lease's fencing token it writes under
  /// is no longer the current one: another master took over (docs/cluster.md "Master
  /// failover"). Nothing was applied; the writer must step down, never retry.
  fenced,
};

/// Stable lower-case name of an error kind ("unavailable", "conflict", ...).
const char* to_string(errc code) noexcept;

/// The one exception type that leaves `storage/`.
///
/// `what()` is a complete sentence for an operator: it names the database
/// (never the password) and carries the driver's message.
struct storage_error : std::runtime_error {
  storage_error(errc c, const std::string& message) : std::runtime_error(message), code(c) {}

  errc code;
};

}  // namespace weft::storage
