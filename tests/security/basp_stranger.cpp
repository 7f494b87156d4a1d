// A stranger on the wire: a CAF program that connects to a node's port with
// plain BASP, never does Weft's handshake, and sends every actor id 1..N every
// message a Weft node understands (with plausible arguments: inspector
// commands that read, drain, `set` and sweep; scheduler, membership, engine and
// agent messages; exit messages). It is what an attacker on the network does
// with CAF 0.17, where every actor whose handle ever crossed the wire is
// addressable by a small id. Used by tests/security/stranger_test.cpp.
//
//   basp_stranger HOST PORT [MAX_ID]
//
// Prints one line per value answer it got ("answer: ID MESSAGE") and a summary
// line "sent S requests to N actors: V value answers, E error answers,
// T without answer"; exit code 0 when it could connect at all, 1 otherwise.

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "actors/cleanup.hpp"
#include "actors/protocol.hpp"

using namespace weft::actors;
using namespace std::chrono_literals;

namespace {

/// Every message we try, to every id. `me` is the stranger's own actor
/// (offered where Weft expects an actor handle).
std::vector<caf::message> attack_messages(const caf::actor& me) {
  using caf::make_message;
  const std::string set_args = R"({"key":"cleanup.retain.jobs","value":"1s"})";
  std::vector<caf::message> m = {
      make_message(inspect_atom::value),
      make_message(inspect_atom::value, std::string{"config"}, std::string{"{}"}),
      make_message(inspect_atom::value, std::string{"logs"}, std::string{"{}"}),
      make_message(inspect_atom::value, std::string{"jobs"}, std::string{"{}"}),
      make_message(inspect_atom::value, std::string{"set"}, set_args),
      make_message(inspect_atom::value, std::string{"drain"}, std::string{R"({"node":"master"})"}),
      make_message(inspect_atom::value, std::string{"drain"}, std::string{R"({"node":"ext1"})"}),
      make_message(inspect_atom::value, std::string{"cancel"}, std::string{R"({"job":1})"}),
      make_message(inspect_atom::value, std::string{"cleanup_run"}, std::string{"{}"}),
      make_message(inspect_atom::value, std::string{"master"}),
      make_message(upstream_atom::value, std::string{"jobs"}, std::string{"{}"}),
      make_message(register_atom::value, std::string{"stranger-merge-0"}, caf::atom("merge"),
                   std::string{"master"}, false, me),
      make_message(want_atom::value, std::string{"stranger-merge-0"}),
      make_message(done_atom::value, std::string{"stranger-merge-0"}, int64_t{1},
                   caf::atom("merge"), int32_t{1}, int32_t{1}, true),
      make_message(cancel_atom::value, int64_t{1}),
      make_message(drain_atom::value, std::string{"master"}, true),
      make_message(drain_atom::value, std::string{"ext1"}, true),
      make_message(lost_atom::value, std::string{"ext1"}),
      make_message(fail_atom::value, int64_t{1}, std::string{"stranger"}),
      make_message(submitted_atom::value, int64_t{1}, std::string{R"({"name":1})"}, int64_t{0}),
      make_message(status_atom::value, int64_t{1}),
      make_message(wait_atom::value, int64_t{1}, int32_t{100}),
      make_message(jobs_atom::value),
      make_message(join_atom::value, std::string{"ext1"}, me, std::string{"127.0.0.1:1"}),
      make_message(heartbeat_atom::value, std::string{"ext1"}),
      make_message(heartbeat_atom::value, std::string{"ext1"}, uint64_t{1}),
      make_message(heartbeat_atom::value),
      make_message(add_atom::value, std::string{"fake"}, std::string{"scheduler"}, me),
      make_message(joined_atom::value, me),
      make_message(left_atom::value),
      make_message(left_atom::value, uint64_t{1}),
      make_message(apply_atom::value),
      make_message(tick_atom::value),
      make_message(adopt_atom::value),
      make_message(cleanup_atom::value, run_atom::value),
      make_message(cleanup_atom::value, reload_atom::value),
      make_message(cleanup_atom::value, leases_atom::value),
  };
  return m;
}

struct tally {
  int sent = 0;
  int values = 0;
  int errors = 0;
  int silent = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: basp_stranger HOST PORT [MAX_ID]\n";
    return 2;
  }
  std::string host = argv[1];
  auto port = static_cast<uint16_t>(std::stoi(argv[2]));
  caf::actor_id max_id = argc > 3 ? std::stoul(argv[3]) : 64;

  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto gateway = sys.middleman().remote_actor(host, port);
  if (!gateway) {
    std::cout << "cannot connect: " << sys.render(gateway.error()) << "\n";
    return 1;
  }
  auto node = gateway->node();
  // The proxies of BASP's broker: a handle to any actor id of that node.
  auto broker_handle = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto* broker =
      static_cast<caf::io::basp_broker*>(caf::actor_cast<caf::abstract_actor*>(broker_handle));
  std::vector<caf::actor> targets;
  for (caf::actor_id id = 1; id <= max_id; ++id) {
    auto ptr = broker->instance.proxies().get_or_put(node, id);
    if (ptr) targets.push_back(caf::actor_cast<caf::actor>(ptr));
  }

  auto result = std::make_shared<tally>();
  {
    auto attacker = sys.spawn([=](caf::event_based_actor* self) {
      auto pending = std::make_shared<int>(0);
      auto messages = attack_messages(caf::actor{self});
      auto finish = [=] {
        if (--*pending == 0) self->quit();
      };
      for (const auto& target : targets) {
        for (const auto& msg : messages) {
          ++result->sent;
          ++*pending;
          self->request(target, 3s, msg)
              .then(
                  [=](caf::message& answer) {
                    ++result->values;
                    std::cout << "answer: " << target.id() << " " << caf::to_string(msg) << " -> "
                              << caf::to_string(answer) << "\n";
                    finish();
                  },
                  [=](caf::error& err) {
                    if (err == caf::sec::request_timeout)
                      ++result->silent;
                    else
                      ++result->errors;
                    finish();
                  });
        }
        // Exit messages, anonymous and as ourselves.
        caf::anon_send(target, caf::exit_msg{target.address(), caf::exit_reason::kill});
        self->send(target, caf::exit_msg{target.address(), caf::exit_reason::user_shutdown});
      }
      return caf::behavior{[](tick_atom) {}};
    });
    caf::scoped_actor waiter{sys};
    waiter->wait_for(attacker);
  }
  std::cout << "sent " << result->sent << " requests to " << targets.size()
            << " actors: " << result->values << " value answers, " << result->errors
            << " error answers, " << result->silent << " without answer" << std::endl;
  return 0;
}
