#include "storage/bulk_insert.hpp"

#include <cctype>

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

enum class column_type { unknown, integer, real, text };

const char* name_of(column_type t) {
  switch (t) {
    case column_type::integer:
      return "an integer";
    case column_type::real:
      return "a double";
    case column_type::text:
      return "text";
    default:
      return "NULL";
  }
}

column_type type_of(const sql_value& v) {
  switch (v.index()) {
    case 1:
      return column_type::integer;
    case 2:
      return column_type::real;
    case 3:
      return column_type::text;
    default:
      return column_type::unknown;
  }
}

bool is_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

[[noreturn]] void invalid(const bulk_rows& rows, const std::string& why) {
  throw storage_error(errc::invalid, "bulk insert into \"" + rows.table + "\": " + why);
}

/// Checks the shape and returns each column's type.
std::vector<column_type> check(const bulk_rows& rows) {
  if (!is_identifier(rows.table)) invalid(rows, "the table name is not an identifier");
  if (rows.columns.empty()) invalid(rows, "no columns");
  for (const auto& c : rows.columns) {
    if (!is_identifier(c)) invalid(rows, "the column name \"" + c + "\" is not an identifier");
  }
  std::vector<column_type> types(rows.columns.size(), column_type::unknown);
  for (std::size_t r = 0; r < rows.rows.size(); ++r) {
    const auto& row = rows.rows[r];
    if (row.size() != rows.columns.size()) {
      invalid(rows, "row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                        " values for " + std::to_string(rows.columns.size()) + " columns");
    }
    for (std::size_t c = 0; c < row.size(); ++c) {
      auto t = type_of(row[c]);
      if (t == column_type::unknown) continue;
      if (types[c] == column_type::unknown) {
        types[c] = t;
      } else if (types[c] != t) {
        invalid(rows, "column \"" + rows.columns[c] + "\" holds " + name_of(t) + " in row " +
                          std::to_string(r) + " but " + name_of(types[c]) + " before");
      }
    }
  }
  return types;
}

std::string column_list(const bulk_rows& rows) {
  std::string out;
  for (const auto& c : rows.columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

std::size_t value_bytes(const sql_value& v) {
  return v.index() == 3 ? std::get<std::string>(v).size() + 8 : 16;
}

/// MariaDB: one multi-row INSERT per chunk; every value is a positional
/// placeholder bound by reference to the caller's (stable) data.
void insert_multi_row(soci::session& s, const bulk_rows& rows,
                      const std::vector<column_type>& types, const bulk_options& options) {
  const std::string head = "INSERT INTO " + rows.table + " (" + column_list(rows) + ") VALUES ";
  const std::size_t ncols = rows.columns.size();
  const std::size_t chunk_rows = options.chunk_rows == 0 ? 1 : options.chunk_rows;
  // Values bound for NULLs; SOCI needs an lvalue of the column's type.
  std::string null_text;
  long long null_integer = 0;
  double null_real = 0;
  std::vector<soci::indicator> indicators;
  std::size_t begin = 0;
  while (begin < rows.rows.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    while (end < rows.rows.size() && end - begin < chunk_rows &&
           (end == begin || bytes < options.chunk_bytes)) {
      for (const auto& v : rows.rows[end]) bytes += value_bytes(v);
      ++end;
    }
    std::string sql = head;
    sql.reserve(head.size() + (end - begin) * ncols * 8);
    std::size_t p = 0;
    for (std::size_t r = begin; r < end; ++r) {
      sql += r == begin ? "(" : ", (";
      for (std::size_t c = 0; c < ncols; ++c, ++p) {
        if (c != 0) sql += ", ";
        sql += ":p" + std::to_string(p);
      }
      sql += ")";
    }
    indicators.assign((end - begin) * ncols, soci::i_ok);  // no reallocation below
    soci::statement st(s);
    std::size_t i = 0;
    for (std::size_t r = begin; r < end; ++r) {
      for (std::size_t c = 0; c < ncols; ++c, ++i) {
        const sql_value& v = rows.rows[r][c];
        soci::indicator& ind = indicators[i];
        if (v.index() == 0) ind = soci::i_null;
        switch (types[c]) {
          case column_type::integer:
            st.exchange(soci::use(v.index() == 0 ? null_integer : std::get<long long>(v), ind));
            break;
          case column_type::real:
            st.exchange(soci::use(v.index() == 0 ? null_real : std::get<double>(v), ind));
            break;
          default:
            st.exchange(soci::use(v.index() == 0 ? null_text : std::get<std::string>(v), ind));
            break;
        }
      }
    }
    st.alloc();
    st.prepare(sql);
    st.define_and_bind();
    st.execute(true);
    begin = end;
  }
}

/// SQLite: one prepared statement per chunk with a bound vector per column.
void insert_vectors(soci::session& s, const bulk_rows& rows, const std::vector<column_type>& types,
                    const bulk_options& options) {
  const std::size_t ncols = rows.columns.size();
  std::string sql = "INSERT INTO " + rows.table + " (" + column_list(rows) + ") VALUES (";
  for (std::size_t c = 0; c < ncols; ++c) sql += (c ? ", :c" : ":c") + std::to_string(c);
  sql += ")";
  const std::size_t chunk_rows = std::max<std::size_t>(options.chunk_rows, 1) * 10;
  std::vector<std::vector<long long>> integers(ncols);
  std::vector<std::vector<double>> reals(ncols);
  std::vector<std::vector<std::string>> texts(ncols);
  std::vector<std::vector<soci::indicator>> indicators(ncols);
  for (std::size_t begin = 0; begin < rows.rows.size(); begin += chunk_rows) {
    const std::size_t end = std::min(rows.rows.size(), begin + chunk_rows);
    for (std::size_t c = 0; c < ncols; ++c) {
      integers[c].clear();
      reals[c].clear();
      texts[c].clear();
      indicators[c].clear();
      for (std::size_t r = begin; r < end; ++r) {
        const sql_value& v = rows.rows[r][c];
        indicators[c].push_back(v.index() == 0 ? soci::i_null : soci::i_ok);
        switch (types[c]) {
          case column_type::integer:
            integers[c].push_back(v.index() == 0 ? 0 : std::get<long long>(v));
            break;
          case column_type::real:
            reals[c].push_back(v.index() == 0 ? 0.0 : std::get<double>(v));
            break;
          default:
            texts[c].push_back(v.index() == 0 ? std::string() : std::get<std::string>(v));
            break;
        }
      }
    }
    soci::statement st(s);
    for (std::size_t c = 0; c < ncols; ++c) {
      const std::string name = "c" + std::to_string(c);
      switch (types[c]) {
        case column_type::integer:
          st.exchange(soci::use(integers[c], indicators[c], name));
          break;
        case column_type::real:
          st.exchange(soci::use(reals[c], indicators[c], name));
          break;
        default:
          st.exchange(soci::use(texts[c], indicators[c], name));
          break;
      }
    }
    st.alloc();
    st.prepare(sql);
    st.define_and_bind();
    st.execute(true);
  }
}

}  // namespace

namespace detail {

std::size_t bulk_insert(soci::session& s, backend_kind kind, const bulk_rows& rows,
                        const bulk_options& options) {
  const auto types = check(rows);
  if (rows.rows.empty()) return 0;
  if (kind == backend_kind::mariadb) {
    insert_multi_row(s, rows, types, options);
  } else {
    insert_vectors(s, rows, types, options);
  }
  return rows.rows.size();
}

}  // namespace detail

std::size_t bulk_insert(database& db, const bulk_rows& rows, const bulk_options& options) {
  check(rows);  // fail before taking a session
  if (rows.rows.empty()) return 0;
  return detail::with_transaction(
      db, [&](soci::session& s) { return detail::bulk_insert(s, db.backend(), rows, options); });
}

}  // namespace weft::storage
