// The node's front door (gateway.hpp).
//
// The gateway is the only actor a node publishes. It answers nothing but the
// handshake: version check, then mutual challenge and response with the
// cluster secret. A client that passes gets a session actor of its own
// (session.hpp); a node that passes joins membership.

#include "actors/gateway.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/protocol.hpp"
#include "actors/session.hpp"
#include "actors/trust/handshake.hpp"
#include "actors/trust/log_text.hpp"
#include "actors/trust/refusal_log.hpp"
#include "weft/version.hpp"

namespace weft::actors {

using trust::log_text;

namespace {

struct gateway_state {
  node_context ctx;
  caf::actor scheduler;   ///< the master's; null on an extension
  caf::actor membership;  ///< the master's; null on an extension
  caf::actor inspector;   ///< this node's
  /// Live sessions: they end with the gateway (the node's shutdown).
  std::shared_ptr<std::map<caf::actor_addr, caf::actor>> sessions =
      std::make_shared<std::map<caf::actor_addr, caf::actor>>();
  /// Field checks, pending challenges (bounded per peer and overall), proofs.
  std::unique_ptr<trust::server_handshake> handshake;
  trust::refusal_log refusals;  ///< at most a few refusal warnings per peer and 10 s
  static inline const char* name = "gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

/// Who sent the current message: its CAF node id. BASP gives no more (the
/// middleman can tell the address of a node it is directly connected to, but
/// every client on a host shares that address, and a node id is what one
/// process keeps for all its connections).
std::string peer_of(gateway_actor* self) {
  const auto& sender = self->current_sender();
  return sender ? to_string(sender->node()) : std::string{"anonymous"};
}

/// Logs a refusal of `peer`, rate-limited per peer, with the peer's address
/// when the middleman knows it (a node it is directly connected to); every
/// peer-supplied string in `what` already passed through log_text.
void log_refusal(gateway_actor* self, const std::string& peer, const std::string& what) {
  uint64_t suppressed = 0;
  if (!self->state.refusals.allow(peer, std::chrono::steady_clock::now(), suppressed)) return;
  auto more = suppressed == 0
                  ? std::string{}
                  : "; " + std::to_string(suppressed) + " more refusals of this peer not logged";
  const auto& sender = self->current_sender();
  if (!sender) {
    spdlog::warn("refused {} (peer {}{})", what, log_text(peer), more);
    return;
  }
  self->request(self->system().middleman().actor_handle(), std::chrono::seconds(1),
                caf::get_atom::value, sender->node())
      .then(
          [=](const caf::node_id&, const std::string& host, uint16_t port) {
            if (host.empty())
              spdlog::warn("refused {} (peer {}{})", what, log_text(peer), more);
            else
              spdlog::warn("refused {} (from {}:{}, peer {}{})", what, log_text(host), port,
                           log_text(peer), more);
          },
          [=](const caf::error&) {
            spdlog::warn("refused {} (peer {}{})", what, log_text(peer), more);
          });
}

caf::behavior gateway(gateway_actor* self, node_context ctx, caf::actor scheduler,
                      caf::actor membership, caf::actor inspector) {
  self->state.ctx = ctx;
  self->state.inspector = std::move(inspector);
  self->state.scheduler = std::move(scheduler);
  self->state.membership = std::move(membership);
  {
    const auto& s = *ctx.settings;
    trust::handshake_limits limits;
    limits.total = static_cast<std::size_t>(s.limits.pending_handshakes);
    limits.per_peer = static_cast<std::size_t>(s.limits.pending_handshakes_per_peer);
    self->state.handshake = std::make_unique<trust::server_handshake>(
        s.cluster.secret, s.cluster.name, ctx.node().name, weft::announced_version(), limits);
  }
  auto sessions = self->state.sessions;
  self->attach_functor([sessions] {
    for (auto& [addr, s] : *sessions) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler([sessions](caf::down_msg& msg) { sessions->erase(msg.source); });
  // The gateway answers strangers, but only the handshake.
  harden(self, ctx, "gateway");
  return {
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      // (hello, role, name, version, client_nonce) →
      // (hello, server_nonce, server_proof, cluster, version, node_name)
      [=](hello_atom, const std::string& role, const std::string& name,
          const std::string& peer_version,
          const std::string& client_nonce) -> caf::result<caf::message> {
        auto& st = self->state;
        const auto& s = *st.ctx.settings;
        auto peer = peer_of(self);
        auto who = log_text(role, 16) + " '" + log_text(name) + "'";
        if (auto problem = st.handshake->check_hello(role, name, peer_version, client_nonce);
            !problem.empty()) {
          log_refusal(self, peer, who + ": " + log_text(problem, 200));
          return refused(problem);
        }
        // "master-client": a client that follows the active master (several addresses,
        // docs/cluster.md "Master failover") wants the lease holder, not a standby.
        if (role == "node" || role == master_client_role) {
          if (!st.membership) {
            // A standby master candidate names the active master (from the lease), so a
            // joining extension goes there next (docs/cluster.md "Master failover").
            auto active = st.ctx.active_master();
            return refused("node '" + st.ctx.node().name + "' is not the master; join " +
                           (active.empty() ? s.master().advertise.to_string() : active));
          }
        }
        if (role == "node") {
          bool known = false;
          for (const auto& n : s.nodes)
            known = known || (n.name == name && (n.role == config::node_role::extension ||
                                                 n.name != st.ctx.node().name));
          if (!known) {
            log_refusal(self, peer,
                        who + ": unknown node name: no extension of that name in the topology");
            return refused("unknown node name '" + name +
                           "': the master's topology has no extension of that name");
          }
        } else if (role != "client" && role != master_client_role) {
          log_refusal(self, peer, who + ": unknown role");
          return refused("unknown role '" + role + "'");
        }
        trust::server_handshake::challenge c;
        try {
          c = st.handshake->open(peer, role, name, client_nonce, std::chrono::steady_clock::now());
        } catch (const std::exception& e) {  // no random bytes for a nonce
          spdlog::error("handshake: {}", e.what());
          return failure(std::string{"handshake: "} + e.what());
        }
        return caf::make_message(hello_atom::value, c.server_nonce, c.server_proof, s.cluster.name,
                                 weft::announced_version(), st.ctx.node().name);
      },
      // (auth, server_nonce, client_proof, client) → (welcome, session) or, for a
      // node, (welcome, scheduler, membership)
      [=](auth_atom, const std::string& nonce, const std::string& proof,
          const caf::actor& client) -> caf::result<caf::message> {
        auto& st = self->state;
        auto peer = peer_of(self);
        auto v = st.handshake->verify(peer, nonce, proof, std::chrono::steady_clock::now());
        auto who = v.who.role.empty()
                       ? std::string{"a peer"}
                       : log_text(v.who.role, 16) + " '" + log_text(v.who.name) + "'";
        if (v.ok && !client) {
          v.ok = false;
          v.reason = "authentication failed: no client actor";
        }
        if (!v.ok) {
          log_refusal(self, peer, who + ": " + v.reason);
          return refused(v.reason);
        }
        const auto& ch = v.who;
        if (ch.role == "node") {
          // The node joins once membership has taken it (not already connected).
          auto rp = self->make_response_promise();
          std::string address;
          for (const auto& n : st.ctx.settings->nodes)
            if (n.name == ch.name) address = n.advertise.to_string();
          auto name = ch.name;
          self->request(st.membership, st.ctx.settings->cluster.request_timeout, join_atom::value,
                        name, client, address)
              .then(
                  [=](uint64_t serial) mutable {
                    rp.deliver(welcome_atom::value, self->state.scheduler, self->state.membership,
                               serial);
                  },
                  [=](caf::error& err) mutable {
                    auto why = error_text(self->system(), err);
                    spdlog::warn("refused node '{}': {}", log_text(name), log_text(why, 200));
                    rp.deliver(std::move(err));
                  });
          return caf::message{};
        }
        const auto max_sessions = st.ctx.settings->limits.max_sessions;
        if (st.sessions->size() >= static_cast<std::size_t>(max_sessions)) {
          auto why = "too many sessions: node '" + st.ctx.node().name + "' serves " +
                     std::to_string(st.sessions->size()) + " clients, its maximum " +
                     "(limits.max_sessions = " + std::to_string(max_sessions) + ")";
          log_refusal(self, peer, who + ": " + why);
          return refused(why);
        }
        auto sess =
            spawn_session(self->system(), st.ctx, st.scheduler, st.inspector, client, ch.name);
        self->monitor(sess);
        (*st.sessions)[sess.address()] = sess;
        spdlog::info("client '{}' authenticated ({} sessions)", log_text(ch.name),
                     st.sessions->size());
        return caf::make_message(welcome_atom::value, sess);
      },
  };
}

}  // namespace

caf::actor spawn_gateway(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler, const caf::actor& membership,
                         const caf::actor& inspector) {
  return spawn_hardened(sys, false, gateway, ctx, scheduler, membership, inspector);
}

}  // namespace weft::actors
