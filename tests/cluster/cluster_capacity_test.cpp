// The expected-remote-engine totals as docs/cluster.md states them: remote engines
// beyond `expected_remote` stand by (and take over when an active one is
// lost), fewer than expected make the cluster degraded, and jobs complete in
// every case; draining a node gives it no new work until it is undrained.
#define BOOST_TEST_MODULE cluster_capacity
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <iostream>

#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

namespace {

std::vector<std::string> merge_nodes(fresh_database& db, int64_t job) {
  return db.column("SELECT DISTINCT node FROM batches WHERE job_id = " + std::to_string(job) +
                   " AND phase = 'merge' ORDER BY node");
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void check_exactly_once(const std::string& json, int64_t records) {
  auto job = parse_job(json);
  BOOST_REQUIRE_MESSAGE(job.state == "done", json);
  BOOST_TEST(job.documents == records);
  auto problems = exactly_once_problems(invoice_counts(job.outputs), records);
  BOOST_TEST(problems.empty(), problems);
}

/// Every job uses every engine it may: medium and large jobs get up to 16
/// merge engines, with many small batches.
const char* spread_wide =
    "[scheduler]\n"
    "max_records_small = 10\n"
    "min_records_large = 1000\n"
    "min_batch_size = 10\n"
    "max_batch_size = 200\n"
    "batches_per_engine = 8\n";

}  // namespace

BOOST_AUTO_TEST_CASE(extra_remote_engines_stand_by_and_take_over_when_the_active_one_is_lost) {
  constexpr int64_t records = 5000;
  auto data = invoices(records);
  cluster_options o;
  // No local merge engine: a merge batch runs on the active remote engine or
  // nowhere, so the job completes after the kill only if the standby takes over.
  o.master_merge = 0;
  o.extension_merge = 1;
  o.extra = std::string{spread_wide} +
            "[scheduler.merge]\n"
            "expected_remote = 1\n"
            "parallel_per_job = { medium = 16, large = 16 }\n";
  test_cluster c(o);
  c.start_all();
  auto& m = c.master();
  BOOST_TEST(m.wait_for_log("merge 2/1 remote engines", 10s), m.tail());
  BOOST_TEST(m.wait_for_log("1 on standby (they take over when an active engine is lost)", 10s),
             m.tail());
  std::vector<std::string> standby;
  wait_until(
      [&] {
        standby =
            c.db().column("SELECT node FROM engines WHERE type = 'merge' AND state = 'standby'");
        return !standby.empty();
      },
      10s);
  BOOST_REQUIRE_MESSAGE(standby.size() == 1, "engines on standby: " << standby.size());
  const auto standby_node = standby[0];
  const auto active_node = standby_node == "ext1" ? "ext2" : "ext1";

  // While both are there, the standby engine gets no work.
  auto first = c.submit(data);
  check_exactly_once(c.wait_for_job(first, 90s), records);
  BOOST_TEST(merge_nodes(c.db(), first) == std::vector<std::string>{active_node},
             boost::test_tools::per_element());

  // The active extension dies in the middle of a job: the standby takes over.
  auto second = c.submit(data);
  bool busy = wait_until(
      [&] {
        return c.db().scalar(
                   "SELECT COUNT(*) FROM batches WHERE job_id = " + std::to_string(second) +
                   " AND phase = 'merge' AND state = 'done'") > 0;
      },
      60s);
  BOOST_REQUIRE_MESSAGE(busy, c.logs());
  c.node(active_node).kill();
  BOOST_TEST(m.wait_for_log("node '" + std::string{active_node} + "' lost", 10s), m.tail());
  check_exactly_once(c.wait_for_job(second, 90s), records);
  BOOST_TEST(contains(merge_nodes(c.db(), second), standby_node));
}

BOOST_AUTO_TEST_CASE(fewer_remote_engines_than_expected_is_degraded_and_jobs_still_complete) {
  constexpr int64_t records = 3000;
  auto data = invoices(records);
  cluster_options o;
  o.extensions = 1;
  o.master_merge = 1;
  o.extension_merge = 1;
  o.extra = std::string{spread_wide} +
            "[scheduler.merge]\n"
            "expected_remote = 4\n";
  test_cluster c(o);
  c.start_all();
  auto& m = c.master();
  BOOST_TEST(m.wait_for_log("expected_remote = 4 (the topology's extensions have 1)", 10s),
             m.tail());
  BOOST_TEST(m.wait_for_log("merge 1/4 remote engines: degraded", 10s), m.tail());
  auto id = c.submit(data);
  check_exactly_once(c.wait_for_job(id, 90s), records);
  BOOST_TEST(merge_nodes(c.db(), id) == (std::vector<std::string>{"ext1", "master"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_drained_node_gets_no_work_until_it_is_undrained) {
  constexpr int64_t records = 4000;
  auto data = invoices(records);
  cluster_options o;
  o.extra = std::string{spread_wide} +
            "[scheduler.merge]\n"
            "parallel_per_job = { medium = 16, large = 16 }\n";
  test_cluster c(o);
  c.start_all();
  auto drain = c.client({"drain", "--node", "ext2"});
  BOOST_REQUIRE_MESSAGE(drain.exit_code == 0, drain.out << drain.err);
  BOOST_TEST(c.master().wait_for_log("node 'ext2' draining", 10s), c.master().tail());

  auto drained = c.submit(data);
  check_exactly_once(c.wait_for_job(drained, 90s), records);
  auto nodes = merge_nodes(c.db(), drained);
  BOOST_TEST(!contains(nodes, "ext2"));
  BOOST_TEST(c.db().scalar("SELECT COUNT(*) FROM batches WHERE job_id = " +
                           std::to_string(drained) + " AND node = 'ext2'") == 0);
  BOOST_TEST(c.db().column("SELECT state FROM nodes WHERE name = 'ext2'") ==
                 std::vector<std::string>{"draining"},
             boost::test_tools::per_element());

  auto undrain = c.client({"drain", "--node", "ext2", "--off"});
  BOOST_REQUIRE_MESSAGE(undrain.exit_code == 0, undrain.out << undrain.err);
  auto again = c.submit(data);
  check_exactly_once(c.wait_for_job(again, 90s), records);
  BOOST_TEST(contains(merge_nodes(c.db(), again), "ext2"));
}
