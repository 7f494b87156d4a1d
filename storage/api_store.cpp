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
  if (!detail::execute_select(s, st)) return out;
  do {
    r.id = id;
    r.expired = expired != 0;
    out.push_back(r);
  } while (st.fetch());
  return out;
}

}  // namespace

int64_t api_store::create(const std::string& name, const std::string& hash,
                          const std::string& scope, std::chrono::milliseconds expires_in,
                          const std::string& webhook_salt) {
  const auto kind = db_.backend();
  const auto now = detail::sql_now(kind);
  const auto expires = expires_in.count() > 0 ? detail::sql_now_plus(kind, expires_in) : "NULL";
  return with_transaction(db_, [&](soci::session& s) {
    std::string n = name, h = hash, sc = scope;
    long long existing = 0;
    s << "SELECT COUNT(*) FROM api_tokens WHERE name = :n", soci::use(n, "n"), soci::into(existing);
    if (existing > 0) throw storage_error(errc::conflict, "a token named '" + name + "' exists");
    std::string salt = webhook_salt;
    soci::indicator salt_ind = salt.empty() ? soci::i_null : soci::i_ok;
    s << "INSERT INTO api_tokens (name, token_hash, scope, created_at, expires_at, "
         "webhook_salt) VALUES (:n, :h, :s, " +
             now + ", " + expires + ", :w)",
        soci::use(n, "n"), soci::use(h, "h"), soci::use(sc, "s"), soci::use(salt, salt_ind, "w");
    return static_cast<int64_t>(detail::last_insert_id(s, kind));
  });
}

std::string api_store::webhook_salt(int64_t token_id) {
  return with_session(db_, [&](soci::session& s) {
    long long t = token_id;
    std::string salt;
    soci::indicator ind = soci::i_null;
    s << "SELECT webhook_salt FROM api_tokens WHERE id = :t", soci::use(t, "t"),
        soci::into(salt, ind);
    return s.got_data() && ind == soci::i_ok ? salt : std::string{};
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
         "job_id > 0 AND created_at > " +
             since,
        soci::use(t, "t"), soci::use(k, "k"), soci::into(job, ind);
    if (!s.got_data() || ind != soci::i_ok) return std::nullopt;
    return static_cast<int64_t>(job);
  });
}

api_store::key_claim api_store::claim_key(int64_t token_id, const std::string& key,
                                          std::chrono::milliseconds window,
                                          std::chrono::milliseconds stale) {
  const auto kind = db_.backend();
  const auto now = detail::sql_now(kind);
  const auto since = detail::sql_now_plus(kind, -window);
  const auto stale_since = detail::sql_now_plus(kind, -stale);
  // Three autocommitted statements, no transaction: the insert alone decides (the primary
  // key lets one of two racing inserts in), and no range lock is held across them that
  // two racing requests could deadlock on.
  return with_session(db_, [&](soci::session& s) -> key_claim {
    long long t = token_id;
    std::string k = key;
    s << "DELETE FROM api_idempotency WHERE token_id = :t AND idem_key = :k AND (created_at <= " +
             since + " OR (job_id = 0 AND created_at <= " + stale_since + "))",
        soci::use(t, "t"), soci::use(k, "k");
    soci::statement ins =
        (s.prepare << std::string(kind == backend_kind::mariadb ? "INSERT IGNORE"
                                                                : "INSERT OR IGNORE") +
                          " INTO api_idempotency (token_id, idem_key, job_id, created_at) VALUES "
                          "(:t, :k, 0, " +
                          now + ")",
         soci::use(t, "t"), soci::use(k, "k"));
    ins.execute(true);
    if (ins.get_affected_rows() > 0) return {key_claim::mine, 0};
    long long job = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT job_id FROM api_idempotency WHERE token_id = :t AND idem_key = :k",
        soci::use(t, "t"), soci::use(k, "k"), soci::into(job, ind);
    if (!s.got_data() || ind != soci::i_ok) return {key_claim::pending, 0};  // gone meanwhile
    if (job > 0) return {key_claim::done, static_cast<int64_t>(job)};
    return {key_claim::pending, 0};
  });
}

void api_store::set_key_job(int64_t token_id, const std::string& key, int64_t job) {
  with_session(db_, [&](soci::session& s) {
    long long t = token_id, j = job;
    std::string k = key;
    s << "UPDATE api_idempotency SET job_id = :j WHERE token_id = :t AND idem_key = :k",
        soci::use(j, "j"), soci::use(t, "t"), soci::use(k, "k");
    return 0;
  });
}

void api_store::release_key(int64_t token_id, const std::string& key) {
  with_session(db_, [&](soci::session& s) {
    long long t = token_id;
    std::string k = key;
    s << "DELETE FROM api_idempotency WHERE token_id = :t AND idem_key = :k AND job_id = 0",
        soci::use(t, "t"), soci::use(k, "k");
    return 0;
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
    if (!detail::execute_select(s, q)) return out;
    do out.push_back(id);
    while (q.fetch());
    return out;
  });
}

}  // namespace weft::storage
