// The node's front door (gateway.hpp).
//
// The gateway is the only actor a node publishes. It answers nothing but the
// handshake: version check, then mutual challenge and response with the
// cluster secret. A client that passes gets a session actor of its own
// (session.hpp); a node that passes joins membership.

#include "actors/gateway.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/protocol.hpp"
#include "actors/session.hpp"
#include "actors/trust/auth.hpp"
#include "weft/version.hpp"

namespace weft::actors {

using trust::auth_proof;
using trust::make_nonce;
using trust::proofs_equal;

namespace {

constexpr auto challenge_lifetime = std::chrono::seconds(30);

struct challenge {
  std::string role;
  std::string name;
  std::chrono::steady_clock::time_point expires;
};

struct gateway_state {
  node_context ctx;
  caf::actor scheduler;   ///< the master's; null on an extension
  caf::actor membership;  ///< the master's; null on an extension
  caf::actor inspector;   ///< this node's
  /// Live sessions: they end with the gateway (the node's shutdown).
  std::shared_ptr<std::map<caf::actor_addr, caf::actor>> sessions =
      std::make_shared<std::map<caf::actor_addr, caf::actor>>();
  std::map<std::string, challenge> challenges;  ///< by the nonce we sent
  static inline const char* name = "gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

caf::behavior gateway(gateway_actor* self, node_context ctx, caf::actor scheduler,
                      caf::actor membership, caf::actor inspector) {
  self->state.ctx = ctx;
  self->state.inspector = std::move(inspector);
  self->state.scheduler = std::move(scheduler);
  self->state.membership = std::move(membership);
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
      // (hello, our_nonce, our_proof_over_client_nonce, cluster, version)
      [=](hello_atom, const std::string& role, const std::string& name,
          const std::string& peer_version,
          const std::string& client_nonce) -> caf::result<caf::message> {
        auto& st = self->state;
        const auto& s = *st.ctx.settings;
        if (peer_version != weft::announced_version()) {
          spdlog::warn("refused {} '{}': version mismatch: this node runs Weft {}, it runs {}",
                       role, name, weft::announced_version(), peer_version);
          return refused("version mismatch: node '" + st.ctx.node().name + "' runs Weft " +
                         weft::announced_version() + ", you run Weft " + peer_version);
        }
        if (role == "node") {
          if (!st.membership)
            return refused("node '" + st.ctx.node().name + "' is not the master; join " +
                           s.master().advertise.to_string());
          bool known = false;
          for (const auto& n : s.nodes)
            known = known || (n.name == name && n.role == config::node_role::extension);
          if (!known) {
            spdlog::warn(
                "refused node '{}': unknown node name: no extension of that name in the "
                "topology",
                name);
            return refused("unknown node name '" + name +
                           "': the master's topology has no extension of that name");
          }
        } else if (role != "client") {
          return refused("unknown role '" + role + "'");
        }
        if (client_nonce.size() < 32) return refused("bad challenge");
        auto now = std::chrono::steady_clock::now();
        for (auto i = st.challenges.begin(); i != st.challenges.end();)
          i = i->second.expires < now ? st.challenges.erase(i) : std::next(i);
        if (st.challenges.size() > 10000) return refused("too many pending handshakes");
        auto nonce = make_nonce();
        st.challenges[nonce] = challenge{role, name, now + challenge_lifetime};
        auto proof =
            auth_proof(s.cluster.secret, s.cluster.name, "node", st.ctx.node().name, client_nonce);
        return caf::make_message(hello_atom::value, nonce, proof, s.cluster.name,
                                 weft::announced_version(), st.ctx.node().name);
      },
      // (auth, our_nonce, proof, client) → (welcome, session)
      [=](auth_atom, const std::string& nonce, const std::string& proof,
          const caf::actor& client) -> caf::result<caf::message> {
        auto& st = self->state;
        const auto& s = *st.ctx.settings;
        auto c = st.challenges.find(nonce);
        if (c == st.challenges.end()) return refused("unknown or expired challenge");
        auto ch = c->second;
        st.challenges.erase(c);
        auto expected = auth_proof(s.cluster.secret, s.cluster.name, ch.role, ch.name, nonce);
        if (!proofs_equal(proof, expected) || !client) {
          spdlog::warn(
              "refused {} '{}': authentication failed: its cluster secret differs from ours",
              ch.role, ch.name);
          return refused("authentication failed: the cluster secrets differ");
        }
        if (ch.role == "node") {
          // The node joins once membership has taken it (not already connected).
          auto rp = self->make_response_promise();
          std::string address;
          for (const auto& n : st.ctx.settings->nodes)
            if (n.name == ch.name) address = n.advertise.to_string();
          self->request(st.membership, st.ctx.settings->cluster.request_timeout, join_atom::value,
                        ch.name, client, address)
              .then(
                  [=](bool) mutable {
                    rp.deliver(welcome_atom::value, self->state.scheduler, self->state.membership);
                  },
                  [=](caf::error& err) mutable {
                    auto why = error_text(self->system(), err);
                    spdlog::warn("refused node '{}': {}", ch.name, why);
                    rp.deliver(std::move(err));
                  });
          return caf::message{};
        }
        auto sess =
            spawn_session(self->system(), st.ctx, st.scheduler, st.inspector, client, ch.name);
        self->monitor(sess);
        (*st.sessions)[sess.address()] = sess;
        spdlog::info("client '{}' authenticated", ch.name);
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
