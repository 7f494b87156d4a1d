#include "storage/settings_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

template <class F>
auto settings_store::write(F&& f) {
  if (!fence_) return detail::with_session(db_, f);
  return detail::with_transaction(db_, [&](soci::session& s) {
    check_fence(s, db_.backend(), *fence_);
    return f(s);
  });
}

std::vector<setting_row> settings_store::all() {
  return detail::with_session(db_, [&](soci::session& s) {
    std::string name, value, set_by, set_at;
    long long seq = 0;
    soci::statement st =
        (s.prepare << "SELECT name, value, set_by, " + detail::sql_timestamp_text("set_at") +
                          ", seq FROM settings ORDER BY seq, name",
         soci::into(name), soci::into(value), soci::into(set_by), soci::into(set_at),
         soci::into(seq));
    std::vector<setting_row> out;
    if (!detail::execute_select(s, st)) return out;
    do {
      out.push_back({name, value, set_by, set_at, seq});
    } while (st.fetch());
    return out;
  });
}

void settings_store::put(const std::string& name, const std::string& value,
                         const std::string& set_by) {
  // The column sizes (VARCHAR(191) and VARCHAR(200) on MariaDB), in bytes to be safe.
  if (name.empty() || name.size() > 191 || set_by.size() > 200)
    throw storage_error(errc::invalid, describe(db_.spec()) +
                                           ": a setting name must have 1 to "
                                           "191 bytes and set_by at most 200");
  const auto kind = db_.backend();
  const std::string now = detail::sql_now(kind);
  write([&](soci::session& s) {
    std::string n = name, v = value, b = set_by;
    if (kind == backend_kind::mariadb) {
      // REPLACE deletes the old row and inserts a new one, which takes the next
      // AUTO_INCREMENT `seq`: greater than every row's, even under concurrent puts.
      s << "REPLACE INTO settings (name, value, set_by, set_at) VALUES (:n, :v, :b, " + now + ")",
          soci::use(n, "n"), soci::use(v, "v"), soci::use(b, "b");
    } else {
      // One statement: SQLite's single writer makes MAX(seq) + 1 safe, and the subquery sees
      // the old row of `name`, so a replaced value still moves to the end.
      s << "INSERT INTO settings (name, value, set_by, set_at, seq) VALUES (:n, :v, :b, " + now +
               ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM settings)) ON CONFLICT (name) DO "
               "UPDATE SET value = excluded.value, set_by = excluded.set_by, "
               "set_at = excluded.set_at, seq = excluded.seq",
          soci::use(n, "n"), soci::use(v, "v"), soci::use(b, "b");
    }
  });
}

bool settings_store::remove(const std::string& name) {
  return write([&](soci::session& s) {
    std::string n = name;
    soci::statement st = (s.prepare << "DELETE FROM settings WHERE name = :n", soci::use(n, "n"));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

}  // namespace weft::storage
