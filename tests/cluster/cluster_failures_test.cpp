// A master and two extensions on one MariaDB database: a large job is served
// by the engines of all three nodes; an extension killed (SIGKILL) or hung
// (SIGSTOP) in the middle of a job, and the master killed and started again,
// cost time but never a record: every record is in the job's outputs exactly
// once, and the database shows who did what.
#define BOOST_TEST_MODULE cluster_failures
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <iostream>
#include <set>

#include "tests/cluster/cluster_checks.hpp"
#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

namespace {

/// Small merge batches, so that a job of a few ten thousand records has a
/// hundred of them and is surely in the middle of merging when a node fails.
const char* small_batches =
    "[scheduler]\n"
    "min_batch_size = 10\n"
    "max_batch_size = 400\n";

/// Three nodes (the default) with small merge batches.
cluster_options small_batch_cluster() {
  cluster_options o;
  o.extra = small_batches;
  return o;
}

/// Freezes `node` (SIGSTOP) in the middle of merging `job`: once it has
/// finished a merge batch and while more than half of them are still open, so
/// that its engines surely hold batches. The node stays stopped.
void freeze_mid_job(test_cluster& c, int64_t job, const std::string& node) {
  const auto batches =
      "SELECT COUNT(*) FROM batches WHERE phase = 'merge' AND " + job_condition(job);
  bool started = wait_until(
      [&] { return c.db().scalar(batches + " AND state = 'done' AND node = '" + node + "'") > 0; },
      120s);
  BOOST_REQUIRE_MESSAGE(started, node << " never finished a merge batch of job " << job << "\n"
                                      << c.logs());
  c.node(node).signal(SIGSTOP);
  auto open = c.db().scalar(batches + " AND state <> 'done'");
  BOOST_REQUIRE_MESSAGE(open * 2 > c.db().scalar(batches),
                        "the job was almost done when " << node << " was stopped");
}

/// The merge batches of `job` the master handed out again (attempt 2 or later):
/// in these tests only the loss of a node hands batches out again. A batch the
/// lost node had completed before it was lost keeps attempt 1 (the fence refuses
/// to queue a done batch again), so it is not among them.
std::vector<std::string> requeued_merge_batches(fresh_database& db, int64_t job) {
  return db.column("SELECT CAST(batch_no AS CHAR) FROM batches WHERE phase = 'merge' AND " +
                   job_condition(job) + " AND attempt > 1 ORDER BY batch_no");
}

/// Waits (10 s each) until the master has declared `node` lost (its row says so)
/// and handed out again merge batches of `job` it held; returns those.
std::vector<std::string> lost_and_handed_out_again(test_cluster& c, int64_t job,
                                                   const std::string& node) {
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return c.node_state(node) == "lost"; }, 10s),
                        node << " is " << c.node_state(node) << "\n"
                             << c.logs());
  std::vector<std::string> held;
  wait_until(
      [&] {
        held = requeued_merge_batches(c.db(), job);
        return !held.empty();
      },
      10s);
  BOOST_REQUIRE_MESSAGE(!held.empty(), "no batch of " << node << " went back to the queue\n"
                                                      << c.logs());
  return held;
}

/// The batches in `held` were redone: done, a later attempt, on another node.
/// The batches a lost node held, once done: each was either redone elsewhere under a
/// newer attempt, or completed by the lost node itself before it was lost (its
/// completion had committed, only its report was missing: the redo was then refused
/// by the fence). Returns how many were redone elsewhere.
std::size_t check_held_batches_settled(fresh_database& db, int64_t job,
                                       const std::vector<std::string>& held,
                                       const std::string& lost_node) {
  std::size_t redone = 0;
  for (const auto& batch_no : held) {
    auto row = db.column("SELECT CONCAT_WS(' ', state, attempt, node) FROM batches WHERE " +
                         job_condition(job) + " AND phase = 'merge' AND batch_no = " + batch_no);
    BOOST_REQUIRE_EQUAL(row.size(), 1u);
    BOOST_TEST_CONTEXT("merge batch " << batch_no << ": " << row[0]) {
      BOOST_TEST(row[0].rfind("done ", 0) == 0);
      const bool by_lost = row[0] == "done 1 " + lost_node;
      const bool elsewhere = row[0].find(" 1 ") == std::string::npos &&
                             row[0].find(" " + lost_node) == std::string::npos;
      BOOST_TEST((by_lost || elsewhere));
      if (elsewhere) ++redone;
    }
  }
  return redone;
}

/// Waits until every batch in `held` is done, by anyone.
bool held_batches_done(fresh_database& db, int64_t job, const std::vector<std::string>& held) {
  return wait_until(
      [&] {
        for (const auto& b : held)
          if (db.scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(job) +
                        " AND phase = 'merge' AND batch_no = " + b + " AND state = 'done'") == 0)
            return false;
        return true;
      },
      60s);
}

/// Merge batches per node, for the test log.
std::string batches_per_node(fresh_database& db, int64_t job) {
  std::string out;
  for (const auto& line :
       db.column("SELECT CONCAT(node, ': ', COUNT(*)) FROM batches WHERE " + job_condition(job) +
                 " AND phase = 'merge' GROUP BY node ORDER BY node"))
    out += line + "  ";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_large_job_is_served_by_the_engines_of_all_three_nodes) {
  constexpr int64_t records = 40000;
  auto data = invoices(records);
  test_cluster c;
  c.start_all();
  auto submitted = steady::now();
  auto id = c.submit(data);
  auto json = c.wait_for_job(id, 90s);
  std::cout << "large job: " << records << " records in " << ms_since(submitted)
            << " ms; merge batches per node: " << batches_per_node(c.db(), id) << std::endl;
  check_exactly_once(json, records);
  auto nodes = c.db().column("SELECT DISTINCT node FROM batches WHERE " + job_condition(id) +
                             " AND phase = 'merge' ORDER BY node");
  // A standby candidate (WEFT_TEST_MASTERS=2) serves with its engines as an extension does.
  auto expected = std::vector<std::string>{"ext1", "ext2", "master"};
  if (c.has_standby()) expected.push_back("master2");
  BOOST_TEST(nodes == expected, boost::test_tools::per_element());
  check_batches_settled(c.db(), id);
}

BOOST_AUTO_TEST_CASE(an_extension_killed_mid_job_costs_no_record) {
  constexpr int64_t records = 40000;
  auto data = invoices(records);
  test_cluster c(small_batch_cluster());
  c.start_all();
  // PDF output: every record's document is counted in the text pdftotext extracts.
  auto id = c.submit(data, "pdf");

  freeze_mid_job(c, id, "ext1");
  auto killed = steady::now();
  c.node("ext1").kill();
  auto held = lost_and_handed_out_again(c, id, "ext1");
  std::cout << "SIGKILL of ext1 holding merge batches " << held.size() << ": declared lost after "
            << ms_since(killed) << " ms" << std::endl;
  BOOST_TEST(held_batches_done(c.db(), id, held), c.logs());
  std::cout << "its batches were done " << ms_since(killed) << " ms after the kill" << std::endl;

  auto json = c.wait_for_job(id, 90s);
  check_exactly_once(json, records);
  // Read again now that every hand-out is written: none was missed above.
  held = requeued_merge_batches(c.db(), id);
  auto redone = check_held_batches_settled(c.db(), id, held, "ext1");
  std::cout << redone << " of them redone elsewhere, the others had committed before the kill"
            << std::endl;
  check_batches_settled(c.db(), id);
  std::cout << "merge batches per node: " << batches_per_node(c.db(), id) << std::endl;
}

// Merging while mapping (`[scheduler] merge_while_mapping = true`, issue 15): ext1 is killed
// while the job still maps and it has merged some of its batches (and may hold more). The
// master declares it lost, hands what it held out again — batches of a job that is still
// mapping — and the job ends with every record exactly once. (Whether ext1 held a batch at
// the kill is chance here: the job's batches done again are checked whenever there are.)
BOOST_AUTO_TEST_CASE(an_extension_killed_while_the_job_maps_and_merges_costs_no_record) {
  constexpr int64_t records = 40000;
  auto data = invoices(records);
  cluster_options o;
  o.extra = std::string{small_batches} + "merge_while_mapping = true\n";
  test_cluster c(o);
  c.start_all();
  auto id = c.submit(data);
  const auto merge_batches =
      "SELECT COUNT(*) FROM batches WHERE phase = 'merge' AND " + job_condition(id);
  bool mapping_and_merged = wait_until(
      [&] {
        return c.db().scalar(merge_batches + " AND state = 'done' AND node = 'ext1'") > 0 &&
               c.db().scalar("SELECT COUNT(*) FROM jobs WHERE id = " + std::to_string(id) +
                             " AND state = 'mapping'") == 1;
      },
      120s);
  BOOST_REQUIRE_MESSAGE(mapping_and_merged, "ext1 merged nothing while job " << id << " mapped\n"
                                                                             << c.logs());
  c.node("ext1").kill();
  auto killed = steady::now();
  std::cout << "SIGKILL of ext1 while job " << id << " maps, "
            << c.db().scalar(merge_batches + " AND state = 'done'") << " merge batches done of "
            << c.db().scalar(merge_batches) << " cut so far" << std::endl;
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return c.node_state("ext1") == "lost"; }, 10s),
                        "ext1 is " << c.node_state("ext1") << "\n"
                                   << c.logs());
  std::cout << "declared lost after " << ms_since(killed) << " ms" << std::endl;
  auto json = c.wait_for_job(id, 120s);
  check_exactly_once(json, records);
  auto held = requeued_merge_batches(c.db(), id);
  auto redone = check_held_batches_settled(c.db(), id, held, "ext1");
  std::cout << held.size() << " merge batches handed out again, " << redone << " redone elsewhere"
            << std::endl;
  check_batches_settled(c.db(), id);
  std::cout << "merge batches per node: " << batches_per_node(c.db(), id) << std::endl;
}

BOOST_AUTO_TEST_CASE(a_hung_extension_is_declared_lost_and_its_late_results_are_refused) {
  constexpr int64_t records = 40000;
  auto data = invoices(records);
  test_cluster c(small_batch_cluster());
  c.start_all();
  auto& ext1 = c.node("ext1");
  auto id = c.submit(data);
  const auto first_join = c.joined_at("ext1");

  freeze_mid_job(c, id, "ext1");
  auto stopped = steady::now();
  auto held = lost_and_handed_out_again(c, id, "ext1");
  auto lost_after = ms_since(stopped);
  std::cout << "SIGSTOP of ext1 holding merge batches " << held.size() << ": declared lost after "
            << lost_after << " ms (node_timeout 500 ms)" << std::endl;
  BOOST_TEST(lost_after < 5000, "declared lost only after " << lost_after << " ms");

  // A hung node may hold row locks in an open transaction: the database ends such a
  // transaction after idle_transaction_timeout (2 s), so the redo is not blocked for long.
  BOOST_REQUIRE_MESSAGE(held_batches_done(c.db(), id, held),
                        "the batches of the hung node were not done\n"
                            << c.logs());
  std::cout << "its batches were done " << ms_since(stopped) << " ms after SIGSTOP" << std::endl;
  // Every batch handed out again while ext1 is frozen (the first read above may miss
  // some: an engine's down message can requeue its batch later than the node's loss),
  // done before it wakes. Batches handed out again after it rejoined (should it be lost
  // again on a starved machine) may be redone by anyone, ext1 included: the exactly-once
  // and attempt checks below cover them.
  held = requeued_merge_batches(c.db(), id);
  BOOST_REQUIRE_MESSAGE(held_batches_done(c.db(), id, held),
                        "the batches of the hung node were not done\n"
                            << c.logs());
  auto redone = check_held_batches_settled(c.db(), id, held, "ext1");
  std::cout << redone << " of " << held.size()
            << " redone elsewhere, the others had committed before the hang" << std::endl;

  // Wake it up: what its engines were doing finishes now, late, and is refused
  // (the fence: check_batches_settled finds no content of an old attempt).
  auto woken = steady::now();
  ext1.signal(SIGCONT);
  BOOST_TEST(wait_until([&] { return c.joined("ext1", first_join); }, 30s), c.logs());
  std::cout << "after SIGCONT ext1 rejoined in " << ms_since(woken) << " ms" << std::endl;
  // Whether a late result was refused shows only in ext1's log (no table or shell
  // answer counts refused results): the engine's token for it. Or there was none: the
  // master ended the lost node's database sessions (master_store::end_sessions_of), so work
  // that was reading or storing through them fails when ext1 wakes ("their results are not
  // trusted") and the engine drops it when it joins again.
  if (redone > 0)
    BOOST_TEST(wait_until(
                   [&] {
                     return ext1.count("(another attempt won)") > 0 ||
                            ext1.count("their results are not trusted") > 0;
                   },
                   30s),
               ext1.tail());

  auto json = c.wait_for_job(id, 90s);
  check_exactly_once(json, records);
  check_held_batches_settled(c.db(), id, held, "ext1");
  check_batches_settled(c.db(), id);
  std::cout << "ext1 declared lost " << c.node("master").count("node 'ext1' lost")
            << " times by the master" << std::endl;
  BOOST_TEST(ext1.running());
  BOOST_TEST(c.db().column("SELECT state FROM nodes WHERE name = 'ext1'") ==
                 std::vector<std::string>{"up"},
             boost::test_tools::per_element());
  std::cout << "merge batches per node: " << batches_per_node(c.db(), id) << std::endl;
}

BOOST_AUTO_TEST_CASE(a_master_killed_mid_job_resumes_it_when_started_again) {
  constexpr int64_t records = 20000;
  auto data = invoices(records);
  test_cluster c(small_batch_cluster());
  c.start_all();
  auto id = c.submit(data);

  require_merging(c, id);
  std::map<std::string, std::string> joined_before;
  for (const auto& name : c.extension_names()) joined_before[name] = c.joined_at(name);
  // The active master (with two candidates, WEFT_TEST_MASTERS=2, the lease holder: the
  // other one takes over and resumes the job before the killed one is back).
  const auto killed_master = c.active_master();
  c.node(killed_master).kill();
  auto killed = steady::now();
  // The batches done when the master died, with who did them in which attempt.
  const auto done_sql =
      "SELECT CONCAT_WS(' ', phase, batch_no, attempt, node) FROM batches WHERE " +
      job_condition(id) + " AND state = 'done' ORDER BY phase, batch_no";
  const auto done_at_kill = c.db().column(done_sql);
  auto all = c.db().scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(id));
  std::cout << "master killed with " << done_at_kill.size() << " of " << all << " batches done"
            << std::endl;
  // The extensions outlive the master; that they noticed its death shows below:
  // an extension joins the new master only after it gave up the old one.
  for (const auto& name : c.extension_names()) BOOST_TEST(c.node(name).running());

  c.restart_candidate(killed_master);
  auto restarted = steady::now();
  for (const auto& name : c.extension_names())
    BOOST_TEST(wait_until([&] { return c.joined(name, joined_before[name]); }, 30s), c.logs());
  std::cout << "master restarted "
            << std::chrono::duration_cast<std::chrono::milliseconds>(restarted - killed).count()
            << " ms after the kill; the extensions rejoined " << ms_since(restarted)
            << " ms after the restart" << std::endl;

  auto json = c.wait_for_job(id, 90s);
  // Resumed, not started over: what was done before the kill stayed done, in the
  // same attempt by the same node.
  auto done_after = c.db().column(done_sql);
  std::set<std::string> now_done(done_after.begin(), done_after.end());
  for (const auto& batch : done_at_kill)
    BOOST_TEST(now_done.count(batch) == 1u, "batch " << batch << " was done again");
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);
  std::cout << "merge batches per node: " << batches_per_node(c.db(), id) << std::endl;
}
