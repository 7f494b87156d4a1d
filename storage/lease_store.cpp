#include "storage/lease_store.hpp"

#include <cstdio>

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::sql_now;
using detail::sql_now_plus;
using detail::with_session;
using detail::with_transaction;
using std::chrono::milliseconds;

/// `column + offset` as a timestamp of the same form, on either backend.
std::string plus(backend_kind kind, const std::string& column, milliseconds offset) {
  if (kind == backend_kind::mariadb)
    return "(" + column + " + INTERVAL " + std::to_string(offset.count() * 1000) + " MICROSECOND)";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%+.3f seconds",
                static_cast<double>(offset.count()) / 1000.0);
  return "strftime('%Y-%m-%d %H:%M:%f', " + column + ", '" + buffer + "')";
}

std::string greatest(backend_kind kind, const std::string& a, const std::string& b) {
  return (kind == backend_kind::mariadb ? "GREATEST(" : "MAX(") + a + ", " + b + ")";
}

const char* const lease_columns =
    "name, COALESCE(holder, ''), token, CAST(lock_until AS CHAR), "
    "COALESCE(CAST(acquired_at AS CHAR), '')";

std::vector<lease_info> fetch(soci::session& s, backend_kind kind, const std::string& where,
                              const std::string& bind_name) {
  std::string name_in = bind_name;
  std::string name, holder, lock_until, acquired_at;
  long long token = 0;
  int expired = 0;
  soci::statement st(s);
  st.alloc();
  st.prepare("SELECT " + std::string(lease_columns) + ", CASE WHEN lock_until < " + sql_now(kind) +
             " THEN 1 ELSE 0 END FROM leases " + where + " ORDER BY name");
  if (!bind_name.empty()) st.exchange(soci::use(name_in, "name"));
  st.exchange(soci::into(name));
  st.exchange(soci::into(holder));
  st.exchange(soci::into(token));
  st.exchange(soci::into(lock_until));
  st.exchange(soci::into(acquired_at));
  st.exchange(soci::into(expired));
  st.define_and_bind();
  std::vector<lease_info> out;
  if (!detail::execute_select(s, st)) return out;
  do {
    out.push_back({name, holder, token, lock_until, acquired_at, expired != 0});
  } while (st.fetch());
  return out;
}

}  // namespace

std::optional<int64_t> lease_store::try_acquire(const std::string& name, const std::string& holder,
                                                milliseconds lock_at_most) {
  const auto kind = db_.backend();
  const std::string now = sql_now(kind);
  const std::string until = sql_now_plus(kind, lock_at_most);
  try {
    return with_transaction(db_, [&](soci::session& s) -> std::optional<int64_t> {
      std::string n = name, h = holder;
      // Free means expired on the database clock. The conditional UPDATE is the
      // whole decision: of several racing callers, the row lock lets one through.
      soci::statement take =
          (s.prepare << "UPDATE leases SET holder = :h, token = token + 1, lock_until = " + until +
                            ", acquired_at = " + now + " WHERE name = :n AND lock_until < " + now,
           soci::use(h, "h"), soci::use(n, "n"));
      take.execute(true);
      long long token = 0;
      if (take.get_affected_rows() == 1) {
        s << "SELECT token FROM leases WHERE name = :n", soci::use(n, "n"), soci::into(token);
        return token;
      }
      long long rows = 0;
      s << "SELECT COUNT(*) FROM leases WHERE name = :n", soci::use(n, "n"), soci::into(rows);
      if (rows > 0) return std::nullopt;  // held by someone
      // First acquisition of this name. Two first inserts collide on the primary
      // key: the loser gets a conflict below and reports "not taken".
      s << "INSERT INTO leases (name, holder, token, lock_until, acquired_at) VALUES (:n, :h, 1, " +
               until + ", " + now + ")",
          soci::use(n, "n"), soci::use(h, "h");
      return 1;
    });
  } catch (const storage_error& e) {
    if (e.code == errc::conflict) return std::nullopt;
    throw;
  }
}

bool lease_store::renew(const std::string& name, const std::string& holder, int64_t token,
                        milliseconds lock_at_most) {
  const auto kind = db_.backend();
  return with_session(db_, [&](soci::session& s) {
    std::string n = name, h = holder;
    long long t = token;
    soci::statement st =
        (s.prepare << "UPDATE leases SET lock_until = " + sql_now_plus(kind, lock_at_most) +
                          " WHERE name = :n AND holder = :h AND token = :t AND lock_until >= " +
                          sql_now(kind),
         soci::use(n, "n"), soci::use(h, "h"), soci::use(t, "t"));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

bool lease_store::release(const std::string& name, const std::string& holder, int64_t token,
                          milliseconds lock_at_least) {
  const auto kind = db_.backend();
  return with_session(db_, [&](soci::session& s) {
    std::string n = name, h = holder;
    long long t = token;
    // On MariaDB an UPDATE that leaves the row as it was reports 0 rows; the
    // fence is the WHERE clause, so count the matching row separately.
    soci::statement st =
        (s.prepare << "UPDATE leases SET lock_until = " +
                          greatest(kind, plus(kind, "acquired_at", lock_at_least), sql_now(kind)) +
                          " WHERE name = :n AND holder = :h AND token = :t",
         soci::use(n, "n"), soci::use(h, "h"), soci::use(t, "t"));
    st.execute(true);
    if (st.get_affected_rows() == 1) return true;
    long long rows = 0;
    s << "SELECT COUNT(*) FROM leases WHERE name = :n AND holder = :h AND token = :t",
        soci::use(n, "n"), soci::use(h, "h"), soci::use(t, "t"), soci::into(rows);
    return rows == 1;
  });
}

std::vector<lease_info> lease_store::describe() {
  return with_session(db_, [&](soci::session& s) { return fetch(s, db_.backend(), "", ""); });
}

std::optional<lease_info> lease_store::describe(const std::string& name) {
  auto rows = with_session(
      db_, [&](soci::session& s) { return fetch(s, db_.backend(), "WHERE name = :name", name); });
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

}  // namespace weft::storage
