#pragma once

// Storage-internal: the versioned schema (docs/storage.md, "Schema").

#include <chrono>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage::detail {

/// One statement of a migration, spelled for each backend (empty: nothing to
/// do on that backend). Every MariaDB statement must be idempotent (IF NOT
/// EXISTS, ...) or guarded by `mariadb_done_if`: on MariaDB each DDL
/// statement commits on its own, so a migration interrupted half-way is
/// re-run from its first statement by the next process that holds the lease.
/// On SQLite a migration is one transaction and need not be idempotent.
struct migration_step {
  std::string mariadb;
  std::string sqlite;
  /// MariaDB only: a query returning one count, usually of information_schema
  /// rows that `mariadb` creates; when it is above 0 the statement has been
  /// applied before and is skipped. For statements that cannot say IF NOT
  /// EXISTS portably, such as ALTER TABLE (MySQL has no ADD COLUMN IF NOT EXISTS).
  std::string mariadb_done_if = {};
};

/// A numbered schema change.
struct migration {
  int version;
  std::string name;
  std::vector<migration_step> steps;
};

/// All migrations, ascending by version, without gaps.
const std::vector<migration>& migrations();

/// The newest version in migrations().
int known_schema_version() noexcept;

/// The newest version recorded in `schema_migrations` (0 if none).
int schema_version(database& db);

/// Throws storage_error invalid when the database is newer than this binary.
void check_not_newer(database& db);

/// Brings the schema to `target` (by default known_schema_version()); see
/// database::migrate. A lower target is for tests that need an older schema
/// to upgrade from; a database already past it is left alone.
migration_report migrate(database& db, std::chrono::milliseconds wait,
                         int target = known_schema_version());

}  // namespace weft::storage::detail
