#pragma once

// The master's membership: which extensions are connected, their heartbeats,
// and who is lost (told to the scheduler, which hands their batches out
// again). Its messages are in docs/protocol.md.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns membership (detached: it writes the nodes table); it tells
/// `scheduler` (lost, node) when an extension dies or hangs.
caf::actor spawn_membership(caf::actor_system& sys, const node_context& ctx,
                            const caf::actor& scheduler);

}  // namespace weft::actors
