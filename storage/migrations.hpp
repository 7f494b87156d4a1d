#pragma once

// Storage-internal: the versioned schema (docs/storage.md, "Schema").

#include <chrono>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage::detail {

/// One statement of a migration, spelled for each backend. Every statement
/// must be idempotent (IF NOT EXISTS, ...): on MariaDB each DDL statement
/// commits on its own, so a migration interrupted half-way is re-run from
/// its first statement by the next process that holds the lease.
struct migration_step {
  std::string mariadb;
  std::string sqlite;
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

/// Brings the schema to known_schema_version(); see database::migrate.
migration_report migrate(database& db, std::chrono::milliseconds wait);

}  // namespace weft::storage::detail
