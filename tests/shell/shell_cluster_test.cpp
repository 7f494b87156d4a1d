// The shell against a real cluster: a master and two extensions as `caf-node
// run` processes on loopback sharing a fresh MariaDB database, and
// `caf-node shell -c CMD --json` as an operator's script would run it.
#define BOOST_TEST_MODULE shell_cluster
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;
using json = nlohmann::json;

namespace {

/// `caf-node shell -c CMD --json` through `via` (default: the master).
run_result shell(const test_cluster& c, const std::string& command,
                 const std::string& via = "master") {
  return weft::test::shell(c.via(via), command);
}

/// The JSON answer of a command that must succeed.
json answer(const test_cluster& c, const std::string& command, const std::string& via = "master") {
  return c.answer(command, via);
}

const json& capacity_of(const json& capacity, const std::string& type) {
  for (const auto& c : capacity["capacity"])
    if (c["type"] == type) return c;
  throw std::runtime_error("no capacity for " + type + ": " + capacity.dump());
}

void drain_all(const test_cluster& c, bool on) {
  for (const auto& n : c.spec().nodes)
    BOOST_REQUIRE(answer(c, std::string{on ? "drain " : "undrain "} + n.name)["draining"] == on);
}

}  // namespace

BOOST_AUTO_TEST_CASE(nodes_engines_capacity_actors_config_and_logs_of_a_three_node_cluster) {
  test_cluster c;
  c.start_all();

  auto nodes = answer(c, "nodes")["nodes"];
  BOOST_REQUIRE_EQUAL(nodes.size(), 3u);
  for (const auto& [name, role] : {std::pair{"master", "master"}, std::pair{"ext1", "extension"},
                                   std::pair{"ext2", "extension"}}) {
    auto n = find_by(nodes, "name", name);
    BOOST_REQUIRE_MESSAGE(!n.is_null(), name << " missing: " << nodes.dump());
    BOOST_TEST(n["role"] == role);
    BOOST_TEST(n["state"] == "up", n.dump());
    BOOST_TEST(n["version"].is_string());
    BOOST_TEST(!n["version"].get<std::string>().empty());
  }

  // Every engine with its node: 2 merge + 1 weaver on each of the three nodes.
  json engines;
  wait_until(
      [&] {
        engines = answer(c, "engines")["engines"];
        return engines.size() == 9;
      },
      15s);
  BOOST_REQUIRE_MESSAGE(engines.size() == 9u, engines.dump());
  for (const auto* node : {"master", "ext1", "ext2"})
    for (const auto* id : {"/merge/0", "/merge/1", "/weaver/0"}) {
      auto e = find_by(engines, "id", std::string{node} + id);
      BOOST_REQUIRE_MESSAGE(!e.is_null(), node << id << " missing: " << engines.dump());
      BOOST_TEST(e["node"] == node);
      BOOST_TEST((e["state"] == "idle" || e["state"] == "busy"), e.dump());
    }
  auto merge_only = answer(c, "engines merge")["engines"];
  BOOST_TEST(merge_only.size() == 6u);

  // Expected remote totals default to the sum over the extensions.
  auto capacity = answer(c, "capacity");
  const auto& merge = capacity_of(capacity, "merge");
  BOOST_TEST(merge["local"] == 2);
  BOOST_TEST(merge["expected_remote"] == 4);
  BOOST_TEST(merge["registered_remote"] == 4);
  BOOST_TEST(merge["active"] == 6);
  BOOST_TEST(merge["standby"] == 0);
  BOOST_TEST(merge["degraded"] == false);
  const auto& weaver = capacity_of(capacity, "weaver");
  BOOST_TEST(weaver["expected_remote"] == 2);
  BOOST_TEST(weaver["registered_remote"] == 2);

  // A node's actors, answered by that node (forwarded by the master), and
  // the same through an extension (forwarded to the master and on).
  for (const auto* via : {"master", "ext2"}) {
    auto actors = answer(c, "actors ext1", via);
    BOOST_TEST(actors["node"] == "ext1");
    auto agent = find_by(actors["actors"], "role", "agent");
    BOOST_TEST_MESSAGE(actors.dump());
    BOOST_REQUIRE_MESSAGE(!agent.is_null(), actors.dump());
    BOOST_TEST(agent["mailbox"].is_number());
    BOOST_TEST(!find_by(actors["actors"], "name", "ext1/merge/0").is_null());
  }
  // Cluster commands through an extension reach the master.
  BOOST_TEST(answer(c, "capacity", "ext1")["capacity"].size() == 2u);

  auto config = answer(c, "config ext2")["text"].get<std::string>();
  BOOST_TEST(config.find("ext2") != std::string::npos, config);
  auto secret = std::ifstream(c.spec().secret_file);
  std::string secret_text;
  std::getline(secret, secret_text);
  BOOST_REQUIRE(!secret_text.empty());
  BOOST_TEST(config.find(secret_text) == std::string::npos, "the secret must be redacted");

  auto logs = answer(c, "logs ext1");
  BOOST_TEST(logs["node"] == "ext1");
  BOOST_REQUIRE(!logs["lines"].empty());
  // They are ext1's own lines: each one stands in its log file as well.
  const auto ext1_log = c.node("ext1").log();
  for (const auto& l : logs["lines"])
    BOOST_TEST(ext1_log.find(l["text"].get<std::string>()) != std::string::npos, l.dump());

  // Bad usage is exit code 2, a command about an unknown node is 1.
  BOOST_TEST(shell(c, "nods").exit_code == 2);
  BOOST_TEST(shell(c, "actors nosuchnode").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(set_reclassifies_a_running_job_persists_and_drain_takes_a_node_out) {
  constexpr int64_t records = 3000;
  auto data = invoices(records);
  test_cluster c;
  c.start_all();

  // Nothing runs while every node is drained: the job waits, classified.
  drain_all(c, true);
  auto nodes = answer(c, "nodes")["nodes"];
  for (const auto& n : nodes) BOOST_TEST(n["state"] == "draining", n.dump());
  auto id = c.submit(data);
  json job;
  wait_until(
      [&] {
        job = answer(c, "job " + std::to_string(id))["job"];
        return job["state"] == "merging";
      },
      60s);
  BOOST_REQUIRE_MESSAGE(job["state"] == "merging", job.dump() << c.logs());
  BOOST_TEST(job["class"] == "medium", job.dump());

  // Lowering the large threshold makes the running job large, at once.
  auto set = answer(c, "set scheduler.min_records_large 1000");
  BOOST_TEST(set["value"] == "1000");
  BOOST_TEST(set["previous"] == "10000");
  job = answer(c, "job " + std::to_string(id))["job"];
  BOOST_TEST(job["class"] == "large", job.dump());
  auto listed = find_by(answer(c, "jobs merging")["jobs"], "state", "merging");
  BOOST_TEST(listed["class"] == "large", listed.dump());
  auto setting = find_by(answer(c, "settings")["settings"], "key", "scheduler.min_records_large");
  BOOST_TEST(setting["value"] == "1000");
  BOOST_TEST(setting["source"] == "set");

  // A value the topology file would refuse is refused, and changes nothing.
  auto bad = shell(c, "set scheduler.min_records_large 0");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("min_records_large") != std::string::npos, bad.err);

  // Work again, except on ext1 (still drained): none of the job's merge batches run there.
  BOOST_REQUIRE(answer(c, "undrain master")["draining"] == false);
  BOOST_REQUIRE(answer(c, "undrain ext2")["draining"] == false);
  auto done = c.wait_for_job(id, 120s);
  BOOST_REQUIRE_EQUAL(parse_job(done).state, "done");
  auto problems = exactly_once_problems(invoice_counts(parse_job(done).outputs), records);
  BOOST_TEST(problems.empty(), problems);
  auto ran_on =
      c.db().column("SELECT DISTINCT node FROM batches WHERE job_id = " + std::to_string(id) +
                    " AND phase = 'merge'");
  bool ext1_worked = std::find(ran_on.begin(), ran_on.end(), "ext1") != ran_on.end();
  BOOST_TEST(!ext1_worked, "a drained node got work");

  // The setting survives a master restart, and the restarted scheduler applies it:
  // a new job of the same size is classified large.
  c.master().kill();
  c.start_master();
  setting = find_by(answer(c, "settings")["settings"], "key", "scheduler.min_records_large");
  BOOST_TEST(setting["value"] == "1000");
  BOOST_TEST(setting["source"] == "set");
  auto again = c.submit(data);
  wait_until(
      [&] {
        auto a = shell_answer(c.via(), "job " + std::to_string(again));
        job = a ? (*a)["job"] : json(nullptr);
        // "" until mapping has counted the records.
        return job.is_object() && job["class"].is_string() && job["class"] != "";
      },
      60s);
  BOOST_TEST(job["class"] == "large", job.dump() << c.master().tail());
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_refused_with_exit_code_2) {
  test_cluster c(cluster_options::master_only());
  c.start_master();
  temp_dir d;
  auto wrong = d.path() + "/wrong.secret";
  { std::ofstream(wrong) << "not-the-cluster-secret-at-all-0123456789\n"; }
  ::chmod(wrong.c_str(), 0600);
  auto r = run_command({CAF_NODE, "shell", "--connect", c.connect(), "--secret-file", wrong,
                        "--json", "-c", "nodes"},
                       30s);
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("secret") != std::string::npos, r.err);
  // The master's side of a refusal is only in its log: the reason's token.
  BOOST_TEST(wait_until([&] { return c.master().count("authentication failed") > 0; }, 10s),
             c.master().tail());
}

BOOST_AUTO_TEST_CASE(a_killed_node_shows_as_lost_and_a_hung_one_answers_within_the_timeout) {
  test_cluster c;
  c.start_all();

  c.node("ext2").kill();
  json ext2;
  wait_until(
      [&] {
        ext2 = find_by(answer(c, "nodes")["nodes"], "name", "ext2");
        return ext2["state"] == "lost";
      },
      10s);
  BOOST_TEST(ext2["state"] == "lost", ext2.dump());
  auto started = steady::now();
  auto r = shell(c, "actors ext2");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("not connected") != std::string::npos, r.err);
  BOOST_TEST(ms_since(started) < 10000);
  // Its engines are shown as lost, the others still answer.
  auto engines = answer(c, "engines")["engines"];
  BOOST_TEST(find_by(engines, "id", "ext2/merge/0")["state"] == "lost", engines.dump());

  // A hung node (SIGSTOP) does not answer: the command says so within its
  // timeout (request_timeout, 5 s by default), before the node is even lost.
  c.node("ext1").signal(SIGSTOP);
  started = steady::now();
  r = shell(c, "actors ext1");
  auto took = ms_since(started);
  c.node("ext1").signal(SIGCONT);
  BOOST_TEST(r.exit_code == 1, r.out);
  BOOST_TEST((r.err.find("did not answer") != std::string::npos ||
              r.err.find("not connected") != std::string::npos),
             r.err);
  BOOST_TEST(took < 9000, "took " << took << " ms");
}

BOOST_AUTO_TEST_CASE(cleanup_commands_and_a_changed_schedule_reach_every_node) {
  test_cluster c;
  c.start_all();

  // A sweep keeps the lease for lock_at_least (30 s by default): shorter here.
  BOOST_TEST(answer(c, "set cleanup.lock_at_least 100ms")["value"] == "\"100ms\"");
  // A manual sweep on an extension, forwarded by the master.
  auto sweep = answer(c, "cleanup run ext1");
  BOOST_TEST((sweep["status"] == "done" || sweep["status"] == "skipped"), sweep.dump());
  if (sweep["status"] == "done") BOOST_TEST(sweep["node"] == "ext1", sweep.dump());
  auto locks = answer(c, "locks")["locks"];
  BOOST_TEST(!find_by(locks, "name", "cleanup").is_null(), locks.dump());

  // The default schedule (every 15 minutes) becomes every second: the clean-up
  // actors are told at once, and the nodes take turns under the lease.
  // Every node got the new schedule: each one sweeps after the change (before it,
  // with the 15-minute default and no sweep at start, only the manual one ran).
  const auto before = c.db().scalar("SELECT COALESCE(MAX(id), 0) FROM sweeps");
  auto set = answer(c, "set cleanup.interval 1s");
  BOOST_TEST(set["value"] == "\"1s\"", set.dump());
  json sweeps;
  std::set<std::string> swept_by;
  wait_until(
      [&] {
        sweeps = answer(c, "cleanup status")["sweeps"];
        swept_by.clear();
        for (const auto& s : sweeps)
          if (s.value("id", int64_t{0}) > before) swept_by.insert(s.value("node", ""));
        return swept_by.size() == 3;
      },
      30s);
  BOOST_TEST(swept_by.size() == 3u, sweeps.dump() << "\n" << c.logs());
}

BOOST_AUTO_TEST_CASE(jobs_are_submitted_followed_and_cancelled_through_an_extension) {
  constexpr int64_t records = 2000;
  auto data = invoices(records);
  test_cluster c;
  c.start_all();
  const auto ext1 = c.address("ext1");

  // `submit --wait` through an extension: the master takes the job from the
  // database, the extension follows it there; every record exactly once.
  auto r = run_command({CAF_NODE, "submit", "--connect", ext1, "--config", c.topology(), "--data",
                        data, "--template", invoice_template(), "--format", "txt", "--wait"},
                       180s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err << c.logs());
  auto id = std::stoll(r.out.substr(0, r.out.find('\n')));
  auto done = c.job_json(id, false);
  auto job = parse_job(done);
  BOOST_TEST(job.state == "done");
  auto problems = exactly_once_problems(invoice_counts(job.outputs), records);
  BOOST_TEST(problems.empty(), problems);

  // A waiting job cancelled through the extension's shell.
  drain_all(c, true);
  r = run_command({CAF_NODE, "submit", "--connect", ext1, "--config", c.topology(), "--data", data,
                   "--template", invoice_template(), "--format", "txt"},
                  60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto waiting = std::stoll(r.out.substr(0, r.out.find('\n')));
  json state;
  wait_until(
      [&] {
        state = answer(c, "job " + std::to_string(waiting), "ext1")["job"]["state"];
        return state == "merging";
      },
      30s);
  BOOST_REQUIRE_MESSAGE(state == "merging", state.dump());
  auto cancelled = answer(c, "cancel " + std::to_string(waiting), "ext1");
  BOOST_TEST(cancelled["state"] == "cancelled", cancelled.dump());
  BOOST_TEST(find_by(answer(c, "jobs cancelled", "ext2")["jobs"], "state", "cancelled")["id"] ==
             waiting);

  // The command-line drain through an extension reaches the master too.
  r = run_command(
      {CAF_NODE, "drain", "--connect", ext1, "--config", c.topology(), "--node", "ext2", "--off"},
      30s);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(find_by(answer(c, "nodes")["nodes"], "name", "ext2")["state"] == "up");
}
