#pragma once

// An engine: a merge engine renders records into content, a weaver engine
// weaves content into output files. Both are one actor, told apart by their
// engine_type. Each is detached (it blocks on the database, the template and
// the file store), registers with the scheduler and pulls work from it; its
// messages are in docs/protocol.md.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"
#include "actors/planning/scheduling_policy.hpp"

namespace weft::actors {

/// Spawns engine `index` of `type`. It registers with `scheduler` and pulls
/// work; an extension's engines start with a null `scheduler` and get one from
/// the agent (joined).
caf::actor spawn_engine(caf::actor_system& sys, const node_context& ctx, planning::engine_type type,
                        int index, const caf::actor& scheduler);

}  // namespace weft::actors
