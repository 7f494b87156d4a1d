#pragma once

// The master's scheduler: owns every decision about which engine runs which
// batch, and resumes unfinished jobs from the database at start.
//
// It is a cooperative actor: it decides and never blocks. Its database work
// goes to a store worker (store_worker.hpp), one request at a time, in order;
// each job's data file is mapped by a detached mapper (mapper.hpp) and a
// sorted or grouped job's outputs are planned by a planner (planner.hpp).
// Its messages are listed in docs/protocol.md.
//
// The seam for tests: the scheduler does not create its store worker, it is
// handed one. A test passes any actor that answers the store worker's
// protocol (store_worker.hpp), e.g. an event-based fake under CAF's
// test_coordinator_fixture, and plays the engines itself (register, want).
// `ctx.settings` must point to settings that outlive the scheduler; `ctx.db`
// and the file store are used only by the mappers and planners it spawns when
// a job is submitted or resumed.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the scheduler with `store` as its store worker (spawn_store_worker
/// in a node). The scheduler links to `store`: if either ends, both do.
/// Loading the unfinished jobs starts at once (a (load) request to `store`).
caf::actor spawn_scheduler(caf::actor_system& sys, const node_context& ctx,
                           const caf::actor& store);

}  // namespace weft::actors
