// A stranger that speaks plain BASP to the master and to an extension of a
// running cluster (tests/security/basp_stranger.cpp: every actor id 1..64,
// every message a Weft node understands, exit messages) gets no answer and
// changes nothing: the finished job is still there and not cancelled, no
// setting was changed, no node drained or lost, no engine registered; the
// refusals are in the log; both nodes stay up and serve the next job, every
// record exactly once.
#define BOOST_TEST_MODULE security_stranger
#include <boost/test/unit_test.hpp>
#include <iostream>

#include "tests/cluster/cluster_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/sample_invoices.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

namespace {

/// The settings overrides, drain states and engines as the database has them.
std::string cluster_state(test_cluster& c) {
  auto& db = c.db();
  std::string s;
  for (const auto& row : db.column("SELECT CONCAT(name, '=', state) FROM nodes ORDER BY name"))
    s += row + " ";
  s += "| settings " + std::to_string(db.scalar("SELECT COUNT(*) FROM settings"));
  s += " | engines " + std::to_string(db.scalar("SELECT COUNT(*) FROM engines"));
  s += " | jobs ";
  for (const auto& row : db.column("SELECT CONCAT(id, '=', state) FROM jobs ORDER BY id"))
    s += row + " ";
  return s;
}

/// Runs the stranger against `address` (HOST:PORT); its summary line.
std::string attack(const std::string& address) {
  auto colon = address.rfind(':');
  auto r = run_command({BASP_STRANGER_PATH, address.substr(0, colon), address.substr(colon + 1),
                        "64"},
                       std::chrono::seconds(120));
  std::cout << "stranger against " << address << ": " << r.out << std::endl;
  BOOST_TEST(r.exit_code == 0, "the stranger could not connect: " << r.out << r.err);
  return r.out;
}

void check_job(test_cluster& c, int64_t id, int64_t records) {
  auto job = parse_job(c.wait_for_job(id, 120s));
  BOOST_REQUIRE_MESSAGE(job.state == "done", c.logs());
  BOOST_TEST(job.documents == records);
  auto problems = exactly_once_problems(invoice_counts(job.outputs), records);
  BOOST_TEST(problems.empty(), problems);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_plain_basp_stranger_gets_no_answer_and_changes_nothing) {
  cluster_options o;
  o.extensions = 1;
  test_cluster c(o);
  c.start_all();
  constexpr int64_t records = 2000;
  auto data = invoices(records);
  check_job(c, c.submit(data), records);
  auto joined = c.joined_at("ext1");
  auto before = cluster_state(c);

  for (const auto& node : {std::string{"master"}, std::string{"ext1"}}) {
    auto out = attack(c.address(node));
    BOOST_TEST(out.find(" 0 value answers") != std::string::npos, node << ": " << out);
    BOOST_TEST(out.find("answer: ") == std::string::npos, node << ": " << out);
  }

  BOOST_TEST(cluster_state(c) == before);
  BOOST_TEST(c.joined_at("ext1") == joined, "ext1 was made to rejoin");
  BOOST_TEST(c.master().running());
  BOOST_TEST(c.node("ext1").running());
  BOOST_TEST(c.master().count("not this node and not admitted") > 0, c.master().tail());
  BOOST_TEST(c.node("ext1").count("not this node and not admitted") > 0, c.node("ext1").tail());
  // The refusals are rate-limited: not one line per message.
  BOOST_TEST(c.master().count("not this node and not admitted") < 64 * 35, c.master().tail());

  // Both nodes still serve: the next job uses engines on both, every record once.
  check_job(c, c.submit(data), records);
  auto nodes = c.db().column(
      "SELECT DISTINCT node FROM batches WHERE job_id = 2 AND phase = 'merge' ORDER BY node");
  BOOST_TEST(nodes.size() >= 1u);
}
