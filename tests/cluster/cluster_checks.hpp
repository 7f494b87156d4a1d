#pragma once

// The exactly-once checks the failure and failover suites share (Boost.Test
// assertions, so header-only: each suite is its own test module).

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "tests/cluster/cluster_support.hpp"
#include "tests/support/fresh_database.hpp"
#include "tests/support/sample_invoices.hpp"

namespace weft::test::cluster {

inline std::string job_condition(int64_t job) { return "job_id = " + std::to_string(job); }

/// Every record of the finished job exactly once across its outputs.
inline void check_exactly_once(const std::string& json, int64_t records) {
  auto job = parse_job(json);
  BOOST_REQUIRE_MESSAGE(job.state == "done", json);
  BOOST_TEST(job.records == records);
  BOOST_TEST(job.documents == records);
  BOOST_TEST(!job.outputs.empty());
  auto problems = exactly_once_problems(invoice_counts(job.outputs), records);
  BOOST_TEST(problems.empty(), problems);
}

/// No batch of the job is left undone, and every accepted content row is the
/// one of the batch's current attempt (a late result never replaced it).
inline void check_batches_settled(fresh_database& db, int64_t job) {
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(job) +
                       " AND state <> 'done'") == 0);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM content c JOIN batches b ON b.job_id = c.job_id AND "
                       "b.phase = 'merge' AND b.batch_no = c.batch_no WHERE c.job_id = " +
                       std::to_string(job) + " AND c.attempt <> b.attempt") == 0);
  BOOST_TEST(db.scalar("SELECT COUNT(*) FROM content WHERE " + job_condition(job)) ==
             db.scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(job) +
                       " AND phase = 'merge'"));
}

/// Waits (120 s) until at least five of the job's merge batches are done: the job is in the
/// middle of merging. Fails the test case with the logs when it never gets there.
inline void require_merging(test_cluster& c, int64_t job) {
  bool merging = wait_until(
      [&] {
        return c.db().scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(job) +
                             " AND phase = 'merge' AND state = 'done'") >= 5;
      },
      std::chrono::seconds(120));
  BOOST_REQUIRE_MESSAGE(merging, "the job never got to merging\n" << c.logs());
}

}  // namespace weft::test::cluster
