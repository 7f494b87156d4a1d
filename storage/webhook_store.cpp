#include "storage/webhook_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

std::vector<webhook_delivery> fetch(soci::session& s, backend_kind kind, const std::string& where,
                                    long long bind, int limit) {
  webhook_delivery d;
  long long id = 0, job = 0;
  int attempts = 0, status = 0, past = 0;
  soci::indicator status_ind = soci::i_ok, error_ind = soci::i_ok;
  long long b = bind;
  int lim = limit;
  soci::statement st(s);
  st.alloc();
  const std::string sql =
      "SELECT id, job_id, delivery_id, url, body, signing, state, attempts, last_status, "
      "last_error, CASE WHEN give_up_at <= " +
      detail::sql_now(kind) + " THEN 1 ELSE 0 END FROM webhook_deliveries " + where +
      " ORDER BY id LIMIT :lim";
  st.prepare(sql);
  if (where.find(":b") != std::string::npos) st.exchange(soci::use(b, "b"));
  st.exchange(soci::use(lim, "lim"));
  st.exchange(soci::into(id));
  st.exchange(soci::into(job));
  st.exchange(soci::into(d.delivery_id));
  st.exchange(soci::into(d.url));
  st.exchange(soci::into(d.body));
  st.exchange(soci::into(d.signing));
  st.exchange(soci::into(d.state));
  st.exchange(soci::into(attempts));
  st.exchange(soci::into(status, status_ind));
  st.exchange(soci::into(d.last_error, error_ind));
  st.exchange(soci::into(past));
  st.define_and_bind();
  std::vector<webhook_delivery> out;
  if (!detail::execute_select(s, st)) return out;
  do {
    webhook_delivery r = d;
    r.id = id;
    r.job_id = job;
    r.attempts = attempts;
    r.last_status = status_ind == soci::i_ok ? status : 0;
    if (error_ind != soci::i_ok) r.last_error.clear();
    r.past_give_up = past != 0;
    out.push_back(std::move(r));
  } while (st.fetch());
  return out;
}

}  // namespace

std::vector<webhook_candidate> webhook_store::undelivered_jobs(int limit) {
  return with_session(db_, [&](soci::session& s) {
    long long id = 0;
    std::string options, signing;
    int lim = limit;
    // webhook_requests holds only the jobs with a callback whose delivery is not created
    // yet (a handful), each joined to its job by primary key: cheap twice a second.
    soci::statement st =
        (s.prepare << "SELECT r.job_id, j.options, r.signing FROM webhook_requests r JOIN jobs j "
                      "ON j.id = r.job_id WHERE j.state IN ('done', 'failed', 'cancelled') "
                      "ORDER BY r.job_id LIMIT :lim",
         soci::use(lim, "lim"), soci::into(id), soci::into(options), soci::into(signing));
    std::vector<webhook_candidate> out;
    if (!detail::execute_select(s, st)) return out;
    do {
      out.push_back({id, options, signing});
    } while (st.fetch());
    return out;
  });
}

bool webhook_store::create(int64_t job_id, const std::string& delivery_id, const std::string& url,
                           const std::string& body, const std::string& signing,
                           std::chrono::milliseconds retry_for) {
  const auto kind = db_.backend();
  return with_transaction(db_, [&](soci::session& s) {
    long long job = job_id;
    s << "DELETE FROM webhook_requests WHERE job_id = :j", soci::use(job, "j");
    if (url.empty()) return false;
    long long existing = 0;
    s << "SELECT COUNT(*) FROM webhook_deliveries WHERE job_id = :j", soci::use(job, "j"),
        soci::into(existing);
    if (existing > 0) return false;
    std::string did = delivery_id, u = url, b = body, sg = signing;
    s << "INSERT INTO webhook_deliveries (job_id, delivery_id, url, body, signing, state, "
         "attempts, next_attempt_at, give_up_at, created_at) VALUES (:j, :d, :u, :b, :s, "
         "'pending', 0, " +
             detail::sql_now(kind) + ", " + detail::sql_now_plus(kind, retry_for) + ", " +
             detail::sql_now(kind) + ")",
        soci::use(job, "j"), soci::use(did, "d"), soci::use(u, "u"), soci::use(b, "b"),
        soci::use(sg, "s");
    return true;
  });
}

std::vector<webhook_delivery> webhook_store::due(int limit) {
  const auto kind = db_.backend();
  return with_session(db_, [&](soci::session& s) {
    return fetch(s, kind, "WHERE state = 'pending' AND next_attempt_at <= " + detail::sql_now(kind),
                 0, limit);
  });
}

void webhook_store::record_attempt(const webhook_delivery& d, bool delivered, int status,
                                   const std::string& error, std::chrono::milliseconds took,
                                   std::chrono::milliseconds retry_in) {
  const auto kind = db_.backend();
  with_transaction(db_, [&](soci::session& s) {
    long long id = d.id;
    int attempt = d.attempts + 1;
    int st = status;
    soci::indicator st_ind = status > 0 ? soci::i_ok : soci::i_null;
    std::string err = error;
    soci::indicator err_ind = error.empty() ? soci::i_null : soci::i_ok;
    long long ms = took.count();
    s << "INSERT INTO webhook_attempts (delivery, attempt, at, status, error, millis) "
         "VALUES (:id, :a, " +
             detail::sql_now(kind) + ", :st, :e, :ms)",
        soci::use(id, "id"), soci::use(attempt, "a"), soci::use(st, st_ind, "st"),
        soci::use(err, err_ind, "e"), soci::use(ms, "ms");
    const std::string state = delivered ? "delivered" : d.past_give_up ? "failed" : "pending";
    s << "UPDATE webhook_deliveries SET state = :state, attempts = :a, last_status = :st, "
         "last_error = :e, next_attempt_at = " +
             detail::sql_now_plus(kind, retry_in) +
             ", delivered_at = " + (delivered ? detail::sql_now(kind) : std::string{"NULL"}) +
             " WHERE id = :id",
        soci::use(state, "state"), soci::use(attempt, "a"), soci::use(st, st_ind, "st"),
        soci::use(err, err_ind, "e"), soci::use(id, "id");
  });
}

webhook_delivery webhook_store::of_job(int64_t job_id) {
  const auto kind = db_.backend();
  auto rows = with_session(
      db_, [&](soci::session& s) { return fetch(s, kind, "WHERE job_id = :b", job_id, 1); });
  return rows.empty() ? webhook_delivery{} : rows.front();
}

}  // namespace weft::storage
