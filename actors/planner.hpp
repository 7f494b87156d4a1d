#pragma once

// The output planner: plans the output segments of a sorted or grouped job
// once all its records are merged (detached: it reads the job's keys file),
// and tells the scheduler (planned, job, segments) or (plan_failed, job, reason).

#include <caf/fwd.hpp>
#include <cstdint>

#include "actors/node_context.hpp"
#include "actors/planning/job_json.hpp"

namespace weft::actors {

/// Spawns the planner of `job`.
caf::actor spawn_planner(caf::actor_system& sys, const node_context& ctx, int64_t job,
                         const planning::job_options& options, const caf::actor& scheduler);

}  // namespace weft::actors
