#pragma once

// Spawning Weft's actors. This header keeps CAF's heavy headers out of the
// translation units that only wire the node together.

#include <caf/fwd.hpp>
#include <string>

#include "actors/node_context.hpp"
#include "actors/scheduling_policy.hpp"

namespace weft::actors {

/// The master's scheduler (actors/scheduler.cpp): owns every decision about
/// which engine runs which batch, resumes unfinished jobs from the database.
caf::actor spawn_scheduler(caf::actor_system& sys, const node_context& ctx);

/// A merge or weaver engine (actors/engines.cpp), detached: it blocks on the
/// database and the file store. It registers with `scheduler` and pulls work.
caf::actor spawn_engine(caf::actor_system& sys, const node_context& ctx, engine_type type,
                        int index, const caf::actor& scheduler);

/// The node's published front door (actors/gateway.cpp): authenticates
/// clients by challenge and response and hands them a session.
caf::actor spawn_gateway(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler);

/// Text of a CAF error for people: the message a Weft actor put in it, or
/// CAF's rendering of the error code.
std::string error_text(caf::actor_system& sys, const caf::error& err);

}  // namespace weft::actors
