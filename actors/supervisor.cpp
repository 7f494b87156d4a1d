// The node's supervisor (supervisor.hpp).

#include "actors/supervisor.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/protocol.hpp"

namespace weft::actors {

namespace {

struct supervisor_state {
  std::map<caf::actor_addr, std::string> watched;
  static inline const char* name = "supervisor";
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self, node_context ctx,
                         std::vector<std::pair<std::string, caf::actor>> watched) {
  for (auto& [name, actor] : watched) {
    self->monitor(actor);
    self->state.watched.emplace(actor.address(), name);
  }
  self->set_down_handler([=](caf::down_msg& msg) {
    auto i = self->state.watched.find(msg.source);
    if (i == self->state.watched.end()) return;
    auto name = i->second;
    self->state.watched.erase(i);
    if (ctx.stopping->load()) return;
    spdlog::critical(
        "core actor '{}' ended ({}) while the node runs: stopping the node (exit code 1) so "
        "that it starts again with all of its actors",
        name, msg.reason ? error_text(self->system(), msg.reason) : std::string{"normally"});
    ctx.stop_node(1);
  });
  harden(self, ctx, "supervisor");
  return trusted_behavior(self, ctx, "supervisor",
                          [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); });
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, const node_context& ctx,
                            std::vector<std::pair<std::string, caf::actor>> watched) {
  return spawn_hardened(sys, false, supervisor, ctx, std::move(watched));
}

}  // namespace weft::actors
