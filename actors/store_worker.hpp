#pragma once

// The scheduler's store worker: every database call the scheduler needs, one
// at a time and in order, off the cooperative threads.
//
// Its protocol (actors/protocol.hpp; local only: the payloads are shared
// pointers and never cross the wire) is the contract a fake store in a test
// answers too. Requests and their replies:
//
//   (adopt)                                   → job_rows_ptr: queued jobs (at most 1000)
//   (load)                                    → job_rows_ptr: unfinished jobs
//   (open_batches, job, phase)                → (batch_rows_ptr open, done, total)
//   (add_batches, job, batches)               → true: merge batches of a job still mapping
//   (save_mapping, job, records, batches,
//    segments, class)                         → true: mapping stored, the job merging
//   (save_weaving, job, segments)             → true: segments stored, the job weaving
//   (save_state, job, job_state, error)       → bool: the state changed
//   (status, job)                             → the job's JSON text
//
// Sent, never answered: (attempt, job, phase, batch_no, attempt),
// (attempt, attempt_updates_ptr) — several new attempts in one transaction,
// (register, engine_id, node, type, state), (lost, node).
//
// A storage failure is answered with a Weft error of the storage error's kind
// (errors.hpp: weft_error_of gives unavailable, conflict, ...; error_text its
// text); nothing a request does can end the worker.

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the store worker (detached: it blocks on `ctx.db`). Pass it to
/// spawn_scheduler, which links to it.
caf::actor spawn_store_worker(caf::actor_system& sys, const node_context& ctx);

}  // namespace weft::actors
