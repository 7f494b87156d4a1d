#include "storage/cluster_figures.hpp"

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

/// Runs `sql`, which selects (text, text, count), into `out`.
void counts(soci::session& s, const std::string& sql, std::vector<labelled_count>& out) {
  std::string a, b;
  long long n = 0;
  soci::indicator ia = soci::i_ok, ib = soci::i_ok;
  soci::statement st = (s.prepare << sql, soci::into(a, ia), soci::into(b, ib), soci::into(n));
  if (!detail::execute_select(s, st)) return;
  do {
    out.push_back({ia == soci::i_ok ? a : "", ib == soci::i_ok ? b : "", n});
  } while (st.fetch());
}

}  // namespace

cluster_figures read_cluster_figures(database& db) {
  const auto now = detail::sql_now(db.backend());
  return detail::with_session(db, [&](soci::session& s) {
    cluster_figures f;
    counts(s, "SELECT state, COALESCE(job_class, ''), COUNT(*) FROM jobs GROUP BY state, job_class",
           f.jobs);
    counts(s, "SELECT phase, '', COUNT(*) FROM batches WHERE state = 'queued' GROUP BY phase",
           f.queued_batches);
    counts(s, "SELECT state, type, COUNT(*) FROM engines GROUP BY state, type", f.engines);
    counts(s,
           "SELECT e.type, '', COUNT(*) FROM engines e JOIN nodes n ON n.name = e.node "
           "WHERE n.role = 'extension' AND e.state <> 'lost' AND n.state <> 'lost' "
           "GROUP BY e.type",
           f.remote_engines);
    counts(s, "SELECT state, role, COUNT(*) FROM nodes GROUP BY state, role", f.nodes);
    counts(s,
           "SELECT name, COALESCE(holder, ''), 1 FROM leases WHERE holder IS NOT NULL "
           "AND lock_until > " +
               now,
           f.leases);
    counts(s, "SELECT status, '', COUNT(*) FROM sweeps GROUP BY status", f.sweeps);
    long long rows = 0;
    soci::indicator ind = soci::i_ok;
    s << "SELECT SUM(jobs_deleted + records_deleted + content_deleted + outputs_deleted) "
         "FROM sweeps",
        soci::into(rows, ind);
    f.sweep_rows = ind == soci::i_ok ? rows : 0;
    return f;
  });
}

}  // namespace weft::storage
