#pragma once

// Spawning Weft's actors. This header keeps CAF's heavy headers out of the
// translation units that only wire the node together.

#include <caf/fwd.hpp>
#include <string>
#include <vector>

#include "actors/node_context.hpp"
#include "actors/planning/scheduling_policy.hpp"

namespace weft::actors {

// The planning library's vocabulary, which every actor speaks.
using planning::batch;
using planning::engine_id;
using planning::engine_type;
using planning::job_class;
using planning::to_string;

/// The master's scheduler (actors/scheduler.cpp): owns every decision about
/// which engine runs which batch, resumes unfinished jobs from the database.
caf::actor spawn_scheduler(caf::actor_system& sys, const node_context& ctx);

/// A merge or weaver engine (actors/engines.cpp), detached: it blocks on the
/// database and the file store. It registers with `scheduler` and pulls work;
/// an extension's engines start with none and get it from the agent.
caf::actor spawn_engine(caf::actor_system& sys, const node_context& ctx, engine_type type,
                        int index, const caf::actor& scheduler);

/// The master's membership (actors/cluster.cpp): which extensions are
/// connected, their heartbeats, and who is lost (told to `scheduler`).
caf::actor spawn_membership(caf::actor_system& sys, const node_context& ctx,
                            const caf::actor& scheduler);

/// An extension's agent (actors/cluster.cpp): joins the master at its
/// advertised address, retrying with back-off forever, and hands the master's
/// scheduler to `engines`; rejoins when the master comes back.
caf::actor spawn_agent(caf::actor_system& sys, const node_context& ctx,
                       const std::vector<caf::actor>& engines, const caf::actor& inspector);

/// The node's published front door (actors/gateway.cpp): authenticates
/// clients by challenge and response and hands them a session.
caf::actor spawn_gateway(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler, const caf::actor& membership,
                         const caf::actor& inspector);

/// An error carrying `why` for people (error_text gives it back).
caf::error failure(const std::string& why);

/// Text of a CAF error for people: the message a Weft actor put in it, or
/// CAF's rendering of the error code.
std::string error_text(caf::actor_system& sys, const caf::error& err);

}  // namespace weft::actors
