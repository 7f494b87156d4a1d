#pragma once

// The job mapper: streams a job's data file into its `records` rows in
// chunks, then tells the scheduler how many records there are. One per job,
// detached: it blocks on the file and the database. A malformed row fails the
// job with its row number; an unreachable database leaves the job for a retry.
//
// Tells `scheduler` (docs/protocol.md) (map_progress, job, stored, attempt_base) when
// it starts and after each chunk it stored (merging overlaps mapping), then one of:
// (mapped, job, records);
// (map_failed, job, reason): the job fails (bad data, or a storage error that
// retrying cannot fix); (map_retry, job, reason): the database is unavailable
// or busy, map again later.

#include <caf/fwd.hpp>
#include <cstdint>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the mapper of `job`. Stops between chunks when `ctx.stopping` is set.
caf::actor spawn_mapper(caf::actor_system& sys, const node_context& ctx, int64_t job,
                        const caf::actor& scheduler);

}  // namespace weft::actors
