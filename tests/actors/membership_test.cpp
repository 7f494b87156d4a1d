// Membership in one process on CAF's test coordinator (actor_fixture.hpp): the
// extensions' agents and the scheduler are probes; node_timeout runs on
// virtual time, so a node is declared lost without waiting for it.
#define BOOST_TEST_MODULE actor_membership
#include <boost/test/unit_test.hpp>

#include "tests/actors/actor_fixture.hpp"

using namespace weft::actors::testing;
using namespace std::chrono_literals;
using names = std::vector<std::string>;

BOOST_FIXTURE_TEST_SUITE(membership, membership_fixture)

BOOST_AUTO_TEST_CASE(a_node_joins_once) {
  join("ext1");
  std::string answer;
  join("ext1", &answer);  // another agent under the same name
  BOOST_TEST(answer.find("already connected") != std::string::npos);
  BOOST_TEST(lost() == names{});
}

// Its agent gave the join up (its connection to the master broke, or it was told
// to rejoin) before the master noticed: the new join replaces the old one, whose
// batches the scheduler hands out again.
BOOST_AUTO_TEST_CASE(the_same_agent_joining_again_ends_its_old_join) {
  auto agent = join("ext1");
  const auto first = serial("ext1");
  const auto second = join_as(agent, "ext1");
  BOOST_TEST(second != 0u);
  BOOST_TEST(second != first);
  BOOST_TEST(lost() == names{"ext1"});
  BOOST_TEST(told_to_rejoin(agent, first));
  BOOST_TEST(!told_to_rejoin(agent, second));
  heartbeat(agent, "ext1");
  BOOST_TEST(!told_to_rejoin(agent));
}

BOOST_AUTO_TEST_CASE(heartbeats_keep_a_node_in_the_cluster) {
  auto agent = join("ext1");
  for (int i = 0; i < 12; ++i) {
    advance(250ms);
    heartbeat(agent, "ext1");
  }
  BOOST_TEST(lost() == names{});
  BOOST_TEST(!told_to_rejoin(agent));
}

BOOST_AUTO_TEST_CASE(a_node_silent_for_node_timeout_is_lost_and_the_scheduler_told) {
  auto alive = join("ext1");
  auto silent = join("ext2");
  for (int i = 0; i < 4; ++i) {  // 1 s: node_timeout, not beyond it
    advance(250ms);
    heartbeat(alive, "ext1");
  }
  BOOST_TEST(lost() == names{});
  advance(250ms);
  heartbeat(alive, "ext1");
  BOOST_TEST(lost() == names{"ext2"});
  BOOST_TEST(told_to_rejoin(silent));
  BOOST_TEST(!told_to_rejoin(alive));
}

BOOST_AUTO_TEST_CASE(a_node_whose_agent_dies_is_lost_at_once) {
  auto agent = join("ext1");
  kill(agent);
  BOOST_TEST(lost() == names{"ext1"});
}

BOOST_AUTO_TEST_CASE(a_lost_node_that_heartbeats_again_is_told_to_rejoin) {
  auto agent = join("ext1");
  advance(1250ms);
  BOOST_TEST(lost() == names{"ext1"});
  BOOST_TEST(told_to_rejoin(agent));
  heartbeat(agent, "ext1");  // it hung and woke up
  BOOST_TEST(told_to_rejoin(agent));
  BOOST_TEST(lost() == names{});  // told once
  join("ext1");                   // and may join again
}

// A heartbeat the node sent while it was lost is answered with "left" for that join;
// if the answer arrives after the node joined again, the agent must be able to tell
// it is stale (it would otherwise leave its new join, and over again).
BOOST_AUTO_TEST_CASE(a_late_heartbeat_of_an_old_join_is_answered_for_that_join_only) {
  auto agent = join("ext1");
  const auto old = serial("ext1");
  advance(1250ms);
  BOOST_TEST(lost() == names{"ext1"});
  BOOST_TEST(told_to_rejoin(agent, old));
  const auto renewed = join_as(agent, "ext1");
  BOOST_REQUIRE(renewed != 0u);
  heartbeat(agent, "ext1", old);  // sent before the new join, arriving after it
  BOOST_TEST(told_to_rejoin(agent, old));
  BOOST_TEST(!told_to_rejoin(agent, renewed));
  BOOST_TEST(lost() == names{});  // the new join stays
  for (int i = 0; i < 8; ++i) {
    advance(250ms);
    heartbeat(agent, "ext1");
  }
  BOOST_TEST(lost() == names{});
  BOOST_TEST(!told_to_rejoin(agent));
}

BOOST_AUTO_TEST_SUITE_END()
