// Membership, on the master (membership.hpp).
//
// Membership on the master knows which extensions are connected. A node is
// lost when its connection closes (a down message from its agent, ~1 ms) or
// when its heartbeats stop for `node_timeout` (a hung process: SIGSTOP, a
// pulled cable; CAF's middleman heartbeat closes such a connection too). The
// scheduler is told at once and hands the node's batches out again.

#include "actors/membership.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/protocol.hpp"
#include "storage/cluster_store.hpp"
#include "storage/master_store.hpp"
#include "weft/version.hpp"

namespace weft::actors {

namespace {

using namespace std::chrono_literals;
using steady = caf::actor_clock;  // the actor clock: virtual under the test coordinator

struct member {
  caf::actor agent;
  steady::time_point last_seen;
  steady::time_point last_stored;
  /// Which join this is: the agent sends it with every heartbeat and is told to
  /// rejoin with it, so that a late "left" of an earlier join (the answer to a
  /// heartbeat it sent while lost) cannot end the join that replaced it.
  uint64_t serial = 0;
};

struct membership_state {
  node_context ctx;
  caf::actor scheduler;
  caf::actor inspector;                   ///< the master's, for the extensions' inspectors
  std::map<std::string, member> members;  ///< connected extensions
  uint64_t joins = 0;                     ///< the last join's serial
  std::unique_ptr<storage::cluster_store> store;
  static inline const char* name = "membership";
};

using membership_actor = caf::stateful_actor<membership_state>;

/// Database writes of membership are informative (the shell reads them): a
/// failure is logged, never fatal.
template <class F>
void store_quietly(membership_actor* self, const char* what, F f) {
  try {
    f(*self->state.store);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: cannot store {}: {}", what, e.what());
    metrics::global()
        .counter_of("weft_database_errors_total",
                    "Database operations that failed on this node, by component; each is retried.",
                    {{"node", self->state.ctx.node().name}, {"component", "membership"}})
        .inc();
  }
}

void lose(membership_actor* self, const std::string& name, const std::string& why,
          bool rejoined = false) {
  auto& st = self->state;
  auto m = st.members.find(name);
  if (m == st.members.end()) return;
  self->demonitor(m->second.agent);
  st.ctx.peers->revoke(caf::to_string(m->second.agent.node()));
  // If it is alive after all (it hung and woke up), it must join again: tell
  // it; its heartbeats are ignored from now on.
  self->send(m->second.agent, left_atom::value, m->second.serial);
  st.members.erase(m);
  spdlog::warn("node '{}' {}: {}", sanitised(name), rejoined ? "ends its join" : "lost",
               sanitised(why));
  if (!rejoined)
    metrics::global()
        .counter_of("weft_node_lost_total", "Extensions the master declared lost, by node.",
                    {{"node", name}})
        .inc();
  self->send(st.scheduler, lost_atom::value, name);
  // Its engines' rows are the scheduler's (written in order with their registrations).
  // One that joins again at once keeps its row (and a drained one its "draining").
  if (!rejoined)
    store_quietly(self, "the lost node",
                  [&](storage::cluster_store& s) { s.set_node_state(name, "lost"); });
  // A hung node may hold row locks in an open transaction (a batch it was completing):
  // end its database sessions so that the engine that redoes the batch does not wait
  // for them (master_store::end_sessions_of). Not when it only joined again: it is running.
  if (!rejoined && st.ctx.db && st.ctx.fence) {
    try {
      if (int n = storage::master_store(*st.ctx.db).end_sessions_of(name, *st.ctx.fence))
        spdlog::info("ended {} database sessions of the lost node '{}'", n, sanitised(name));
    } catch (const std::exception& e) {
      spdlog::warn("cannot end the database sessions of the lost node '{}': {}", sanitised(name),
                   e.what());
    }
  }
}

caf::behavior membership(membership_actor* self, node_context ctx, caf::actor scheduler) {
  auto& st = self->state;
  st.ctx = ctx;
  st.scheduler = std::move(scheduler);
  st.store = std::make_unique<storage::cluster_store>(*ctx.db);
  const auto& self_node = ctx.node();
  storage::node_row me;
  me.name = self_node.name;
  me.role = "master";
  me.version = weft::announced_version();
  me.address = self_node.advertise.to_string();
  me.merge_engines = self_node.merge_engines;
  me.weaver_engines = self_node.weaver_engines;
  store_quietly(self, "the master", [&](storage::cluster_store& s) { s.node_joined(me); });
  self->set_down_handler([=](caf::down_msg& msg) {
    for (const auto& [name, m] : self->state.members)
      if (m.agent.address() == msg.source) {
        auto who = name;  // lose() erases the entry
        lose(self, who, "connection closed (" + error_text(self->system(), msg.reason) + ")");
        return;
      }
  });
  self->send(self, tick_atom::value);
  harden(self, ctx, "membership");
  return trusted_behavior(
      self, ctx, "membership",
      [=](join_atom, const std::string& name, const caf::actor& agent,
          const std::string& address) -> caf::result<uint64_t> {
        auto& s = self->state;
        if (auto old = s.members.find(name); old != s.members.end()) {
          if (old->second.agent != agent)
            return refused("node '" + name + "' is already connected");
          // The same agent joins again: it gave up its join (it lost its connection
          // first, or was told to rejoin) before this side noticed. End the old join
          // as if lost (the scheduler hands its batches out again), then take it.
          lose(self, name, "it joined again", true);
        }
        auto now = self->clock().now();
        const auto serial = ++s.joins;
        s.members[name] = member{agent, now, now, serial};
        // Its actors are obeyed from now on (admission.hpp); forgotten when lost.
        s.ctx.peers->admit(caf::to_string(agent.node()), "node '" + name + "'");
        self->monitor(agent);
        const config::node_settings* cfg = nullptr;
        for (const auto& n : s.ctx.settings->nodes)
          if (n.name == name) cfg = &n;
        storage::node_row row;
        row.name = name;
        row.role = "extension";
        row.version = weft::announced_version();
        row.address = address;
        row.merge_engines = cfg ? cfg->merge_engines : 0;
        row.weaver_engines = cfg ? cfg->weaver_engines : 0;
        bool draining = false;
        store_quietly(self, "the joined node", [&](storage::cluster_store& cs) {
          cs.node_joined(row);
          for (const auto& n : cs.nodes())
            if (n.name == name) draining = n.state == "draining";
        });
        // Drained before (perhaps under another master: a drained master that handed the
        // lease over rejoins as a standby): the scheduler gives it no work either.
        if (draining)
          self->request(s.scheduler, s.ctx.settings->cluster.request_timeout, drain_atom::value,
                        name, true)
              .then([](bool) {},
                    [name](caf::error&) {
                      spdlog::warn("node '{}' drained, but the scheduler did not take it",
                                   sanitised(name));
                    });
        spdlog::info("node '{}' joined from {}{}", sanitised(name), sanitised(address),
                     draining ? " (draining: no new work)" : "");
        return serial;
      },
      [=](heartbeat_atom, const std::string& name, uint64_t serial) {
        auto& s = self->state;
        auto m = s.members.find(name);
        if (m == s.members.end() || m->second.serial != serial) {
          // A node declared lost that still talks: it must join again. Told with the
          // serial of the join it speaks for: if it has joined again meanwhile, the
          // answer to this late heartbeat does not concern the new join.
          if (auto sender = caf::actor_cast<caf::actor>(self->current_sender()))
            self->send(sender, left_atom::value, serial);
          return;
        }
        auto now = self->clock().now();
        m->second.last_seen = now;
        if (now - m->second.last_stored >= 1s) {
          m->second.last_stored = now;
          store_quietly(self, "a heartbeat",
                        [&](storage::cluster_store& cs) { cs.heartbeat(name); });
        }
      },
      [=](tick_atom) {
        auto& s = self->state;
        auto now = self->clock().now();
        std::vector<std::string> silent;
        for (const auto& [name, m] : s.members)
          if (now - m.last_seen > s.ctx.settings->cluster.node_timeout) silent.push_back(name);
        for (const auto& name : silent)
          lose(self, name, "no heartbeat for longer than node_timeout");
        self->delayed_send(self, s.ctx.settings->cluster.heartbeat / 2, tick_atom::value);
      },
      [=](drain_atom, const std::string& name, bool on) {
        store_quietly(self, "the drain state", [&](storage::cluster_store& cs) {
          cs.set_node_state(name, on ? "draining" : "up");
        });
        return self->delegate(self->state.scheduler, drain_atom::value, name, on);
      },
      // -- inspection --
      [=](add_atom, const std::string&, const std::string& role, const caf::actor& a) {
        if (role == "inspector") self->state.inspector = a;
      },
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      // The master's inspector asks for the agent of a node, to reach its inspector.
      [=](inspect_atom, const std::string& node) -> caf::result<caf::actor> {
        auto m = self->state.members.find(node);
        if (m == self->state.members.end())
          return failure("node '" + node + "' is not connected to the master (lost or not joined)");
        return m->second.agent;
      },
      // An extension's inspector asks the master's (through its agent).
      [=](inspect_atom, const std::string& command,
          const std::string& args) -> caf::result<caf::message> {
        auto& s = self->state;
        auto sender = self->current_sender();
        bool member = false;
        for (const auto& [name, m] : s.members)
          member = member || (sender && m.agent.node() == sender->node());
        if (!member) return failure("refused: not a member of the cluster");
        if (!s.inspector) return failure("the master has no inspector");
        return self->delegate(s.inspector, inspect_atom::value, command, args);
      });
}

}  // namespace

caf::actor spawn_membership(caf::actor_system& sys, const node_context& ctx,
                            const caf::actor& scheduler) {
  // Detached: it writes the nodes table.
  return spawn_hardened(sys, ctx.detach_blocking, membership, ctx, scheduler);
}

}  // namespace weft::actors
