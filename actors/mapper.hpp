#pragma once

// The job mapper: streams a job's data file into its `records` rows in
// chunks, then tells the scheduler how many records there are. One per job,
// detached: it blocks on the file and the database. A malformed row fails the
// job with its row number; an unreachable database leaves the job for a retry.
//
// Replies, sent to `scheduler` (docs/protocol.md):
// (mapped, job, records) | (mapped, job, -1, reason) failed | (mapped, job, -2, reason) retry.

#include <caf/fwd.hpp>
#include <cstdint>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the mapper of `job`. Stops between chunks when `ctx.stopping` is set.
caf::actor spawn_mapper(caf::actor_system& sys, const node_context& ctx, int64_t job,
                        const caf::actor& scheduler);

}  // namespace weft::actors
