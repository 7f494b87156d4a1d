#include "storage/job_store.hpp"

#include <algorithm>
#include <tuple>

#include "storage/bulk_insert.hpp"
#include "storage/detail/session.hpp"
#include "storage/short_read.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

/// A scheduler write: with a fence, one transaction that first checks the fence (so the
/// write and the check commit together or not at all); without, as the write always ran.
template <class F>
auto fenced_write(database& db, const std::optional<write_fence>& fence, bool transaction, F&& f) {
  if (fence)
    return with_transaction(db, [&](soci::session& s) {
      check_fence(s, db.backend(), *fence);
      return f(s);
    });
  if (transaction) return with_transaction(db, f);
  return with_session(db, f);
}

constexpr const char* job_states[] = {"queued", "mapping", "merging",  "weaving",
                                      "done",   "failed",  "cancelled"};

/// `what` over the job's merge batches that are done. Progress is counted from the
/// batches, not kept in counters on the job row: a completion then writes two rows, not
/// three (it is the durable part of the scheduling overhead per batch), and nothing can
/// make the two disagree. Batches live as long as their job (content rows do not).
std::string done_merge(const std::string& what) {
  return "(SELECT " + what +
         " FROM batches b WHERE b.job_id = jobs.id AND b.phase = 'merge' AND b.state = 'done')";
}

/// Timestamps come back as text on both backends: "YYYY-MM-DD HH:MM:SS.ffffff".
const std::string job_columns =
    "id, state, COALESCE(job_class, ''), format, template_path, data_path, data_format, "
    "options, record_count, " +
    done_merge("CAST(COALESCE(SUM(b.last_seq - b.first_seq + 1), 0) AS SIGNED)") +
    ", batch_count, " + done_merge("COUNT(*)") + ", COALESCE(error, ''), " +
    detail::sql_timestamp_text("submitted_at") + ", " + detail::sql_timestamp_text("started_at") +
    ", " + detail::sql_timestamp_text("finished_at") + ", granted_engines";

/// Reads jobs selected with job_columns, in vectors, chunk by chunk.
std::vector<job_row> fetch_jobs(soci::session& s, const std::string& where_order, int limit,
                                const std::string& bind_state, int64_t bind_id) {
  const std::size_t chunk = 200;
  std::vector<long long> id(chunk), record_count(chunk), records_done(chunk), batch_count(chunk),
      batches_done(chunk), granted(chunk);
  std::vector<std::string> state(chunk), cls(chunk), format(chunk), tpath(chunk), dpath(chunk),
      dformat(chunk), options(chunk), error(chunk), submitted(chunk), started(chunk),
      finished(chunk);
  std::string sql = "SELECT " + job_columns + " FROM jobs " + where_order;
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  long long bid = bind_id;
  std::string bstate = bind_state;
  soci::statement st(s);
  st.alloc();
  st.prepare(sql);
  if (sql.find(":state") != std::string::npos) st.exchange(soci::use(bstate, "state"));
  if (sql.find(":id") != std::string::npos) st.exchange(soci::use(bid, "id"));
  st.exchange(soci::into(id));
  st.exchange(soci::into(state));
  st.exchange(soci::into(cls));
  st.exchange(soci::into(format));
  st.exchange(soci::into(tpath));
  st.exchange(soci::into(dpath));
  st.exchange(soci::into(dformat));
  st.exchange(soci::into(options));
  st.exchange(soci::into(record_count));
  st.exchange(soci::into(records_done));
  st.exchange(soci::into(batch_count));
  st.exchange(soci::into(batches_done));
  st.exchange(soci::into(error));
  st.exchange(soci::into(submitted));
  st.exchange(soci::into(started));
  st.exchange(soci::into(finished));
  st.exchange(soci::into(granted));
  st.define_and_bind();
  std::vector<job_row> out;
  if (!detail::execute_select(s, st)) return out;
  do {
    for (std::size_t i = 0; i < id.size(); ++i) {
      job_row r;
      r.id = id[i];
      r.state = job_state_from(state[i]);
      r.job_class = cls[i];
      r.format = format[i];
      r.template_path = tpath[i];
      r.data_path = dpath[i];
      r.data_format = dformat[i];
      r.options_json = options[i];
      r.record_count = record_count[i];
      r.records_done = records_done[i];
      r.batch_count = static_cast<int>(batch_count[i]);
      r.batches_done = static_cast<int>(batches_done[i]);
      r.error = error[i];
      r.submitted_at = submitted[i];
      r.started_at = started[i];
      r.finished_at = finished[i];
      r.granted_engines = std::to_string(granted[i]);
      out.push_back(std::move(r));
    }
    for (auto* v : {&id, &record_count, &records_done, &batch_count, &batches_done, &granted})
      v->resize(chunk);
    for (auto* v : {&state, &cls, &format, &tpath, &dpath, &dformat, &options, &error, &submitted,
                    &started, &finished})
      v->resize(chunk);
  } while (st.fetch());
  return out;
}

/// The batches of job `id` in phase `p`: the job and phase come from the
/// call, not from the rows, so that a row cannot land under another job.
bulk_rows batch_rows_of(int64_t id, phase p, const std::vector<batch_row>& batches) {
  bulk_rows rows;
  rows.table = "batches";
  rows.columns = {"job_id", "phase", "batch_no", "first_seq", "last_seq", "state", "attempt"};
  rows.rows.reserve(batches.size());
  for (const auto& b : batches)
    rows.rows.push_back({static_cast<long long>(id), std::string{to_string(p)},
                         static_cast<long long>(b.batch_no), static_cast<long long>(b.first_seq),
                         static_cast<long long>(b.last_seq), std::string{"queued"},
                         static_cast<long long>(b.attempt)});
  return rows;
}

/// The state of job `id`, locked until the transaction ends (MariaDB: FOR
/// UPDATE; SQLite: BEGIN IMMEDIATE already holds the database's write lock).
/// @throws storage_error not_found when there is no such job.
job_state locked_job_state(soci::session& s, backend_kind kind, int64_t id) {
  long long jid = id;
  std::string state;
  soci::indicator ind = soci::i_null;
  s << std::string("SELECT state FROM jobs WHERE id = :id") +
           (kind == backend_kind::mariadb ? " FOR UPDATE" : ""),
      soci::use(jid, "id"), soci::into(state, ind);
  if (!s.got_data() || ind != soci::i_ok)
    throw storage_error(errc::not_found, "no job " + std::to_string(id));
  return job_state_from(state);
}

}  // namespace

const char* to_string(job_state s) noexcept { return job_states[static_cast<int>(s)]; }

job_state job_state_from(const std::string& name) {
  for (int i = 0; i < 7; ++i)
    if (name == job_states[i]) return static_cast<job_state>(i);
  throw storage_error(errc::corrupt, "unknown job state '" + name + "'");
}

const char* to_string(phase p) noexcept { return p == phase::merge ? "merge" : "weave"; }

// -- jobs -----------------------------------------------------------------------

namespace {

int64_t insert_job(soci::session& s, backend_kind kind, const new_job& job) {
  auto now = detail::sql_now(kind);
  std::string format = job.format, tpath = job.template_path, dpath = job.data_path,
              dformat = job.data_format, options = job.options_json;
  s << "INSERT INTO jobs (state, format, template_path, data_path, data_format, options, "
       "submitted_at, updated_at) VALUES ('queued', :f, :t, :d, :df, :o, " +
           now + ", " + now + ")",
      soci::use(format, "f"), soci::use(tpath, "t"), soci::use(dpath, "d"),
      soci::use(dformat, "df"), soci::use(options, "o");
  const auto id = static_cast<int64_t>(detail::last_insert_id(s, kind));
  if (!job.webhook_signing.empty()) {
    long long jid = id;
    std::string signing = job.webhook_signing;
    s << "INSERT INTO webhook_requests (job_id, signing, created_at) VALUES (:j, :s, " + now + ")",
        soci::use(jid, "j"), soci::use(signing, "s");
  }
  return id;
}

/// The `records` rows of job `id`, for bulk_insert.
bulk_rows record_rows_of(int64_t id, const std::vector<record_row>& rows) {
  bulk_rows bulk;
  bulk.table = "records";
  bulk.columns = {"job_id", "seq", "body"};
  bulk.rows.reserve(rows.size());
  for (const auto& r : rows)
    bulk.rows.push_back({static_cast<long long>(id), static_cast<long long>(r.seq), r.body});
  return bulk;
}

}  // namespace

std::size_t job_store::max_statement_bytes() const { return db_.max_statement_bytes(); }

int64_t job_store::create_job(const new_job& job) {
  return with_transaction(db_, [&](soci::session& s) { return insert_job(s, db_.backend(), job); });
}

int64_t job_store::create_job(const new_job& job,
                              const std::function<input_paths(int64_t id)>& place_inputs,
                              const mapped_records* mapped) {
  const auto kind = db_.backend();
  return with_transaction(db_, [&](soci::session& s) {
    const auto id = insert_job(s, kind, job);
    auto paths = place_inputs(id);
    long long jid = id;
    s << "UPDATE jobs SET template_path = :t, data_path = :d WHERE id = :id",
        soci::use(paths.template_path, "t"), soci::use(paths.data_path, "d"), soci::use(jid, "id");
    if (mapped) {
      detail::bulk_insert(s, kind, record_rows_of(id, mapped->records));
      std::string report = mapped->report_json;
      s << "UPDATE jobs SET mapping_report = :r, started_at = " + detail::sql_now(kind) +
               " WHERE id = :id",
          soci::use(report, "r"), soci::use(jid, "id");
    }
    return id;
  });
}

job_row job_store::job(int64_t id) {
  auto rows = with_session(
      db_, [&](soci::session& s) { return fetch_jobs(s, "WHERE id = :id", 0, "", id); });
  if (rows.empty()) throw storage_error(errc::not_found, "no job " + std::to_string(id));
  return rows.front();
}

std::vector<job_row> job_store::jobs(const std::optional<job_state>& state, int limit) {
  return with_session(db_, [&](soci::session& s) {
    if (state)
      return fetch_jobs(s, "WHERE state = :state ORDER BY id DESC", limit, to_string(*state), 0);
    return fetch_jobs(s, "ORDER BY id DESC", limit, "", 0);
  });
}

std::vector<job_row> job_store::unfinished_jobs() {
  return with_session(db_, [&](soci::session& s) {
    // Counted first: a job that ends meanwhile can only make the count too high (the
    // caller reads again), a read cut short makes the rows fewer (short_read.hpp).
    long long n = -1;
    s << "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'mapping', 'merging', 'weaving')",
        soci::into(n);
    auto rows = fetch_jobs(
        s, "WHERE state IN ('queued', 'mapping', 'merging', 'weaving') ORDER BY id", 0, "", 0);
    if (detail::cut_short("unfinished_jobs")) rows.clear();
    require_complete_read("the unfinished jobs", static_cast<int64_t>(rows.size()), n);
    return rows;
  });
}

bool job_store::set_state(int64_t id, job_state state, const std::string& error) {
  auto now = detail::sql_now(db_.backend());
  return fenced_write(db_, fence_, true, [&](soci::session& s) {
    long long jid = id;
    std::string st = to_string(state), err = error;
    std::string extra;
    if (finished(state)) extra = ", finished_at = " + now;
    if (state == job_state::mapping) extra = ", started_at = COALESCE(started_at, " + now + ")";
    soci::statement upd =
        (s.prepare << "UPDATE jobs SET state = :s, error = :e, updated_at = " + now + extra +
                          " WHERE id = :id AND state NOT IN ('done', 'failed', 'cancelled')",
         soci::use(st, "s"), soci::use(err, "e"), soci::use(jid, "id"));
    upd.execute(true);
    return upd.get_affected_rows() > 0;
  });
}

void job_store::set_class(int64_t id, const std::string& job_class, const std::string& granted) {
  fenced_write(db_, fence_, false, [&](soci::session& s) {
    long long jid = id;
    long long g = granted.empty() ? 0 : std::stoll(granted);
    std::string c = job_class;
    s << "UPDATE jobs SET job_class = :c, granted_engines = :g WHERE id = :id", soci::use(c, "c"),
        soci::use(g, "g"), soci::use(jid, "id");
  });
}

void job_store::set_paths(int64_t id, const std::string& template_path,
                          const std::string& data_path) {
  with_session(db_, [&](soci::session& s) {
    long long jid = id;
    std::string t = template_path, d = data_path;
    s << "UPDATE jobs SET template_path = :t, data_path = :d WHERE id = :id", soci::use(t, "t"),
        soci::use(d, "d"), soci::use(jid, "id");
  });
}

void job_store::set_mapping_report(int64_t id, const std::string& report_json) {
  fenced_write(db_, fence_, false, [&](soci::session& s) {
    long long jid = id;
    std::string r = report_json;
    s << "UPDATE jobs SET mapping_report = :r WHERE id = :id", soci::use(r, "r"),
        soci::use(jid, "id");
  });
}

std::string job_store::mapping_report(int64_t id) {
  return with_session(db_, [&](soci::session& s) {
    long long jid = id;
    std::string r;
    soci::indicator ind = soci::i_null;
    s << "SELECT mapping_report FROM jobs WHERE id = :id", soci::into(r, ind), soci::use(jid, "id");
    return ind == soci::i_ok ? r : std::string{};
  });
}

// -- mapping ----------------------------------------------------------------------

int job_store::reset_mapping(int64_t id) {
  long long highest = 0;
  fenced_write(db_, fence_, true, [&](soci::session& s) {
    long long jid = id;
    highest = 0;
    s << "SELECT COALESCE(MAX(attempt), 0) FROM batches WHERE job_id = :id AND phase = 'merge'",
        soci::use(jid, "id"), soci::into(highest);
    s << "DELETE FROM records WHERE job_id = :id", soci::use(jid, "id");
    s << "DELETE FROM batches WHERE job_id = :id", soci::use(jid, "id");
    s << "DELETE FROM content WHERE job_id = :id", soci::use(jid, "id");
    s << "DELETE FROM outputs WHERE job_id = :id", soci::use(jid, "id");
    // The counters count what was just removed.
    s << "UPDATE jobs SET record_count = 0, records_done = 0, batch_count = 0, batches_done = 0, "
         "mapping_report = NULL WHERE id = :id",
        soci::use(jid, "id");
  });
  return static_cast<int>(highest);
}

void job_store::insert_records(int64_t id, const std::vector<record_row>& rows) {
  const bulk_rows bulk = record_rows_of(id, rows);
  if (!fence_) {
    bulk_insert(db_, bulk);
    return;
  }
  const auto kind = db_.backend();
  with_transaction(db_, [&](soci::session& s) {
    check_fence(s, kind, *fence_);
    detail::bulk_insert(s, kind, bulk);
  });
}

void job_store::add_merge_batches(int64_t id, const std::vector<batch_row>& batches) {
  if (batches.empty()) return;
  auto rows = batch_rows_of(id, phase::merge, batches);
  auto kind = db_.backend();
  fenced_write(db_, fence_, true, [&](soci::session& s) {
    const auto state = locked_job_state(s, kind, id);
    if (state != job_state::mapping)
      throw storage_error(errc::conflict, "job " + std::to_string(id) + " is " + to_string(state) +
                                              ", not mapping; its merge batches are not stored");
    long long jid = id, nb = static_cast<long long>(batches.size());
    detail::bulk_insert(s, kind, rows);
    s << "UPDATE jobs SET batch_count = batch_count + :nb WHERE id = :id", soci::use(nb, "nb"),
        soci::use(jid, "id");
  });
}

void job_store::finish_mapping(int64_t id, int64_t record_count,
                               const std::vector<batch_row>& batches,
                               const std::vector<batch_row>& segments, bool keep_added) {
  auto rows = batch_rows_of(id, phase::merge, batches);
  auto weave_rows = batch_rows_of(id, phase::weave, segments);
  auto now = detail::sql_now(db_.backend());
  auto kind = db_.backend();
  fenced_write(db_, fence_, true, [&](soci::session& s) {
    // A job cancelled (or failed) while it was being mapped stays finished.
    const auto state = locked_job_state(s, kind, id);
    if (finished(state))
      throw storage_error(errc::conflict, "job " + std::to_string(id) + " is " + to_string(state) +
                                              "; its mapping is not stored");
    if (keep_added && state != job_state::queued && state != job_state::mapping)
      throw storage_error(errc::conflict, "job " + std::to_string(id) + " is " + to_string(state) +
                                              " already; its mapping is not stored again");
    long long jid = id, n = record_count, nb = static_cast<long long>(batches.size());
    if (!keep_added) {
      // The new plan replaces any earlier one, with the results taken for it.
      s << "DELETE FROM batches WHERE job_id = :id", soci::use(jid, "id");
      s << "DELETE FROM content WHERE job_id = :id", soci::use(jid, "id");
      s << "DELETE FROM outputs WHERE job_id = :id", soci::use(jid, "id");
    }
    if (!rows.rows.empty()) detail::bulk_insert(s, kind, rows);
    if (!weave_rows.rows.empty()) detail::bulk_insert(s, kind, weave_rows);
    if (keep_added)  // the batches handed out while mapping, and what they finished, count
      s << "UPDATE jobs SET state = 'merging', record_count = :n, batch_count = batch_count + "
           ":nb, updated_at = " +
               now + " WHERE id = :id",
          soci::use(n, "n"), soci::use(nb, "nb"), soci::use(jid, "id");
    else
      s << "UPDATE jobs SET state = 'merging', record_count = :n, batch_count = :nb, "
           "records_done = 0, batches_done = 0, updated_at = " +
               now + " WHERE id = :id",
          soci::use(n, "n"), soci::use(nb, "nb"), soci::use(jid, "id");
  });
}

std::vector<record_row> job_store::records(int64_t id, int64_t first, int64_t last) {
  return with_session(db_, [&](soci::session& s) {
    std::vector<record_row> out;
    if (last < first) return out;
    // At least 2: SOCI's SQLite backend fills a bound vector of size 1 with
    // no rows at all, so a one-record range came back empty.
    auto n = static_cast<std::size_t>(std::clamp<int64_t>(last - first + 1, 2, 1000));
    std::vector<long long> seq(n);
    std::vector<std::string> body(n);
    long long jid = id, a = first, b = last;
    soci::statement st = (s.prepare << "SELECT seq, body FROM records WHERE job_id = :id AND seq "
                                       "BETWEEN :a AND :b ORDER BY seq",
                          soci::use(jid, "id"), soci::use(a, "a"), soci::use(b, "b"),
                          soci::into(seq), soci::into(body));
    if (!detail::execute_select(s, st)) return out;
    do {
      for (std::size_t i = 0; i < seq.size(); ++i) out.push_back({seq[i], std::move(body[i])});
      seq.resize(n);
      body.resize(n);
    } while (st.fetch());
    return out;
  });
}

// -- batches ------------------------------------------------------------------------

std::vector<batch_row> job_store::open_batches(int64_t id, phase p) {
  auto open = batches(id, p, false);
  if (detail::cut_short("open_batches")) open.clear();
  // Counted after the read: a batch done meanwhile is then both read as open and
  // counted as done (too many, harmless); a read cut short has too few (short_read.hpp).
  long long done = -1, total = -1;
  with_session(db_, [&](soci::session& s) {
    long long jid = id;
    std::string ph = to_string(p);
    s << "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0) FROM "
         "batches WHERE job_id = :id AND phase = :p",
        soci::use(jid, "id"), soci::use(ph, "p"), soci::into(total), soci::into(done);
  });
  // An empty answer to the count leaves -1: unknown, treated as short.
  require_complete_read(
      "the open " + std::string{to_string(p)} + " batches of job " + std::to_string(id),
      static_cast<int64_t>(open.size()) + std::max(done, 0LL), done < 0 ? -1 : total);
  return open;
}

std::vector<batch_row> job_store::batches(int64_t id, phase p, bool with_done) {
  return with_session(db_, [&](soci::session& s) {
    std::vector<batch_row> out;
    const std::size_t n = 500;
    std::vector<long long> no(n), first(n), last(n), attempt(n);
    std::vector<std::string> state(n), engine(n), node(n);
    long long jid = id;
    std::string ph = to_string(p);
    soci::statement st =
        (s.prepare << "SELECT batch_no, first_seq, last_seq, state, attempt, COALESCE(engine, ''), "
                      "COALESCE(node, '') FROM batches WHERE job_id = :id AND phase = :p" +
                          std::string{with_done ? "" : " AND state <> 'done'"} +
                          " ORDER BY batch_no",
         soci::use(jid, "id"), soci::use(ph, "p"), soci::into(no), soci::into(first),
         soci::into(last), soci::into(state), soci::into(attempt), soci::into(engine),
         soci::into(node));
    if (!detail::execute_select(s, st)) return out;
    do {
      for (std::size_t i = 0; i < no.size(); ++i) {
        batch_row b;
        b.job_id = id;
        b.phase = p;
        b.batch_no = static_cast<int>(no[i]);
        b.first_seq = first[i];
        b.last_seq = last[i];
        b.state = state[i];
        b.attempt = static_cast<int>(attempt[i]);
        b.engine = engine[i];
        b.node = node[i];
        out.push_back(std::move(b));
      }
      for (auto* v : {&no, &first, &last, &attempt}) v->resize(n);
      for (auto* v : {&state, &engine, &node}) v->resize(n);
    } while (st.fetch());
    return out;
  });
}

void job_store::start_weaving(int64_t id, const std::vector<batch_row>& segments) {
  auto rows = batch_rows_of(id, phase::weave, segments);
  auto now = detail::sql_now(db_.backend());
  auto kind = db_.backend();
  fenced_write(db_, fence_, true, [&](soci::session& s) {
    // Segments and state change together or not at all: a job that is no
    // longer merging (cancelled, failed, already weaving) keeps what it has.
    const auto state = locked_job_state(s, kind, id);
    if (state != job_state::merging)
      throw storage_error(errc::conflict, "job " + std::to_string(id) + " is " + to_string(state) +
                                              ", not merging; not weaving it");
    long long jid = id;
    if (!rows.rows.empty()) {
      s << "DELETE FROM batches WHERE job_id = :id AND phase = 'weave'", soci::use(jid, "id");
      s << "DELETE FROM outputs WHERE job_id = :id", soci::use(jid, "id");
      detail::bulk_insert(s, kind, rows);
    }
    s << "UPDATE jobs SET state = 'weaving', updated_at = " + now + " WHERE id = :id",
        soci::use(jid, "id");
  });
}

void job_store::mark_running(const batch_row& b) {
  auto now = detail::sql_now(db_.backend());
  fenced_write(db_, fence_, false, [&](soci::session& s) {
    long long jid = b.job_id, no = b.batch_no, attempt = b.attempt;
    std::string ph = to_string(b.phase), engine = b.engine, node = b.node;
    s << "UPDATE batches SET state = 'running', engine = :e, node = :n, started_at = " + now +
             " WHERE job_id = :id AND phase = :p AND batch_no = :b AND state <> 'done' AND "
             "attempt <= :a",
        soci::use(engine, "e"), soci::use(node, "n"), soci::use(jid, "id"), soci::use(ph, "p"),
        soci::use(no, "b"), soci::use(attempt, "a");
  });
}

void job_store::set_attempt(int64_t id, phase p, int batch_no, int attempt) {
  fenced_write(db_, fence_, false, [&](soci::session& s) {
    long long jid = id, no = batch_no, a = attempt;
    std::string ph = to_string(p);
    s << "UPDATE batches SET attempt = :a, state = 'queued' WHERE job_id = :id AND phase = :p "
         "AND batch_no = :b AND state <> 'done' AND attempt < :a2",
        soci::use(a, "a"), soci::use(jid, "id"), soci::use(ph, "p"), soci::use(no, "b"),
        soci::use(a, "a2");
  });
}

void job_store::set_attempts(const std::vector<attempt_update>& updates) {
  if (updates.empty()) return;
  fenced_write(db_, fence_, true, [&](soci::session& s) {
    for (const auto& u : updates) {
      long long jid = u.job_id, no = u.batch_no, a = u.attempt;
      std::string ph = to_string(u.phase);
      s << "UPDATE batches SET attempt = :a, state = 'queued' WHERE job_id = :id AND phase = :p "
           "AND batch_no = :b AND state <> 'done' AND attempt < :a2",
          soci::use(a, "a"), soci::use(jid, "id"), soci::use(ph, "p"), soci::use(no, "b"),
          soci::use(a, "a2");
    }
  });
}

// The fence: a result is taken only while its batch is not done, its
// attempt is not older than the batch's current one, and the job still runs.
// Whoever commits first wins; every later result changes nothing. A refused
// result changes no row, so several results can share one transaction and each
// is still fenced alone (complete_batches).
namespace {

bool complete_merge_in(soci::session& s, const std::string& now, const content_row& c,
                       const std::string& engine, const std::string& node) {
  long long jid = c.job_id, no = c.batch_no, a = c.attempt, bytes = c.bytes, recs = c.records;
  std::string e = engine, n = node, path = c.path;
  soci::statement upd =
      (s.prepare << "UPDATE batches SET state = 'done', attempt = :a, engine = :e, node = :n, "
                    "finished_at = " +
                        now +
                        " WHERE job_id = :id AND phase = 'merge' AND batch_no = :b AND state "
                        "<> 'done' AND attempt <= :a2 AND EXISTS (SELECT 1 FROM jobs WHERE "
                        "jobs.id = :id2 AND jobs.state IN ('mapping', 'merging'))",
       soci::use(a, "a"), soci::use(e, "e"), soci::use(n, "n"), soci::use(jid, "id"),
       soci::use(no, "b"), soci::use(a, "a2"), soci::use(jid, "id2"));
  upd.execute(true);
  if (upd.get_affected_rows() == 0) return false;
  // One statement on both backends: the winner's content replaces a loser's row.
  s << "REPLACE INTO content (job_id, batch_no, attempt, path, bytes, records, created_at) "
       "VALUES (:id, :b, :a, :p, :y, :r, " +
           now + ")",
      soci::use(jid, "id"), soci::use(no, "b"), soci::use(a, "a"), soci::use(path, "p"),
      soci::use(bytes, "y"), soci::use(recs, "r");
  return true;
}

bool complete_weave_in(soci::session& s, const std::string& now, const output_row& o, int attempt,
                       const std::string& engine, const std::string& node) {
  long long jid = o.job_id, no = o.segment_no, a = attempt, docs = o.documents, pages = o.pages,
            bytes = o.bytes;
  std::string e = engine, n = node, path = o.path, format = o.format;
  soci::statement upd =
      (s.prepare << "UPDATE batches SET state = 'done', attempt = :a, engine = :e, node = :n, "
                    "finished_at = " +
                        now +
                        " WHERE job_id = :id AND phase = 'weave' AND batch_no = :b AND state "
                        "<> 'done' AND attempt <= :a2 AND EXISTS (SELECT 1 FROM jobs WHERE "
                        "jobs.id = :id2 AND jobs.state IN ('merging', 'weaving'))",
       soci::use(a, "a"), soci::use(e, "e"), soci::use(n, "n"), soci::use(jid, "id"),
       soci::use(no, "b"), soci::use(a, "a2"), soci::use(jid, "id2"));
  upd.execute(true);
  if (upd.get_affected_rows() == 0) return false;
  // REPLACE: an output woven again replaces the row, warnings included (never added twice).
  const std::string w = o.warnings;
  soci::indicator wind = w.empty() ? soci::i_null : soci::i_ok;
  s << "REPLACE INTO outputs (job_id, segment_no, path, format, documents, pages, bytes, "
       "warnings, created_at) VALUES (:id, :b, :p, :f, :d, :g, :y, :w, " +
           now + ")",
      soci::use(jid, "id"), soci::use(no, "b"), soci::use(path, "p"), soci::use(format, "f"),
      soci::use(docs, "d"), soci::use(pages, "g"), soci::use(bytes, "y"), soci::use(w, wind, "w");
  return true;
}

}  // namespace

bool job_store::complete_merge(const content_row& c, const std::string& engine,
                               const std::string& node) {
  auto now = detail::sql_now(db_.backend());
  return with_transaction(
      db_, [&](soci::session& s) { return complete_merge_in(s, now, c, engine, node); });
}

bool job_store::complete_weave(const output_row& o, int attempt, const std::string& engine,
                               const std::string& node) {
  auto now = detail::sql_now(db_.backend());
  return with_transaction(
      db_, [&](soci::session& s) { return complete_weave_in(s, now, o, attempt, engine, node); });
}

std::vector<bool> job_store::complete_batches(const std::vector<completion>& results,
                                              const std::string& engine, const std::string& node) {
  if (results.empty()) return {};
  auto now = detail::sql_now(db_.backend());
  // Rows are locked in one order (job, phase, batch) whatever the order given, so two
  // groups that share batches wait for each other instead of deadlocking (MariaDB).
  std::vector<std::size_t> order(results.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](std::size_t i) {
    const auto& r = results[i];
    return r.phase == phase::merge ? std::make_tuple(r.content.job_id, 0, r.content.batch_no)
                                   : std::make_tuple(r.output.job_id, 1, r.output.segment_no);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  return with_transaction(db_, [&](soci::session& s) {
    // Built afresh on each run: the pool runs the transaction again after a lost connection.
    std::vector<bool> accepted(results.size(), false);
    for (auto i : order) {
      const auto& r = results[i];
      accepted[i] = r.phase == phase::merge
                        ? complete_merge_in(s, now, r.content, engine, node)
                        : complete_weave_in(s, now, r.output, r.attempt, engine, node);
    }
    return accepted;
  });
}

std::vector<content_row> job_store::contents(int64_t id) {
  return with_session(db_, [&](soci::session& s) {
    std::vector<content_row> out;
    // Counted first: content rows are only added while a job runs, so the read has at
    // least as many; a read cut short has fewer (short_read.hpp).
    long long count = -1;
    {
      long long cid = id;
      s << "SELECT COUNT(*) FROM content WHERE job_id = :id", soci::use(cid, "id"),
          soci::into(count);
    }
    auto checked = [&] {
      if (detail::cut_short("contents")) out.clear();
      require_complete_read("the content rows of job " + std::to_string(id),
                            static_cast<int64_t>(out.size()), count);
      return out;
    };
    const std::size_t n = 500;
    std::vector<long long> no(n), attempt(n), bytes(n), recs(n), first(n), last(n);
    std::vector<std::string> path(n);
    long long jid = id;
    soci::statement st =
        (s.prepare << "SELECT c.batch_no, c.attempt, c.path, c.bytes, c.records, b.first_seq, "
                      "b.last_seq FROM content c JOIN batches b ON b.job_id = c.job_id AND "
                      "b.phase = 'merge' AND b.batch_no = c.batch_no WHERE c.job_id = :id "
                      "ORDER BY b.first_seq",
         soci::use(jid, "id"), soci::into(no), soci::into(attempt), soci::into(path),
         soci::into(bytes), soci::into(recs), soci::into(first), soci::into(last));
    if (!detail::execute_select(s, st)) return checked();
    do {
      for (std::size_t i = 0; i < no.size(); ++i) {
        content_row c;
        c.job_id = id;
        c.batch_no = static_cast<int>(no[i]);
        c.attempt = static_cast<int>(attempt[i]);
        c.path = path[i];
        c.bytes = bytes[i];
        c.records = recs[i];
        c.first_seq = first[i];
        c.last_seq = last[i];
        out.push_back(std::move(c));
      }
      for (auto* v : {&no, &attempt, &bytes, &recs, &first, &last}) v->resize(n);
      path.resize(n);
    } while (st.fetch());
    return checked();
  });
}

bool job_store::names_file(int64_t id, const std::string& path) {
  return with_session(db_, [&](soci::session& s) {
    long long jid = id, n = -1;
    std::string p = path;
    s << "SELECT (SELECT COUNT(*) FROM content WHERE job_id = :id AND path = :p) + "
         "(SELECT COUNT(*) FROM outputs WHERE job_id = :id2 AND path = :p2)",
        soci::use(jid, "id"), soci::use(p, "p"), soci::use(jid, "id2"), soci::use(p, "p2"),
        soci::into(n);
    // No answer at all (a read cut short): not "unnamed" — the caller keeps the file.
    if (detail::cut_short("names_file")) n = -1;
    if (n < 0)
      require_complete_read("whether a result of job " + std::to_string(id) + " names " + path, 0,
                            -1);
    return n > 0;
  });
}

std::vector<output_row> job_store::outputs(int64_t id) {
  return with_session(db_, [&](soci::session& s) {
    std::vector<output_row> out;
    const std::size_t n = 500;
    std::vector<long long> no(n), docs(n), pages(n), bytes(n);
    std::vector<std::string> path(n), format(n), warnings(n);
    std::vector<soci::indicator> wind(n);
    long long jid = id;
    soci::statement st =
        (s.prepare << "SELECT segment_no, path, format, documents, pages, bytes, warnings "
                      "FROM outputs WHERE job_id = :id ORDER BY segment_no",
         soci::use(jid, "id"), soci::into(no), soci::into(path), soci::into(format),
         soci::into(docs), soci::into(pages), soci::into(bytes), soci::into(warnings, wind));
    if (!detail::execute_select(s, st)) return out;
    do {
      for (std::size_t i = 0; i < no.size(); ++i) {
        output_row o;
        o.job_id = id;
        o.segment_no = static_cast<int>(no[i]);
        o.path = path[i];
        o.format = format[i];
        o.documents = docs[i];
        o.pages = pages[i];
        o.bytes = bytes[i];
        if (wind[i] == soci::i_ok) o.warnings = warnings[i];
        out.push_back(std::move(o));
      }
      for (auto* v : {&no, &docs, &pages, &bytes}) v->resize(n);
      path.resize(n);
      format.resize(n);
      warnings.resize(n);
      wind.resize(n);
    } while (st.fetch());
    return out;
  });
}

std::pair<int, int> job_store::progress(int64_t id, phase p) {
  return with_session(db_, [&](soci::session& s) {
    long long jid = id, done = 0, total = 0;
    std::string ph = to_string(p);
    s << "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0) FROM "
         "batches WHERE job_id = :id AND phase = :p",
        soci::use(jid, "id"), soci::use(ph, "p"), soci::into(total), soci::into(done);
    return std::make_pair(static_cast<int>(done), static_cast<int>(total));
  });
}

void require_contents_cover(const std::vector<content_row>& rows, int64_t job, int64_t first,
                            int64_t last) {
  int64_t next = first;  // the first record not covered yet
  for (const auto& c : rows) {
    if (next > last) break;
    if (c.last_seq < next) continue;
    if (c.first_seq > next) break;
    next = c.last_seq + 1;
  }
  if (next <= last)
    throw storage_error(errc::unavailable,
                        "job " + std::to_string(job) + ": no content row read for record " +
                            std::to_string(next) + " of records " + std::to_string(first) + "-" +
                            std::to_string(last) + " (the database answered only in part)");
}

}  // namespace weft::storage
