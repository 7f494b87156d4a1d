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

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <optional>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/protocol.hpp"
#include "actors/transport.hpp"
#include "actors/trust/auth.hpp"
#include "actors/trust/handshake.hpp"
#include "actors/trust/log_text.hpp"
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
  uint64_t serial = 0;  ///< of the current join (membership.cpp)
  /// Counts connection attempts: the answers of an abandoned attempt are ignored.
  uint64_t attempt_id = 0;
  /// An attempt is under way (one at a time: two would join twice).
  bool connecting = false;
  int attempts = 0;
  std::string last_problem;
  /// Master failover: every master candidate's address but this node's, highest priority
  /// first; the agent tries them in turn, and first the one a standby named ("join ADDR").
  std::vector<config::endpoint> masters;
  std::size_t next = 0;            ///< index into masters of the next address to try
  std::size_t tried_in_round = 0;  ///< addresses tried since the last pause
  std::optional<config::endpoint> hint;
  config::endpoint current;  ///< the address of the last attempt
  static inline const char* name = "agent";
  /// Down messages from any node (admission.hpp): the handler acts only on the down of
  /// the gateway it is handshaking with (a retry) and of the admitted master's membership.
  static constexpr bool any_down = true;
};

using agent_actor = caf::stateful_actor<agent_state>;

void connect(agent_actor* self);

void retry(agent_actor* self, const std::string& problem) {
  auto& st = self->state;
  st.connecting = false;
  const auto& c = st.ctx.settings->cluster;
  auto delay = st.attempts < c.retry_threshold ? c.retry_initial : c.retry_prolonged;
  // Say it once per kind of problem, not once per attempt.
  if (problem != st.last_problem) {
    spdlog::warn("cannot join the master at {}: {}; retrying every {} ms", st.current.to_string(),
                 trust::log_text(problem, 200), delay.count());
    st.last_problem = problem;
  }
  // With several candidates, try the next one at once; pause after a full round.
  st.next = (st.next + 1) % std::max<std::size_t>(1, st.masters.size());
  // A hint ("join ADDR") costs one more immediate attempt, never an endless ping-pong.
  if (++st.tried_in_round < st.masters.size() + (st.hint ? 1 : 0)) {
    self->send(self, tick_atom::value);
    return;
  }
  st.tried_in_round = 0;
  self->delayed_send(self, delay, tick_atom::value);
}

/// "node 'm2' is not the master; join HOST:PORT" from a standby candidate: remember the
/// address when it is one of the candidates (a refusal is not authenticated).
bool take_hint(agent_actor* self, const std::string& text) {
  static const std::string marker = "is not the master; join ";
  auto at = text.find(marker);
  if (at == std::string::npos) return false;
  auto address = text.substr(at + marker.size());
  auto end = address.find_first_of(" \n\"'");
  if (end != std::string::npos) address.resize(end);
  auto& st = self->state;
  for (const auto& m : st.masters)
    if (m.to_string() == address && address != st.current.to_string()) {
      st.hint = m;
      return true;
    }
  return false;
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
  else {
    take_hint(self, text);
    retry(self, text);
  }
}

/// Whether an answer belongs to the attempt `id` (not one abandoned since).
bool current_attempt(agent_actor* self, uint64_t id) { return self->state.attempt_id == id; }

void authenticate(agent_actor* self) {
  auto& st = self->state;
  const auto id = st.attempt_id;
  const auto& s = *st.ctx.settings;
  auto timeout = s.cluster.request_timeout;
  auto my_nonce = make_nonce();
  auto name = st.ctx.node().name;
  self->request(st.gateway, timeout, hello_atom::value, std::string{"node"}, name,
                weft::announced_version(), my_nonce)
      .then(
          [=](hello_atom, const std::string& nonce, const std::string& proof,
              const std::string& cluster, const std::string&, const std::string& master) {
            if (!current_attempt(self, id)) return;
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
                    [=](welcome_atom, const caf::actor& scheduler, const caf::actor& members,
                        uint64_t serial) {
                      if (!current_attempt(self, id)) return;
                      auto& a = self->state;
                      a.scheduler = scheduler;
                      a.membership = members;
                      a.serial = serial;
                      a.connecting = false;
                      // The master's actors are obeyed from now on (admission.hpp).
                      a.ctx.peers->admit(caf::to_string(members.node()),
                                         "the master '" + master + "'");
                      a.attempts = 0;
                      a.last_problem.clear();
                      self->monitor(members);
                      a.tried_in_round = 0;
                      spdlog::info("joined the master '{}' at {}", trust::log_text(master),
                                   a.current.to_string());
                      for (auto& e : a.engines) self->send(e, joined_atom::value, scheduler);
                      self->send(self, heartbeat_atom::value);
                    },
                    [=](caf::error& err) {
                      if (current_attempt(self, id))
                        handle_refusal(self, error_text(self->system(), err));
                    });
          },
          [=](caf::error& err) {
            if (current_attempt(self, id)) handle_refusal(self, error_text(self->system(), err));
          });
}

void connect(agent_actor* self) {
  auto& st = self->state;
  ++st.attempts;
  const auto id = ++st.attempt_id;
  st.connecting = true;
  if (st.hint) {
    st.current = *st.hint;
    st.hint.reset();
  } else {
    st.current = st.masters.at(st.next % st.masters.size());
  }
  const auto master = st.current;
  // Plain TCP or mutual TLS, as the node was configured (actors/transport.hpp).
  auto mm = connector(self->system());
  take_tls_connect_failure();  // only this attempt's failure counts
  const auto started = std::chrono::steady_clock::now();
  self->request(mm, st.ctx.settings->cluster.request_timeout, caf::connect_atom::value, master.host,
                master.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& gw, const std::set<std::string>&) {
            if (!current_attempt(self, id)) return;
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
            // A connection that closes during the handshake (one that was about to
            // close when it was reused, after this node hung) is retried at once, not
            // after the request times out.
            self->monitor(self->state.gateway);
            authenticate(self);
          },
          [=](caf::error& err) {
            if (!current_attempt(self, id)) return;
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
  for (const auto* m : ctx.settings->master_candidates())
    if (m->name != ctx.node().name) st.masters.push_back(m->advertise);
  // A lone candidate standing by (its database was away at start) has no one to join.
  auto rejoin = [=](const std::string& why) {
    auto& a = self->state;
    if (!a.membership) return;
    spdlog::warn("{}; rejoining", why);
    self->demonitor(a.membership);
    a.ctx.peers->revoke(caf::to_string(a.membership.node()));
    a.membership = nullptr;
    a.scheduler = nullptr;
    if (a.gateway) self->demonitor(a.gateway);
    a.gateway = nullptr;
    for (auto& e : a.engines) self->send(e, left_atom::value);
    self->send(self, tick_atom::value);
  };
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& a = self->state;
    if (!a.membership && a.gateway && msg.source == a.gateway.address()) {
      ++a.attempt_id;  // the handshake's answers will not come
      a.gateway = nullptr;
      retry(self, "the connection closed during the handshake (" +
                      error_text(self->system(), msg.reason) + ")");
      return;
    }
    if (msg.source != a.membership.address()) return;
    rejoin("lost the master (" + error_text(self->system(), msg.reason) + ")");
  });
  self->send(self, tick_atom::value);
  harden(self, ctx, "agent");
  return trusted_behavior(
      self, ctx, "agent",
      [=](tick_atom) {
        auto& a = self->state;
        if (!a.membership && !a.connecting && !a.masters.empty()) connect(self);
      },
      // The master declared this node lost (it hung, or its heartbeats were
      // late): join again. Only if it speaks of the current join: the answer to a
      // heartbeat sent while lost may arrive after the node has joined again.
      [=](left_atom, uint64_t serial) {
        auto& a = self->state;
        if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(a.membership) &&
            serial == a.serial)
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
                      node, a.serial)
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
                         a.current.to_string() + " (ask the master directly)");
        return self->delegate(a.membership, inspect_atom::value, command, args);
      });
}

}  // namespace

caf::actor spawn_agent(caf::actor_system& sys, const node_context& ctx,
                       const std::vector<caf::actor>& engines, const caf::actor& inspector) {
  return spawn_hardened(sys, false, agent, ctx, engines, inspector);
}

}  // namespace weft::actors
