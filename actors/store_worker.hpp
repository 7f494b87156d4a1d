#pragma once

// The scheduler's store worker: every database call the scheduler needs, one
// at a time and in order, off the cooperative threads.
//
// Its protocol (actors/protocol.hpp; local only: the payloads are shared pointers and never cross
// the wire) is the contract a fake store in a test answers too:
//
// | request                                               | reply |
// |-------------------------------------------------------|-------------------------------------------|
// | (adopt)                                               | job_rows_ptr: queued jobs (at most
// 1000)  | | (load)                                                | job_rows_ptr: unfinished jobs
// | | (load, job, phase)                                    | (batch_rows_ptr open, done, total) |
// | (finish, job, records, batches, segments, job_class)  | true: mapping stored, job merging | |
// (plan, job, segments)                                 | true: segments stored, job weaving | |
// (finish, job, job_state, error)                       | bool: the state changed | | (status, job)
// | the job's JSON text                       | | (attempt, job, phase, batch, attempt)  (sent) |
// none                                      | | (register, id, node, type, state)      (sent) |
// none                                      | | (lost, node)                           (sent) |
// none                                      |
//
// A storage failure is answered with an error (error_text gives its text);
// nothing a request does can end the worker.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the store worker (detached: it blocks on `ctx.db`). Pass it to
/// spawn_scheduler, which links to it.
caf::actor spawn_store_worker(caf::actor_system& sys, const node_context& ctx);

}  // namespace weft::actors
