// The master's inspector in one process on CAF's test coordinator
// (actor_fixture.hpp): the scheduler, membership and an extension's agent are
// probes that answer or stay silent; request_timeout runs on virtual time.
#define BOOST_TEST_MODULE actor_inspector
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "tests/actors/actor_fixture.hpp"

using namespace weft::actors::testing;
using namespace std::chrono_literals;

BOOST_FIXTURE_TEST_SUITE(inspector, inspector_fixture)

BOOST_AUTO_TEST_CASE(a_command_for_the_scheduler_is_answered_within_its_timeout) {
  auto scheduler = spawn_probe(answers_inspect("capacity", R"([{"type":"merge"}])"));
  register_as("scheduler", scheduler);
  auto client = command("capacity");
  auto answer = reply(client);
  BOOST_REQUIRE(answer);
  BOOST_TEST(nlohmann::json::parse(*answer)["capacity"][0]["type"] == "merge");
}

BOOST_AUTO_TEST_CASE(a_scheduler_that_does_not_answer_is_reported_after_request_timeout) {
  auto scheduler = spawn_probe();  // hung: never answers
  register_as("scheduler", scheduler);
  auto client = command("capacity");
  advance(4999ms);
  BOOST_TEST(!reply(client));
  advance(1ms);
  BOOST_TEST(reply(client).value_or("(no answer)") ==
             "error: the scheduler did not answer within 5000 ms");
}

BOOST_AUTO_TEST_CASE(a_command_for_an_extension_is_routed_through_its_agent) {
  auto agent = spawn_probe(answers_inspect("actors", R"({"node":"ext1","actors":[]})"));
  auto membership = spawn_probe(answers_agent_of("ext1", agent.handle));
  register_as("membership", membership);
  auto client = command("actors", R"({"node":"ext1"})");
  BOOST_TEST(reply(client).value_or("(no answer)") == R"({"node":"ext1","actors":[]})");
  auto forwarded = next_message(agent);
  BOOST_REQUIRE(forwarded);
  BOOST_TEST(forwarded->get_as<std::string>(2) == "{}");  // the node answers for itself
}

BOOST_AUTO_TEST_CASE(an_extension_that_does_not_answer_is_reported_after_request_timeout) {
  auto agent = spawn_probe();  // a hung extension
  auto membership = spawn_probe(answers_agent_of("ext1", agent.handle));
  register_as("membership", membership);
  auto client = command("actors", R"({"node":"ext1"})");
  advance(4999ms);
  BOOST_TEST(!reply(client));
  advance(1ms);
  BOOST_TEST(reply(client).value_or("(no answer)") ==
             "error: node 'ext1' did not answer within 5000 ms");
}

BOOST_AUTO_TEST_CASE(a_node_outside_the_topology_is_refused_at_once) {
  auto client = command("actors", R"({"node":"nowhere"})");
  auto answer = reply(client);
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->find("no node 'nowhere'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
