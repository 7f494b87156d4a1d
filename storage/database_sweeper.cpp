#include "storage/database_sweeper.hpp"

#include <climits>
#include <map>
#include <string>
#include <thread>
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
  /// The integer key that follows job_id in the primary key, when there is exactly one:
  /// such a table is deleted by key ranges (see delete_range).
  const char* key;
  int64_t sweep_counts::*counter;
};
const child_table children[] = {
    {"records", "seq", "seq", &sweep_counts::records},
    {"batches", "phase, batch_no", nullptr, &sweep_counts::batches},
    {"content", "batch_no", "batch_no", &sweep_counts::content},
    {"outputs", "segment_no", "segment_no", &sweep_counts::outputs},
};
constexpr int child_count = 4;

/// A job being deleted: the child tables still to empty (index into `children`),
/// then the job row itself (child_count), then done (child_count + 1); `after` is the
/// largest key of the current table already deleted.
struct pending_job {
  long long id = 0;
  int stage = 0;
  long long after = LLONG_MIN;
};

long long execute(soci::statement& st) {
  st.execute(true);
  return st.get_affected_rows();
}

/// Deletes at most `limit` rows of one job from `t`, the ones with the smallest keys above
/// `job.after`, and moves `job.after` past them; returns how many it deleted.
///
/// By key range rather than `DELETE ... ORDER BY key LIMIT n`: on InnoDB a deleted row stays
/// in the index, delete-marked, until the purge removes it, and each LIMIT delete had to
/// step over every row the earlier ones of the same job had deleted (quadratic in the
/// job's size while the purge lags: a third more database CPU for 50,000-record jobs).
long long delete_range(soci::session& s, const child_table& t, pending_job& job, long long limit) {
  const std::string table = t.name, key = t.key;
  long long id = job.id, after = job.after, last = 0;
  soci::indicator found = soci::i_null;
  // The limit-th key above `after`: the range up to it holds exactly `limit` rows.
  s << "SELECT " + key + " FROM " + table + " WHERE job_id = :j AND " + key + " > :a ORDER BY " +
           key + " LIMIT 1 OFFSET " + std::to_string(limit - 1),
      soci::use(id, "j"), soci::use(after, "a"), soci::into(last, found);
  if (s.got_data() && found == soci::i_ok) {
    soci::statement st = (s.prepare << "DELETE FROM " + table + " WHERE job_id = :j AND " + key +
                                           " > :a AND " + key + " <= :l",
                          soci::use(id, "j"), soci::use(after, "a"), soci::use(last, "l"));
    job.after = last;
    return execute(st);
  }
  // Fewer than `limit` left: all of them.
  soci::statement st =
      (s.prepare << "DELETE FROM " + table + " WHERE job_id = :j AND " + key + " > :a",
       soci::use(id, "j"), soci::use(after, "a"));
  job.after = LLONG_MAX;
  return execute(st);
}

/// Deletes at most `limit` rows of one job from `t` (a table without a single integer key,
/// whose rows per job are few); returns how many it deleted.
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
  return execute(st);
}

}  // namespace

void database_sweeper::pause_after(std::chrono::steady_clock::time_point started) const {
  if (policy_.pause_ratio <= 0) return;
  const auto took = std::chrono::steady_clock::now() - started;
  std::this_thread::sleep_for(
      std::chrono::duration_cast<std::chrono::microseconds>(took * policy_.pause_ratio));
}

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
      const auto started = std::chrono::steady_clock::now();
      auto done = with_transaction(db_, [&](soci::session& s) {
        outcome o{sweep_counts{}, pending};
        long long budget = batch;
        for (auto& job : o.jobs) {
          while (job.stage < child_count && budget > 0) {
            const auto& t = children[job.stage];
            const long long asked = budget;
            const long long n =
                t.key ? delete_range(s, t, job, asked) : delete_chunk(s, kind, t, job.id, asked);
            o.deleted.*(t.counter) += n;
            budget -= n;
            if (t.key ? job.after == LLONG_MAX : n < asked) {  // this table is empty now
              ++job.stage;
              job.after = LLONG_MIN;
            }
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
      pause_after(started);
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
    const auto started = std::chrono::steady_clock::now();
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
    pause_after(started);
  }
}

}  // namespace weft::storage
