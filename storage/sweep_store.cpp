#include "storage/sweep_store.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

std::vector<sweep_row> fetch(soci::session& s, const std::string& where_order, long long bind_id) {
  sweep_row r;
  long long id = 0, token = 0, jobs = 0, records = 0, content = 0, outputs = 0, files = 0,
            bytes = 0;
  long long bid = bind_id;
  soci::statement st(s);
  st.alloc();
  const std::string sql =
      "SELECT id, node, token, CAST(started_at AS CHAR), "
      "COALESCE(CAST(finished_at AS CHAR), ''), jobs_deleted, records_deleted, "
      "content_deleted, outputs_deleted, files_removed, bytes_freed, status, "
      "COALESCE(error, '') FROM sweeps " +
      where_order;
  st.prepare(sql);
  if (sql.find(":id") != std::string::npos) st.exchange(soci::use(bid, "id"));
  st.exchange(soci::into(id));
  st.exchange(soci::into(r.node));
  st.exchange(soci::into(token));
  st.exchange(soci::into(r.started_at));
  st.exchange(soci::into(r.finished_at));
  st.exchange(soci::into(jobs));
  st.exchange(soci::into(records));
  st.exchange(soci::into(content));
  st.exchange(soci::into(outputs));
  st.exchange(soci::into(files));
  st.exchange(soci::into(bytes));
  st.exchange(soci::into(r.status));
  st.exchange(soci::into(r.error));
  st.define_and_bind();
  std::vector<sweep_row> out;
  if (!detail::execute_select(s, st)) return out;
  do {
    r.id = id;
    r.token = token;
    r.counts = sweep_counts{};
    r.counts.jobs = jobs;
    r.counts.records = records;
    r.counts.content = content;
    r.counts.outputs = outputs;
    r.counts.files = files;
    r.counts.bytes = bytes;
    out.push_back(r);
  } while (st.fetch());
  return out;
}

}  // namespace

sweep_counts& sweep_counts::operator+=(const sweep_counts& o) {
  jobs += o.jobs;
  records += o.records;
  content += o.content;
  outputs += o.outputs;
  files += o.files;
  bytes += o.bytes;
  batches += o.batches;
  transactions += o.transactions;
  file_errors += o.file_errors;
  return *this;
}

int64_t sweep_store::begin(const std::string& node, int64_t token) {
  const auto now = detail::sql_now(db_.backend());
  return with_transaction(db_, [&](soci::session& s) {
    std::string n = node;
    long long t = token;
    s << "INSERT INTO sweeps (node, token, started_at, status) VALUES (:n, :t, " + now +
             ", 'running')",
        soci::use(n, "n"), soci::use(t, "t");
    return static_cast<int64_t>(detail::last_insert_id(s, db_.backend()));
  });
}

void sweep_store::finish(int64_t id, const sweep_counts& c, const std::string& status,
                         const std::string& error) {
  const auto now = detail::sql_now(db_.backend());
  with_session(db_, [&](soci::session& s) {
    long long sid = id, jobs = c.jobs, records = c.records, content = c.content,
              outputs = c.outputs, files = c.files, bytes = c.bytes;
    std::string st = status, err = error.substr(0, 60000);
    soci::indicator err_ind = error.empty() ? soci::i_null : soci::i_ok;
    s << "UPDATE sweeps SET finished_at = " + now +
             ", jobs_deleted = :j, records_deleted = :r, content_deleted = :c, "
             "outputs_deleted = :o, files_removed = :f, bytes_freed = :b, status = :s, "
             "error = :e WHERE id = :id",
        soci::use(jobs, "j"), soci::use(records, "r"), soci::use(content, "c"),
        soci::use(outputs, "o"), soci::use(files, "f"), soci::use(bytes, "b"), soci::use(st, "s"),
        soci::use(err, err_ind, "e"), soci::use(sid, "id");
  });
}

std::vector<sweep_row> sweep_store::abandon_older(int64_t token, const std::string& by) {
  return with_transaction(db_, [&](soci::session& s) {
    const std::string older = "WHERE status = 'running' AND token < " + std::to_string(token);
    auto rows = fetch(s, older, 0);
    if (rows.empty()) return rows;
    std::string err = "abandoned: its lease expired while it ran; found by the sweep with token " +
                      std::to_string(token) + " on " + by;
    s << "UPDATE sweeps SET status = 'abandoned', error = :e " + older, soci::use(err, "e");
    return rows;
  });
}

std::vector<sweep_row> sweep_store::history(int limit) {
  return with_session(db_, [&](soci::session& s) {
    return fetch(s, "ORDER BY id DESC LIMIT " + std::to_string(limit > 0 ? limit : 20), 0);
  });
}

sweep_row sweep_store::sweep(int64_t id) {
  auto rows = with_session(db_, [&](soci::session& s) { return fetch(s, "WHERE id = :id", id); });
  if (rows.empty()) throw storage_error(errc::not_found, "no sweep " + std::to_string(id));
  return rows.front();
}

}  // namespace weft::storage
