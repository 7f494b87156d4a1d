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

/// The `capacity` row of an engine type, through the master's shell; null when
/// the master does not answer.
nlohmann::json capacity_of(test_cluster& c, const std::string& type) {
  auto answer = shell_answer(c.via(), "capacity");
  return answer ? find_by((*answer)["capacity"], "type", type) : nlohmann::json(nullptr);
}

/// Waits (10 s) until the master's `capacity` of `type` shows `expected` in every
/// key it names; returns the last row seen, for the failure message.
nlohmann::json wait_for_capacity(test_cluster& c, const std::string& type,
                                 const nlohmann::json& expected) {
  nlohmann::json row;
  wait_until(
      [&] {
        row = capacity_of(c, type);
        if (!row.is_object()) return false;
        for (const auto& [key, value] : expected.items())
          if (!row.contains(key) || row[key] != value) return false;
        return true;
      },
      10s);
  return row;
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
  // Two remote merge engines registered, one expected: one active, one on standby.
  const nlohmann::json standing_by = {
      {"expected_remote", 1}, {"registered_remote", 2}, {"active", 1}, {"standby", 1}};
  auto merge = wait_for_capacity(c, "merge", standing_by);
  BOOST_TEST(merge["standby"] == 1, merge.dump() << "\n" << c.master().tail());
  BOOST_TEST(merge["active"] == 1, merge.dump());
  BOOST_TEST(merge["degraded"] == false, merge.dump());
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
  BOOST_TEST(wait_until([&] { return c.node_state(active_node) == "lost"; }, 10s),
             active_node << " is " << c.node_state(active_node) << "\n"
                         << c.master().tail());
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
  // expected_remote is given (4), one remote merge engine registered: degraded.
  // A standby candidate (WEFT_TEST_MASTERS=2) registers its merge engine as a remote one.
  const int remote = c.has_standby() ? 2 : 1;
  const nlohmann::json degraded = {{"expected_remote", 4},
                                   {"expected_explicit", true},
                                   {"registered_remote", remote},
                                   {"degraded", true}};
  auto merge = wait_for_capacity(c, "merge", degraded);
  BOOST_TEST(merge["degraded"] == true, merge.dump() << "\n" << c.master().tail());
  BOOST_TEST(merge["expected_remote"] == 4, merge.dump());
  BOOST_TEST(merge["registered_remote"] == remote, merge.dump());
  auto id = c.submit(data);
  check_exactly_once(c.wait_for_job(id, 90s), records);
  auto expected = std::vector<std::string>{"ext1", "master"};
  if (c.has_standby()) expected.push_back("master2");
  BOOST_TEST(merge_nodes(c.db(), id) == expected, boost::test_tools::per_element());
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
  // The drain is answered once the scheduler took it: the node's state says so.
  BOOST_TEST(find_by(c.answer("nodes")["nodes"], "name", "ext2")["state"] == "draining",
             c.master().tail());

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
