#pragma once

// The node's published front door: authenticates clients and nodes by
// challenge and response, hands a client a session (session.hpp) and a node
// to membership. Its messages are in docs/protocol.md.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the gateway. `scheduler` and `membership` are the master's (null on
/// an extension); `inspector` is this node's.
caf::actor spawn_gateway(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler, const caf::actor& membership,
                         const caf::actor& inspector);

}  // namespace weft::actors
