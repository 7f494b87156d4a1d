// The agent, on each extension (agent.hpp).
//
// An extension's agent connects to the master's advertised address through
// the middleman actor (a request with a timeout: a hung master cannot hang
// it), runs the handshake as role "node", and hands the master's scheduler to
// the extension's engines. It retries forever with back-off: every
// `retry_initial` for `retry_threshold` attempts, then every
// `retry_prolonged`, so nodes start in any order and come back by themselves
// after a master restart. Refusals that waiting cannot fix (another version,
// a wrong secret, a name the master does not know) end the node with exit
// code 2.

#include "actors/agent.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/protocol.hpp"
#include "actors/transport.hpp"
#include "actors/trust/auth.hpp"
#include "actors/trust/handshake.hpp"
#include "actors/trust/log_text.hpp"
#include "metrics/registry.hpp"
#include "weft/version.hpp"

namespace weft::actors {

using trust::make_nonce;

namespace {

using namespace std::chrono_literals;

struct agent_state {
  node_context ctx;
  std::vector<caf::actor> engines;
  caf::actor inspector;  ///< this node's
  caf::actor gateway;
  caf::actor membership;
  caf::actor scheduler;
  int attempts = 0;
  std::string last_problem;
  static inline const char* name = "agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

void connect(agent_actor* self);

void retry(agent_actor* self, const std::string& problem) {
  auto& st = self->state;
  const auto& c = st.ctx.settings->cluster;
  auto delay = st.attempts < c.retry_threshold ? c.retry_initial : c.retry_prolonged;
  // Say it once per kind of problem, not once per attempt.
  if (problem != st.last_problem) {
    spdlog::warn("cannot join the master at {}: {}; retrying every {} ms",
                 st.ctx.settings->master().advertise.to_string(), trust::log_text(problem, 200),
                 delay.count());
    st.last_problem = problem;
  }
  self->delayed_send(self, delay, tick_atom::value);
}

void refuse_for_good(agent_actor* self, const std::string& why) {
  spdlog::error("the master refused this node: {}", trust::log_text(why, 200));
  self->state.ctx.stop_node(2);
}

void handle_refusal(agent_actor* self, const std::string& text) {
  // Refusals waiting cannot fix end the node; the rest are retried.
  if (text.find("version mismatch") != std::string::npos ||
      text.find("authentication failed") != std::string::npos ||
      text.find("unknown node") != std::string::npos ||
      text.find("other cluster") != std::string::npos)
    refuse_for_good(self, text);
  else
    retry(self, text);
}

void authenticate(agent_actor* self) {
  auto& st = self->state;
  const auto& s = *st.ctx.settings;
  auto timeout = s.cluster.request_timeout;
  auto my_nonce = make_nonce();
  auto name = st.ctx.node().name;
  self->request(st.gateway, timeout, hello_atom::value, std::string{"node"}, name,
                weft::announced_version(), my_nonce)
      .then(
          [=](hello_atom, const std::string& nonce, const std::string& proof,
              const std::string& cluster, const std::string&, const std::string& master) {
            const auto& cs = self->state.ctx.settings->cluster;
            if (cluster != cs.name) {
              refuse_for_good(self, "the node at the master's address belongs to other cluster '" +
                                        cluster + "', not '" + cs.name + "'");
              return;
            }
            // A master that does not prove our secret gets no proof of ours, only an
            // empty one, which it refuses (and logs): the refusal shows on both sides.
            trust::handshake_fields fields{cluster, master, "node", name, my_nonce, nonce};
            bool master_ok =
                trust::proof_valid(trust::proof_side::server, cs.secret, fields, proof);
            auto mine = master_ok
                            ? trust::handshake_proof(trust::proof_side::client, cs.secret, fields)
                            : std::string{};
            if (!master_ok)
              spdlog::error("the master '{}' does not prove our cluster secret",
                            trust::log_text(master));
            self->request(self->state.gateway, cs.request_timeout, auth_atom::value, nonce, mine,
                          caf::actor{self})
                .then(
                    [=](welcome_atom, const caf::actor& scheduler, const caf::actor& members) {
                      auto& a = self->state;
                      a.scheduler = scheduler;
                      a.membership = members;
                      // The master's actors are obeyed from now on (admission.hpp).
                      a.ctx.peers->admit(caf::to_string(members.node()),
                                         "the master '" + master + "'");
                      a.attempts = 0;
                      a.last_problem.clear();
                      self->monitor(members);
                      spdlog::info("joined the master '{}' at {}", trust::log_text(master),
                                   a.ctx.settings->master().advertise.to_string());
                      for (auto& e : a.engines) self->send(e, joined_atom::value, scheduler);
                      self->send(self, heartbeat_atom::value);
                    },
                    [=](caf::error& err) {
                      handle_refusal(self, error_text(self->system(), err));
                    });
          },
          [=](caf::error& err) { handle_refusal(self, error_text(self->system(), err)); });
}

void connect(agent_actor* self) {
  auto& st = self->state;
  ++st.attempts;
  const auto& master = st.ctx.settings->master().advertise;
  // Plain TCP or mutual TLS, as the node was configured (actors/transport.hpp).
  auto mm = connector(self->system());
  take_tls_connect_failure();  // only this attempt's failure counts
  const auto started = std::chrono::steady_clock::now();
  self->request(mm, st.ctx.settings->cluster.request_timeout, caf::connect_atom::value, master.host,
                master.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& gw, const std::set<std::string>&) {
            const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started);
            spdlog::info("connected to the master at {} in {:.1f} ms ({})", master.to_string(),
                         took.count() / 1000.0,
                         uses_tls(self->system()) ? "TCP, TLS and BASP handshakes"
                                                  : "TCP and BASP handshakes");
            if (!gw) {
              retry(self, "no Weft node at that address");
              return;
            }
            self->state.gateway = caf::actor_cast<caf::actor>(gw);
            authenticate(self);
          },
          [=](caf::error& err) {
            auto tls_failure = take_tls_connect_failure();
            retry(self, tls_failure.empty() ? error_text(self->system(), err)
                                            : "TLS handshake failed: " + tls_failure);
          });
}

caf::behavior agent(agent_actor* self, node_context ctx, std::vector<caf::actor> engines,
                    caf::actor inspector) {
  auto& st = self->state;
  st.ctx = ctx;
  st.engines = std::move(engines);
  st.inspector = std::move(inspector);
  auto rejoin = [=](const std::string& why) {
    auto& a = self->state;
    if (!a.membership) return;
    spdlog::warn("{}; rejoining", why);
    self->demonitor(a.membership);
    a.ctx.peers->revoke(caf::to_string(a.membership.node()));
    a.membership = nullptr;
    a.scheduler = nullptr;
    a.gateway = nullptr;
    for (auto& e : a.engines) self->send(e, left_atom::value);
    self->send(self, tick_atom::value);
  };
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.source != self->state.membership.address()) return;
    rejoin("lost the master (" + error_text(self->system(), msg.reason) + ")");
  });
  self->send(self, tick_atom::value);
  harden(self, ctx, "agent");
  return trusted_behavior(
      self, ctx, "agent",
      [=](tick_atom) {
        if (!self->state.membership) connect(self);
      },
      // The master declared this node lost (it hung, or its heartbeats were
      // late): join again.
      [=](left_atom) {
        if (self->current_sender() ==
            caf::actor_cast<caf::strong_actor_ptr>(self->state.membership))
          rejoin("the master declared this node lost");
      },
      [=](heartbeat_atom) {
        auto& a = self->state;
        if (!a.membership) return;
        // A request, so that its (empty) answer measures the round trip (metrics); a lost
        // answer changes nothing: the master judges by the heartbeats it receives.
        const auto sent = std::chrono::steady_clock::now();
        const std::string node = a.ctx.node().name;
        self->request(a.membership, a.ctx.settings->cluster.node_timeout, heartbeat_atom::value,
                      node)
            .then(
                [sent, node] {
                  std::chrono::duration<double> rtt = std::chrono::steady_clock::now() - sent;
                  metrics::global()
                      .histogram_of("weft_heartbeat_rtt_seconds",
                                    "Round trip of an extension's heartbeat to the master.",
                                    {{"node", node}})
                      .observe(rtt.count());
                },
                [](caf::error&) {});
        self->delayed_send(self, a.ctx.settings->cluster.heartbeat, heartbeat_atom::value);
      },
      // -- inspection --
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      // The master's inspector asks this node's.
      [=](inspect_atom, const std::string& command,
          const std::string& args) -> caf::result<caf::message> {
        auto& a = self->state;
        auto sender = self->current_sender();
        if (!a.membership || !sender || sender->node() != a.membership.node())
          return failure("refused: only the master may inspect this node through its agent");
        return self->delegate(a.inspector, inspect_atom::value, command, args);
      },
      // This node's inspector asks the master's.
      [=](upstream_atom, const std::string& command,
          const std::string& args) -> caf::result<caf::message> {
        auto& a = self->state;
        auto sender = self->current_sender();
        if (!sender || sender->node() != self->node())
          return failure("refused: upstream requests are local");
        if (!a.membership)
          return failure("node '" + a.ctx.node().name + "' is not joined to the master at " +
                         a.ctx.settings->master().advertise.to_string() +
                         " (ask the master directly)");
        return self->delegate(a.membership, inspect_atom::value, command, args);
      });
}

}  // namespace

caf::actor spawn_agent(caf::actor_system& sys, const node_context& ctx,
                       const std::vector<caf::actor>& engines, const caf::actor& inspector) {
  return spawn_hardened(sys, false, agent, ctx, engines, inspector);
}

}  // namespace weft::actors
