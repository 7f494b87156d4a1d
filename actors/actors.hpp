#pragma once

// Spawning Weft's actors: the one header other modules include. It keeps
// CAF's heavy headers out of the translation units that only wire the node
// together (each per-actor header includes only caf/fwd.hpp).

#include "actors/agent.hpp"
#include "actors/engine.hpp"
#include "actors/errors.hpp"
#include "actors/gateway.hpp"
#include "actors/membership.hpp"
#include "actors/node_context.hpp"
#include "actors/planning/scheduling_policy.hpp"
#include "actors/scheduler.hpp"
#include "actors/store_worker.hpp"

namespace weft::actors {

// The planning library's vocabulary, which every actor speaks.
using planning::batch;
using planning::engine_id;
using planning::engine_type;
using planning::job_class;
using planning::to_string;

}  // namespace weft::actors
