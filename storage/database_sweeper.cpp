#include "storage/database_sweeper.hpp"

#include <map>
#include <string>
#include <vector>

#include "storage/detail/session.hpp"

namespace weft::storage {

namespace {

using detail::with_session;
using detail::with_transaction;

constexpr const char* finished_states = "('done', 'failed', 'cancelled')";

/// The child tables of a job, deleted in this order before the job row.
struct child_table {
  const char* name;
  const char* order;  // primary key order within one job (MariaDB DELETE ... LIMIT)
  int64_t sweep_counts::*counter;
};
const child_table children[] = {
    {"records", "seq", &sweep_counts::records},
    {"batches", "phase, batch_no", &sweep_counts::batches},
    {"content", "batch_no", &sweep_counts::content},
    {"outputs", "segment_no", &sweep_counts::outputs},
};
constexpr int child_count = 4;

/// Deletes at most `limit` rows of one job from `t`; returns how many it deleted.
long long delete_chunk(soci::session& s, backend_kind kind, const child_table& t, long long job,
                       long long limit) {
  const std::string n = std::to_string(limit);
  const std::string table = t.name;
  std::string sql =
      kind == backend_kind::mariadb
          ? "DELETE FROM " + table + " WHERE job_id = :j ORDER BY " + t.order + " LIMIT " + n
          : "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid FROM " + table +
                " WHERE job_id = :j LIMIT " + n + ")";
  soci::statement st = (s.prepare << sql, soci::use(job, "j"));
  st.execute(true);
  return st.get_affected_rows();
}

/// A job being deleted: the child tables still to empty (index into `children`),
/// then the job row itself (child_count), then done (child_count + 1).
struct pending_job {
  long long id = 0;
  int stage = 0;
};

}  // namespace

bool database_sweeper::run(sweep_counts& counts, const std::function<bool()>& keep_going) {
  if (!sweep_jobs(counts, keep_going)) return false;
  if (!sweep_children("content", "batch_no", policy_.content, &sweep_counts::content, counts,
                      keep_going))
    return false;
  return sweep_children("outputs", "segment_no", policy_.outputs, &sweep_counts::outputs, counts,
                        keep_going);
}

bool database_sweeper::sweep_jobs(sweep_counts& counts, const std::function<bool()>& keep_going) {
  const auto kind = db_.backend();
  const long long batch = policy_.batch_size > 0 ? policy_.batch_size : 1;
  const std::string select = "SELECT id FROM jobs WHERE state IN " + std::string(finished_states) +
                             " AND finished_at IS NOT NULL AND finished_at < " +
                             detail::sql_now_plus(kind, -policy_.jobs) +
                             " ORDER BY finished_at, id LIMIT 100";
  for (;;) {
    if (!keep_going()) return false;
    std::vector<pending_job> pending = with_session(db_, [&](soci::session& s) {
      std::vector<long long> ids(100);
      s << select, soci::into(ids);
      std::vector<pending_job> out;
      for (auto id : ids) out.push_back({id, 0});
      return out;
    });
    if (pending.empty()) return true;
    while (!pending.empty()) {
      if (!keep_going()) return false;
      struct outcome {
        sweep_counts deleted;
        std::vector<pending_job> jobs;
      };
      // One transaction deletes at most `batch` rows, across as many jobs as fit.
      // It may run twice (see with_transaction): it works on its own copy.
      auto done = with_transaction(db_, [&](soci::session& s) {
        outcome o{sweep_counts{}, pending};
        long long budget = batch;
        for (auto& job : o.jobs) {
          while (job.stage < child_count && budget > 0) {
            const auto& t = children[job.stage];
            const long long asked = budget;
            const long long n = delete_chunk(s, kind, t, job.id, asked);
            o.deleted.*(t.counter) += n;
            budget -= n;
            if (n < asked) ++job.stage;  // fewer than asked for: this table is empty now
          }
          if (job.stage == child_count && budget > 0) {
            long long id = job.id;
            soci::statement st = (s.prepare << "DELETE FROM jobs WHERE id = :id AND state IN " +
                                                   std::string(finished_states),
                                  soci::use(id, "id"));
            st.execute(true);
            const long long n = st.get_affected_rows();
            o.deleted.jobs += n;
            budget -= n;
            job.stage = child_count + 1;
          }
          if (budget == 0) break;
        }
        return o;
      });
      done.deleted.transactions = 1;
      counts += done.deleted;
      pending.clear();
      for (const auto& job : done.jobs)
        if (job.stage <= child_count) pending.push_back(job);
    }
  }
}

bool database_sweeper::sweep_children(const char* table, const char* key,
                                      std::chrono::milliseconds retain,
                                      int64_t sweep_counts::*counter, sweep_counts& counts,
                                      const std::function<bool()>& keep_going) {
  const auto kind = db_.backend();
  const long long batch = policy_.batch_size > 0 ? policy_.batch_size : 1;
  const std::string t = table, k = key;
  const std::string select =
      "SELECT c.job_id, c." + k + " FROM " + t +
      " c JOIN jobs j ON j.id = c.job_id WHERE j.state IN " + finished_states +
      " AND j.finished_at IS NOT NULL AND j.finished_at < " + detail::sql_now_plus(kind, -retain) +
      " LIMIT " + std::to_string(batch);
  for (;;) {
    if (!keep_going()) return false;
    const long long n = with_transaction(db_, [&](soci::session& s) {
      std::vector<long long> jobs(static_cast<std::size_t>(batch)),
          keys(static_cast<std::size_t>(batch));
      s << select, soci::into(jobs), soci::into(keys);
      std::map<long long, std::string> by_job;
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto& list = by_job[jobs[i]];
        list += (list.empty() ? "" : ", ") + std::to_string(keys[i]);
      }
      long long deleted = 0;
      for (const auto& [job, list] : by_job) {
        long long j = job;
        soci::statement st =
            (s.prepare << "DELETE FROM " + t + " WHERE job_id = :j AND " + k + " IN (" + list + ")",
             soci::use(j, "j"));
        st.execute(true);
        deleted += st.get_affected_rows();
      }
      return deleted;
    });
    if (n == 0) return true;
    sweep_counts c;
    c.*counter = n;
    c.transactions = 1;
    counts += c;
  }
}

}  // namespace weft::storage
