#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "storage/database.hpp"

namespace soci {
class session;
}

namespace weft::storage {

/// One cell of a bulk write: NULL, an integer, a double or text/bytes
/// (std::string is binary-safe on both backends).
using sql_value = std::variant<std::nullptr_t, long long, double, std::string>;

/// Rows to append to one table. Every row has one value per column; within a
/// column all non-NULL values have the same type.
struct bulk_rows {
  std::string table;                         ///< an identifier: [A-Za-z_][A-Za-z0-9_]*
  std::vector<std::string> columns;          ///< identifiers, in value order
  std::vector<std::vector<sql_value>> rows;  ///< row-major
};

/// How rows are cut into statements on MariaDB.
struct bulk_options {
  std::size_t chunk_rows = 500;        ///< rows per multi-row INSERT
  std::size_t chunk_bytes = 4u << 20;  ///< flush earlier past this much text (max_allowed_packet)
};

/// Appends all rows in one transaction (all or nothing) and returns how many.
///
/// MariaDB: multi-row `INSERT … VALUES (…),(…)` statements of `chunk_rows`
/// rows, every value bound as a named placeholder (one round trip per chunk,
/// not per row). SQLite: one prepared statement with bound vectors.
/// Re-run once on a lost connection (the transaction was not committed).
///
/// @throws storage_error invalid for bad identifiers, ragged rows or mixed
///   column types; conflict for a duplicate key (nothing is inserted).
std::size_t bulk_insert(database& db, const bulk_rows& rows, const bulk_options& options = {});

namespace detail {

/// The same on a session the caller holds, inside the caller's transaction
/// (storage-internal; does not begin or commit).
std::size_t bulk_insert(soci::session& s, backend_kind kind, const bulk_rows& rows,
                        const bulk_options& options = {});

}  // namespace detail

}  // namespace weft::storage
