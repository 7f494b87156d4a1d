#include "storage/api_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

std::vector<token_row> fetch(soci::session& s, backend_kind kind, const std::string& where,
                             const std::string& bind) {
  token_row r;
  long long id = 0;
  int expired = 0;
  std::string b = bind;
  soci::statement st(s);
  st.alloc();
  const std::string sql =
      "SELECT id, name, scope, CAST(created_at AS CHAR), COALESCE(CAST(expires_at AS CHAR), ''), "
      "COALESCE(CAST(revoked_at AS CHAR), ''), CASE WHEN expires_at IS NOT NULL AND expires_at "
      "<= " +
      detail::sql_now(kind) + " THEN 1 ELSE 0 END FROM api_tokens " + where;
  st.prepare(sql);
  if (sql.find(":b") != std::string::npos) st.exchange(soci::use(b, "b"));
  st.exchange(soci::into(id));
  st.exchange(soci::into(r.name));
  st.exchange(soci::into(r.scope));
  st.exchange(soci::into(r.created_at));
  st.exchange(soci::into(r.expires_at));
  st.exchange(soci::into(r.revoked_at));
  st.exchange(soci::into(expired));
  st.define_and_bind();
  std::vector<token_row> out;
  if (!st.execute(true)) return out;
  do {
    r.id = id;
    r.expired = expired != 0;
    out.push_back(r);
  } while (st.fetch());
  return out;
}

}  // namespace

int64_t api_store::create(const std::string& name, const std::string& hash,
                          const std::string& scope, std::chrono::milliseconds expires_in) {
  const auto kind = db_.backend();
  const auto now = detail::sql_now(kind);
  const auto expires = expires_in.count() > 0 ? detail::sql_now_plus(kind, expires_in) : "NULL";
  return with_transaction(db_, [&](soci::session& s) {
    std::string n = name, h = hash, sc = scope;
    long long existing = 0;
    s << "SELECT COUNT(*) FROM api_tokens WHERE name = :n", soci::use(n, "n"), soci::into(existing);
    if (existing > 0) throw storage_error(errc::conflict, "a token named '" + name + "' exists");
    s << "INSERT INTO api_tokens (name, token_hash, scope, created_at, expires_at) VALUES (:n, "
         ":h, :s, " +
             now + ", " + expires + ")",
        soci::use(n, "n"), soci::use(h, "h"), soci::use(sc, "s");
    return static_cast<int64_t>(detail::last_insert_id(s, kind));
  });
}

std::optional<token_row> api_store::find_valid(const std::string& hash) {
  const auto kind = db_.backend();
  auto rows = with_session(db_, [&](soci::session& s) {
    return fetch(s, kind, "WHERE token_hash = :b AND revoked_at IS NULL", hash);
  });
  for (auto& r : rows)
    if (!r.expired) return r;
  return std::nullopt;
}

std::vector<token_row> api_store::list() {
  const auto kind = db_.backend();
  return with_session(db_, [&](soci::session& s) { return fetch(s, kind, "ORDER BY name", ""); });
}

bool api_store::revoke(const std::string& name) {
  const auto now = detail::sql_now(db_.backend());
  return with_transaction(db_, [&](soci::session& s) {
    std::string n = name;
    soci::statement upd = (s.prepare << "UPDATE api_tokens SET revoked_at = " + now +
                                            " WHERE name = :n AND revoked_at IS NULL",
                           soci::use(n, "n"));
    upd.execute(true);
    return upd.get_affected_rows() > 0;
  });
}

std::optional<int64_t> api_store::idempotent_job(int64_t token_id, const std::string& key,
                                                 std::chrono::milliseconds window) {
  const auto since = detail::sql_now_plus(db_.backend(), -window);
  return with_session(db_, [&](soci::session& s) -> std::optional<int64_t> {
    long long t = token_id, job = 0;
    std::string k = key;
    soci::indicator ind = soci::i_null;
    s << "SELECT job_id FROM api_idempotency WHERE token_id = :t AND idem_key = :k AND "
         "created_at > " +
             since,
        soci::use(t, "t"), soci::use(k, "k"), soci::into(job, ind);
    if (!s.got_data() || ind != soci::i_ok) return std::nullopt;
    return static_cast<int64_t>(job);
  });
}

int64_t api_store::remember_job(int64_t token_id, const std::string& key, int64_t job,
                                std::chrono::milliseconds window) {
  const auto kind = db_.backend();
  const auto now = detail::sql_now(kind);
  const auto since = detail::sql_now_plus(kind, -window);
  return with_transaction(db_, [&](soci::session& s) -> int64_t {
    long long t = token_id, j = job, found = 0;
    std::string k = key;
    s << "DELETE FROM api_idempotency WHERE token_id = :t AND idem_key = :k AND created_at <= " +
             since,
        soci::use(t, "t"), soci::use(k, "k");
    soci::indicator ind = soci::i_null;
    s << "SELECT job_id FROM api_idempotency WHERE token_id = :t AND idem_key = :k",
        soci::use(t, "t"), soci::use(k, "k"), soci::into(found, ind);
    if (s.got_data() && ind == soci::i_ok) return static_cast<int64_t>(found);
    s << "INSERT INTO api_idempotency (token_id, idem_key, job_id, created_at) VALUES (:t, :k, "
         ":j, " +
             now + ")",
        soci::use(t, "t"), soci::use(k, "k"), soci::use(j, "j");
    return job;
  });
}

std::vector<int64_t> api_store::job_page(const std::string& state, int64_t before, int limit) {
  return with_session(db_, [&](soci::session& s) {
    std::string where = "WHERE 1 = 1";
    if (state == "running")
      where += " AND state IN ('queued', 'mapping', 'merging', 'weaving')";
    else if (!state.empty())
      where += " AND state = :st";
    if (before > 0) where += " AND id < :b";
    std::string st_value = state;
    long long b = before;
    long long id = 0;
    soci::statement q(s);
    q.alloc();
    const std::string sql =
        "SELECT id FROM jobs " + where + " ORDER BY id DESC LIMIT " + std::to_string(limit);
    q.prepare(sql);
    if (sql.find(":st") != std::string::npos) q.exchange(soci::use(st_value, "st"));
    if (sql.find(":b") != std::string::npos) q.exchange(soci::use(b, "b"));
    q.exchange(soci::into(id));
    q.define_and_bind();
    std::vector<int64_t> out;
    if (!q.execute(true)) return out;
    do out.push_back(id);
    while (q.fetch());
    return out;
  });
}

}  // namespace weft::storage
