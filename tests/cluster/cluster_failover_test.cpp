// Master failover (docs/cluster.md "Master failover"): two master candidates ("master",
// priority 10, and "master2", priority 5) and one extension on one MariaDB database. The
// active master killed (SIGKILL) or frozen (SIGSTOP) in the middle of a 40,000-record job:
// the standby takes the scheduler lease within master_lease + 1 s, finishes the job, every
// record exactly once; a frozen master woken after the take-over has its writes refused by
// the fence and steps down; both candidates started at once: exactly one becomes active; a
// `submit --wait` given both candidates' addresses survives a take-over.
#define BOOST_TEST_MODULE cluster_failover
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/cluster/cluster_checks.hpp"
#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

namespace {

/// Set, not the default (node_timeout 500 ms → 750 ms): a test machine running other
/// suites may stall a renewal that long, and a spurious step-down is not what is tested.
constexpr long long master_lease_ms = 1500;

cluster_options failover_cluster() {
  cluster_options o;
  o.extensions = 1;
  o.standby_master = true;
  o.master_lease = std::to_string(master_lease_ms) + "ms";
  o.extra =
      "[scheduler]\n"
      "min_batch_size = 10\n"
      "max_batch_size = 400\n";
  return o;
}

/// Master, standby, extension; a 40k-record job submitted and in the middle of merging.
int64_t start_cluster_and_job(test_cluster& c, int64_t records) {
  c.start_master();
  BOOST_REQUIRE_MESSAGE(c.lease_holder() == "master", c.logs());
  c.start_standby();
  c.start_extension("ext1");
  auto id = c.submit(invoices(records));
  require_merging(c, id);
  auto open = c.db().scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(id) +
                            " AND state <> 'done'");
  BOOST_REQUIRE_MESSAGE(open > 10, "the job was almost done already");
  return id;
}

/// Waits until master2 holds the lease; returns the milliseconds since `since`.
long long take_over_time(test_cluster& c, steady::time_point since) {
  bool took = wait_until([&] { return c.lease_holder() == "master2"; }, 30s);
  auto ms = ms_since(since);
  BOOST_REQUIRE_MESSAGE(took, "master2 never took the lease\n" << c.logs());
  return ms;
}

long long history_count(test_cluster& c, const std::string& where) {
  return c.db().scalar("SELECT COUNT(*) FROM master_history WHERE " + where);
}

/// A MariaDB server of this test alone (scripts/mariadb.sh), which the test stops and
/// starts again; the clusters made while it lives use it (the WEFT_TEST_MARIADB_*
/// variables point at it, and are put back afterwards).
class private_mariadb {
 public:
  private_mariadb() {
    auto r = script("start");
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      const std::string prefix = "export ";
      auto eq = line.find('=');
      if (line.rfind(prefix, 0) != 0 || eq == std::string::npos) continue;
      auto name = line.substr(prefix.size(), eq - prefix.size());
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), line.substr(eq + 1).c_str(), 1);
    }
    BOOST_REQUIRE_MESSAGE(std::getenv("WEFT_TEST_MARIADB_URL"), r.out + r.err);
  }
  ~private_mariadb() {
    script("stop", false);
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  private_mariadb(const private_mariadb&) = delete;
  private_mariadb& operator=(const private_mariadb&) = delete;

  void stop() { script("stop"); }
  void restart() { script("restart"); }

 private:
  run_result script(const std::string& verb, bool require = true) {
    auto r = run_command({"/bin/bash", std::string{WEFT_SOURCE_DIR} + "/scripts/mariadb.sh", verb,
                          (dir_ / "server").string()},
                         120s);
    if (require) BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "mariadb.sh " << verb << ": " << r.err);
    return r;
  }

  temp_dir dir_{"mariadb"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// One term of a node as the active master, from its log: from the line saying it took
/// the lease to the first saying it gave it up ("" while it still holds it). Timestamps
/// are the log's ("2026-11-29T01:02:03.456", comparable as text; one machine, one clock).
struct term {
  std::string node;
  int64_t token = 0;
  std::string from, to;
};

std::vector<term> terms_in_log(const std::string& node, const std::string& log) {
  static const std::regex took(
      R"(^(\S+) .*(?:took the scheduler lease with token|taking over as the master with scheduler lease token) (\d+))");
  static const std::regex gave(
      R"(^(\S+) .*(?:giving up the scheduler lease \(token|stepping down as the master \(scheduler lease token) (\d+)\))");
  static const std::regex stopped(R"(^(\S+) .*(?:handed the scheduler lease \(token) (\d+)\))");
  // The process ends: it holds nothing from then on (its lease expires on the database clock).
  static const std::regex exited(R"(^(\S+) .*node did not stop within)");
  std::vector<term> out;
  std::istringstream lines(log);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, m, took)) {
      out.push_back({node, std::stoll(m[2]), m[1], ""});
    } else if (std::regex_search(line, m, gave) || std::regex_search(line, m, stopped)) {
      for (auto& t : out)
        if (t.token == std::stoll(m[2]) && t.to.empty()) t.to = m[1];
    } else if (std::regex_search(line, m, exited)) {
      for (auto& t : out)
        if (t.to.empty()) t.to = m[1];
    }
  }
  return out;
}

/// Never two masters at once, as the nodes' logs tell it: every term ended before the
/// next token's term began, and only the last term may still be open.
void check_one_master_at_a_time(test_cluster& c) {
  std::vector<term> terms;
  for (const auto* node : {"master", "master2"}) {
    auto t = terms_in_log(node, c.node(node).log());
    terms.insert(terms.end(), t.begin(), t.end());
  }
  std::sort(terms.begin(), terms.end(),
            [](const term& a, const term& b) { return a.token < b.token; });
  BOOST_REQUIRE(!terms.empty());
  for (std::size_t i = 0; i + 1 < terms.size(); ++i) {
    BOOST_TEST_CONTEXT("token " << terms[i].token << " (" << terms[i].node << ") then token "
                                << terms[i + 1].token << " (" << terms[i + 1].node << ")") {
      BOOST_TEST(terms[i].token < terms[i + 1].token);
      BOOST_TEST(!terms[i].to.empty(), "an earlier term never ended\n" << c.logs());
      BOOST_TEST(terms[i].to <= terms[i + 1].from, c.logs());
    }
  }
  // The database's record agrees: one take-over per token, tokens in the order taken.
  auto tokens = c.db().column(
      "SELECT CAST(token AS CHAR) FROM master_history WHERE event = 'take-over' "
      "ORDER BY id");
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
    BOOST_TEST(std::stoll(tokens[i]) < std::stoll(tokens[i + 1]));
  BOOST_TEST(history_count(c, "event = 'take-over'") == static_cast<long long>(terms.size()));
}
}  // namespace

BOOST_AUTO_TEST_CASE(
    the_standby_takes_over_from_a_killed_master_and_the_job_completes_exactly_once) {
  constexpr int64_t records = 40000;
  test_cluster c(failover_cluster());
  auto id = start_cluster_and_job(c, records);
  int64_t old_token = 0;
  BOOST_REQUIRE(c.lease_holder(&old_token) == "master");

  c.master().kill();
  auto killed = steady::now();
  auto took = take_over_time(c, killed);
  std::cout << "SIGKILL: master2 took the scheduler lease " << took << " ms after the kill"
            << std::endl;
  BOOST_TEST(took <= master_lease_ms + 1000, c.logs());
  int64_t token = 0;
  c.lease_holder(&token);
  BOOST_TEST(token > old_token);
  BOOST_TEST(history_count(c, "event = 'take-over' AND node = 'master2' AND token = " +
                                  std::to_string(token)) == 1);

  c.use_master("master2");
  auto json = c.wait_for_job(id, 180s);
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);

  // The killed master, started again, stands by: the lease stays with master2.
  const auto before = c.joined_at("master");
  auto& m = c.master();
  node_process::serving_check check;
  check.serves = [&] { return c.joined("master", before); };
  auto why = m.start_serving(c.topology(), check);
  BOOST_REQUIRE_MESSAGE(why.empty(), "the old master did not join as a standby: " << why << "\n"
                                                                                  << c.logs());
  BOOST_TEST(c.lease_holder() == "master2");
  BOOST_TEST(history_count(c, "event = 'take-over' AND node = 'master'") == 1);
}

// A standby whose actor system does not stop when it takes the lease over (seen rarely under
// load, cause not found; WEFT_TEST_ROLE_CHANGE_HANG_MS keeps one actor running for a minute)
// does not exit — that would leave the cluster without a master — but executes itself again
// after 10 s: same PID, same log, the lease taken back at once under a new token, and the job
// completes exactly once.
BOOST_AUTO_TEST_CASE(a_standby_whose_actors_do_not_stop_at_the_take_over_restarts_itself) {
  constexpr int64_t records = 20000;
  test_cluster c(failover_cluster());
  c.start_master();
  BOOST_REQUIRE_MESSAGE(c.lease_holder() == "master", c.logs());
  c.start_standby("master2", {"WEFT_TEST_ROLE_CHANGE_HANG_MS=60000", "WEFT_HANG_BACKTRACE=0"});
  c.start_extension("ext1");
  auto id = c.submit(invoices(records));
  require_merging(c, id);
  auto& standby = c.node("master2");
  const auto pid = standby.pid();

  c.master().kill();
  bool restarted = wait_until([&] { return standby.count("restarting the process") == 1; }, 60s);
  BOOST_REQUIRE_MESSAGE(restarted, c.logs());
  BOOST_TEST(standby.count("did not stop within 10 s (still running:") == 1);
  BOOST_TEST(standby.count("detached actors not yet destroyed") == 1);
  bool serving = wait_until(
      [&] {
        return standby.count("took the scheduler lease with token") == 1 &&
               standby.count("the active master (scheduler lease token") == 1;
      },
      30s);
  BOOST_REQUIRE_MESSAGE(serving, c.logs());
  BOOST_TEST(standby.running());
  BOOST_TEST(standby.pid() == pid);
  BOOST_TEST(c.lease_holder() == "master2");
  // Two terms of master2: the take-over, and the restarted process taking its lease back.
  BOOST_TEST(history_count(c, "event = 'take-over' AND node = 'master2'") == 2);

  c.use_master("master2");
  auto json = c.wait_for_job(id, 180s);
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);
}

// The bug this case found (one run in four): the woken master declared the nodes it had
// not heard from lost, handed their batches out again under attempt numbers the new master
// was handing out too, and the refused engine deleted the accepted engine's content file
// of the same name. New attempts are now handed out only once stored under the lease
// (scheduler::bump_attempt); run this case repeatedly after touching that.
BOOST_AUTO_TEST_CASE(
    a_frozen_master_woken_after_the_take_over_steps_down_without_changing_anything) {
  constexpr int64_t records = 40000;
  test_cluster c(failover_cluster());
  auto id = start_cluster_and_job(c, records);
  int64_t old_token = 0;
  BOOST_REQUIRE(c.lease_holder(&old_token) == "master");

  c.master().signal(SIGSTOP);
  auto stopped = steady::now();
  auto took = take_over_time(c, stopped);
  std::cout << "SIGSTOP: master2 took the scheduler lease " << took << " ms after the stop"
            << std::endl;
  BOOST_TEST(took <= master_lease_ms + 1000, c.logs());
  // Let the new master work a little, then wake the old one.
  const auto done_sql = "SELECT COUNT(*) FROM batches WHERE " + job_condition(id) +
                        " AND state = 'done' AND node <> 'master'";
  auto done_before = c.db().scalar(done_sql);
  wait_until([&] { return c.db().scalar(done_sql) > done_before + 3; }, 30s);
  c.master().signal(SIGCONT);
  bool stepped_down = wait_until(
      [&] {
        return history_count(c, "event = 'step-down' AND node = 'master' AND token = " +
                                    std::to_string(old_token)) == 1;
      },
      30s);
  BOOST_TEST(stepped_down, c.logs());
  BOOST_TEST(c.lease_holder() == "master2");
  // The old master did not come back as a master: one take-over each, master2's last.
  BOOST_TEST(history_count(c, "event = 'take-over' AND node = 'master'") == 1);

  c.use_master("master2");
  auto json = c.wait_for_job(id, 180s);
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);
  BOOST_TEST(c.lease_holder() == "master2");
}

// The database stopped in the middle of a job and started again: the active master cannot
// renew its lease and gives it up before the lease can expire on the database's clock;
// whoever takes it when the database is back, no two nodes hold it at once (the logs and
// master_history), and the job completes exactly once.
BOOST_AUTO_TEST_CASE(the_database_away_for_a_while_never_makes_two_masters) {
  constexpr int64_t records = 20000;
  private_mariadb server;
  test_cluster c(failover_cluster());
  auto id = start_cluster_and_job(c, records);

  server.stop();
  // Away long enough that the active master must give up its lease and the standby sees
  // the database gone too.
  bool gave_up = wait_until(
      [&] {
        return c.master().count("giving up the scheduler lease") >= 1 &&
               c.node("master2").count("scheduler lease: ") >= 1;
      },
      60s);
  BOOST_TEST(gave_up, c.logs());
  server.restart();
  c.db().reconnect();

  // Whoever holds the lease now — it may change once more: a candidate whose actors do not
  // stop within 10 s after the outage exits (the shutdown watchdog; a service manager
  // restarts it) and the other one takes over.
  std::string json;
  bool finished = wait_until(
      [&] {
        auto holder = c.lease_holder();
        if (holder.empty()) return false;
        c.use_master(holder);
        try {
          json = c.wait_for_job(id, 60s);
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      300s);
  BOOST_REQUIRE_MESSAGE(finished, "the job did not finish\n" << c.logs());
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);
  check_one_master_at_a_time(c);
}

BOOST_AUTO_TEST_CASE(two_candidates_started_at_once_make_exactly_one_master) {
  cluster_options o = failover_cluster();
  o.extensions = 0;
  test_cluster c(o);
  for (int round = 1; round <= 20; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      // Round 1 against the empty database (the nodes create the tables); then as empty
      // as far as the lease goes.
      if (round > 1) {
        c.db().execute("DELETE FROM leases WHERE name = 'scheduler'");
        c.db().execute("DELETE FROM master_history");
      }
      c.node("master").start(c.topology());
      c.node("master2").start(c.topology());
      bool one = wait_until([&] { return !c.lease_holder().empty(); }, 30s);
      BOOST_REQUIRE_MESSAGE(one, c.logs());
      // Both serve, and the other one joined the holder as a standby.
      const auto holder = c.lease_holder();
      const auto standby = holder == "master" ? "master2" : "master";
      bool joined = wait_until(
          [&] {
            auto state = c.node_state(standby);
            return state == "up" && shell_answer(c.via(standby), "capacity").has_value();
          },
          30s);
      BOOST_TEST(joined, c.logs());
      BOOST_TEST(history_count(c, "event = 'take-over'") == 1, c.logs());
      BOOST_TEST(c.lease_holder() == holder);
      c.node("master").kill();
      c.node("master2").kill();
      c.db().execute("DELETE FROM nodes");
    }
  }
}

// Clients follow the active master (docs/cluster.md "What a client sees during a take-over"):
// `submit --wait --connect master,master2` of a 40k-record job, the active master killed in
// the middle: the submit finds master2 (it says so), asks for its job by id, and ends with
// the job's real outcome (exit 0, every record exactly once); then the shell run against
// both addresses talks to master2 and its `nodes` shows master2 as the active master with
// the lease's token, and both candidates with their priorities.
// (Once disabled: in about 1 run in 5 on a loaded machine the standby's actor system did not
// stop within 10 s after it took the lease over and the node exited, leaving no master. The
// node now executes itself again in that case — a_standby_whose_actors_do_not_stop_at_the_
// take_over_restarts_itself — and names what still ran, so the hang costs 10 s, not the
// cluster.)
BOOST_AUTO_TEST_CASE(a_submit_waiting_through_both_candidates_survives_the_take_over) {
  constexpr int64_t records = 40000;
  test_cluster c(failover_cluster());
  c.start_master();
  BOOST_REQUIRE_MESSAGE(c.lease_holder() == "master", c.logs());
  c.start_standby();
  c.start_extension("ext1");
  const auto both = c.candidates_connect();  // master's address first, then master2's
  child_process submit(
      {caf_node_path(), "submit", "--connect", both, "--config", c.topology(), "--timeout-ms",
       "3000", "--reconnect-timeout-ms", "60000", "--wait", "--data", invoices(records),
       "--template", invoice_template(), "--format", "txt"},
      c.dir() + "/submit");
  int64_t id = 0;
  bool submitted = wait_until(
      [&] {
        std::istringstream out(submit.stdout_text());
        std::string first;
        if (!std::getline(out, first) || first.empty()) return false;
        id = std::stoll(first);
        return true;
      },
      120s);
  BOOST_REQUIRE_MESSAGE(submitted, "no job id from submit: " << submit.stderr_text() << "\n"
                                                             << c.logs());
  BOOST_TEST(submit.stderr_text().find("talking to the master 'master' at") != std::string::npos,
             submit.stderr_text());
  require_merging(c, id);
  BOOST_REQUIRE_MESSAGE(c.db().scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(id) +
                                      " AND state <> 'done'") > 10,
                        "the job was almost done already");
  BOOST_REQUIRE(submit.running());

  c.master().kill();
  auto killed = steady::now();
  take_over_time(c, killed);
  auto code = submit.wait_for(240s);
  std::cout << "submit --wait ended " << ms_since(killed) << " ms after the kill" << std::endl;
  const auto err = submit.stderr_text();
  BOOST_REQUIRE_MESSAGE(code.has_value(), "submit --wait still running\n" << err << c.logs());
  BOOST_TEST(*code == 0, err << c.logs());
  BOOST_TEST(err.find("lost the master 'master'") != std::string::npos, err);
  BOOST_TEST(
      err.find("talking to the master 'master2' at " + c.address("master2")) != std::string::npos,
      err);
  BOOST_TEST(err.find("job " + std::to_string(id) + " done") != std::string::npos, err);

  c.use_master("master2");
  auto json = c.job_json(id, false);
  check_exactly_once(json, records);
  check_batches_settled(c.db(), id);
  // submit printed one line per output file of the job.
  auto job = parse_job(json);
  std::istringstream out(submit.stdout_text());
  std::string line;
  std::size_t printed = 0;
  while (std::getline(out, line))
    printed += line.find("\tdocuments") != std::string::npos ||
               line.find(" documents\t") != std::string::npos;
  BOOST_TEST(printed == job.outputs.size(), submit.stdout_text());

  // The shell against both addresses: master is gone, master2 answers as the active master.
  int64_t token = 0;
  c.lease_holder(&token);
  auto nodes = shell_json(shell_target{both, c.topology()}, "nodes");
  BOOST_TEST_CONTEXT(nodes.dump()) {
    BOOST_TEST(nodes["master"]["node"] == "master2");
    BOOST_TEST(nodes["master"]["token"] == token);
    BOOST_TEST(nodes["master"]["expired"] == false);
    BOOST_TEST(find_by(nodes["nodes"], "name", "master2")["active_master"] == true);
    BOOST_TEST(find_by(nodes["nodes"], "name", "master")["active_master"] == false);
    BOOST_TEST(find_by(nodes["nodes"], "name", "ext1")["master_priority"].is_null());
    BOOST_REQUIRE(nodes["candidates"].size() == 2u);
    BOOST_TEST(nodes["candidates"][0]["name"] == "master");
    BOOST_TEST(nodes["candidates"][1]["name"] == "master2");
  }
  // The table names it too; --topology: every candidate of the topology, and its secret.
  auto table =
      run_command({caf_node_path(), "shell", "--topology", c.topology(), "-c", "nodes"}, 60s);
  BOOST_TEST(table.exit_code == 0, table.out << table.err);
  BOOST_TEST(table.out.find("active master: master2 (scheduler lease token " +
                            std::to_string(token)) != std::string::npos,
             table.out);
  BOOST_TEST(table.err.find("talking to the master 'master2'") != std::string::npos, table.err);
}

// Moving the master on purpose (docs/cluster.md "Moving the master on purpose"): `drain` of
// the active master hands the scheduler lease over (a `hand-over` row, lock_until = now), so
// master2 takes it without waiting for the lease to expire; the old master stays up as a
// drained standby: it does not take the lease back, and it gets no work from the new master.
BOOST_AUTO_TEST_CASE(draining_the_active_master_hands_the_lease_over_to_the_standby) {
  constexpr int64_t records = 3000;
  test_cluster c(failover_cluster());
  c.start_master();
  BOOST_REQUIRE_MESSAGE(c.lease_holder() == "master", c.logs());
  c.start_standby();
  c.start_extension("ext1");
  int64_t old_token = 0;
  c.lease_holder(&old_token);
  const auto before = c.joined_at("master");

  auto drained = steady::now();
  auto drain = c.client({"drain", "--node", "master"});
  BOOST_REQUIRE_MESSAGE(drain.exit_code == 0, drain.out << drain.err << c.logs());
  auto took = take_over_time(c, drained);
  std::cout << "drain: master2 took the scheduler lease " << took << " ms after the drain"
            << std::endl;
  BOOST_TEST(history_count(c, "event = 'hand-over' AND node = 'master' AND token = " +
                                  std::to_string(old_token)) == 1,
             c.logs());
  int64_t token = 0;
  c.lease_holder(&token);
  BOOST_TEST(token == old_token + 1);

  // The old master rejoins master2 as a standby, still drained, and stays one.
  bool rejoined = wait_until([&] { return c.joined("master", before); }, 30s);
  BOOST_REQUIRE_MESSAGE(rejoined, "the drained master did not rejoin\n" << c.logs());
  BOOST_TEST(c.master().running());
  BOOST_TEST(c.node_state("master") == "draining");
  c.use_master("master2");
  auto id = c.submit(invoices(records));
  check_exactly_once(c.wait_for_job(id, 120s), records);
  BOOST_TEST(c.db().scalar("SELECT COUNT(*) FROM batches WHERE " + job_condition(id) +
                           " AND node = 'master'") == 0);
  BOOST_TEST(c.lease_holder() == "master2");
  BOOST_TEST(history_count(c, "event = 'take-over' AND node = 'master'") == 1, c.logs());
}
