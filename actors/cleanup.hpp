#pragma once

// The clean-up service (docs/cleanup.md): one detached actor per node that sweeps on a
// schedule under the cluster-wide `cleanup` lease.

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <string>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Messages the clean-up actor answers (local or remote; every payload is a built-in type):
///
/// * `(cleanup_atom, run_atom)` → `std::string`: sweeps now (or skips when another node
///   holds the lease) and answers with the sweep as a JSON object (see sweep_now).
/// * `(cleanup_atom, history_atom, int32_t n)` → `std::string`: the newest n sweeps of the
///   cluster as a JSON array, newest first.
/// * `(cleanup_atom, leases_atom)` → `std::string`: every lease as a JSON array.
///
/// A request waits while a sweep is running (the actor does one thing at a time): give
/// it a timeout of at least `lock_at_most`.
using cleanup_atom = caf::atom_constant<caf::atom("cleanup")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using leases_atom = caf::atom_constant<caf::atom("leases")>;

/// Spawns the node's clean-up actor (detached: its database and file work blocks). It
/// sweeps at startup when `run_at_startup` is set, then at every scheduled time (see
/// next_sweep). Stop it with an exit message; a running sweep stops early once
/// `ctx.stopping` is set.
caf::actor spawn_cleanup(caf::actor_system& sys, const node_context& ctx);

/// The first scheduled sweep of this node strictly after `now`.
///
/// Nodes are staggered by their position i among the N nodes of the topology: with
/// `interval = I`, node i fires at every `k * I + i * I / N` (milliseconds since the
/// Unix epoch); with a cron `schedule`, at every fire time `f` plus `i / N` of the gap
/// between `f` and the following fire time. Returns `time_point::max()` for a cron
/// schedule that never fires.
std::chrono::system_clock::time_point next_sweep(const config::settings& settings,
                                                 std::chrono::system_clock::time_point now);

/// One sweep in the calling thread, as the actor does it: takes the `cleanup` lease
/// (or answers `{"status":"skipped", "holder":…, "lock_until":…}` at once when it is
/// held), records the sweep, runs the database sweep when this node has
/// `database_sweep = true` and the orphan-file sweep, releases the lease with
/// `lock_at_least`. Answers the recorded sweep as a JSON object: id, node, token,
/// started_at, finished_at, status (done, stopped, lost_lease, failed), error,
/// jobs_deleted, records_deleted, content_deleted, outputs_deleted, files_removed,
/// bytes_freed, plus batches_deleted, transactions and file_errors of this run, and
/// database_sweep (whether it ran). Never throws: failures are in status and error.
std::string sweep_now(const node_context& ctx);

/// The newest `limit` sweeps as a JSON array (newest first).
/// @throws storage::storage_error
std::string sweep_history(const node_context& ctx, int limit);

/// Every lease as a JSON array of {name, holder, token, lock_until, acquired_at, expired}.
/// @throws storage::storage_error
std::string lease_table(const node_context& ctx);

}  // namespace weft::actors
