#pragma once

// An extension's agent: joins the master at its advertised address, retrying
// with back-off forever, and hands the master's scheduler to the node's
// engines; rejoins when the master comes back. Its messages are in
// docs/protocol.md.

#include <caf/fwd.hpp>
#include <vector>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the agent of an extension with its `engines` and its `inspector`
/// (which it connects to the master's for the shell).
caf::actor spawn_agent(caf::actor_system& sys, const node_context& ctx,
                       const std::vector<caf::actor>& engines, const caf::actor& inspector);

}  // namespace weft::actors
