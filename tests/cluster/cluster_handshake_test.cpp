// The handshake against a stranger on the network (issue 11), with real
// processes: the reflection attack (a relay has an extension's gateway sign
// the master's challenge) does not let anyone join, and 10,001 hellos from one
// peer lock neither an extension nor a shell out. The stranger is gate_probe
// (tests/runtime/gate_probe.cpp), which knows no secret.
#define BOOST_TEST_MODULE cluster_handshake
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <iostream>

#include "tests/cluster/cluster_support.hpp"
#include "tests/support/test_port.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

BOOST_AUTO_TEST_CASE(a_relay_of_an_extensions_proof_cannot_join) {
  cluster_options o;
  o.extensions = 1;
  test_cluster c(o);
  c.start_master();
  // ext1 runs (its gateway answers anyone's hello) but is not connected: its
  // own topology points it at a master address where nobody listens — the
  // window in which the old scheme let a relay join in its name.
  auto spec = c.spec();
  spec.nodes[0].port = reserve_port();
  auto lonely = c.write_topology("ext1-elsewhere.toml", spec);
  auto dir = c.dir() + "/ext1";
  std::filesystem::create_directories(dir);
  node_process ext1(std::string{"ext1"}, dir);
  ext1.start(lonely);
  BOOST_REQUIRE(wait_until([&] { return shell_answer(c.via("ext1"), "nodes").has_value(); }, 20s));

  auto& m = c.master();
  int refused_before = m.count("refused");
  auto r = run_command({GATE_PROBE, "relay", c.connect(), c.address("ext1"), "ext1"}, 60s);
  BOOST_TEST_MESSAGE("relay: " << r.out);
  // Every step of the attack ran: ext1 signed the master's nonce...
  BOOST_TEST(r.out.find("ext1 signed") != std::string::npos, r.out << r.err);
  // ...and the master refused the proof: nobody joined as ext1.
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(r.out.find("refused: authentication failed") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("WELCOMED") == std::string::npos, r.out);
  BOOST_TEST(c.joined_at("ext1").empty(), "ext1 has a row in nodes: someone joined in its name");
  BOOST_TEST(wait_until([&] { return m.count("refused") > refused_before; }, 10s), m.tail());
  // The real ext1 still joins once it is pointed at the master.
  ext1.kill();
  c.start_extension("ext1");
  BOOST_TEST(c.node_state("ext1") == "up");
}

BOOST_AUTO_TEST_CASE(ten_thousand_and_one_hellos_from_one_peer_lock_nobody_out) {
  cluster_options o;
  o.extensions = 1;
  test_cluster c(o);
  c.start_master();
  auto started = steady::now();
  auto r = run_command({GATE_PROBE, "flood", c.connect(), "10001"}, 120s);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(r.out.find("flooded 10001 answered 10001") != std::string::npos, r.out << r.err);
  std::cout << "10001 hellos answered in " << ms_since(started) << " ms" << std::endl;
  // Their challenges are pending for 30 s; meanwhile everyone else gets in.
  auto after = steady::now();
  BOOST_TEST(shell_answer(c.via(), "nodes").has_value(), c.master().tail());
  c.start_extension("ext1");  // throws when it does not join within 30 s
  std::cout << "shell answered and ext1 joined " << ms_since(after) << " ms after the flood"
            << std::endl;
  BOOST_TEST(ms_since(after) < 30000, "within the flood's 30 s");
  BOOST_TEST(c.node_state("ext1") == "up");
  // The refusals are not logged per hello (the flood's hellos are answered, not refused),
  // and the master's log did not grow by a line per hello.
  BOOST_TEST(c.master().count("flood") < 100, c.master().tail());
}
