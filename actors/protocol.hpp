#pragma once

// The messages between Weft's actors, within a node and across nodes
// (docs/protocol.md). Only CAF's built-in types cross the wire (atoms,
// integers, strings, actor handles), so no type registration can be
// forgotten on one side: structured payloads travel as JSON text.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "actors/planning/scheduling_policy.hpp"
#include "storage/job_store.hpp"

namespace weft::actors {

// -- engines and the scheduler -------------------------------------------------

// An engine type crosses the wire as an atom, `merge` or `weaver` (engine_type_atom):
// self-describing, and a built-in type, so nothing needs registering on either side.

/// engine → scheduler: (register, engine_id, type, node, local?, engine) → true.
using register_atom = caf::atom_constant<caf::atom("register")>;
/// engine → scheduler: (want, engine_id) → (batch, …) | error no_work: a long poll
/// for the next batch, nothing to report.
using want_atom = caf::atom_constant<caf::atom("want")>;
/// engine → scheduler: (done, engine_id, job, type, batch_no, attempt, accepted)
/// → (batch, …) | error no_work: the engine finished that batch (accepted: its
/// fenced result was stored) and polls for the next one.
using done_atom = caf::atom_constant<caf::atom("done")>;
/// scheduler → engine: (batch, job, type, batch_no, attempt, first, last).
/// A long poll that ends without work is answered with the Weft error no_work
/// (errors.hpp), never with a placeholder batch.
using batch_atom = caf::atom_constant<caf::atom("batch")>;
/// engine → scheduler: (take, engine_id, slots, holding, finished_json)
/// → (batches, batches_json) | error no_work. Prefetch (issue 15): the engine reports
/// the batches it finished (JSON, planning/batch_json.hpp; their fenced results are
/// stored), says how many it still holds unfinished (`holding`) and asks for up to
/// `slots` more. Answered at once when it holds work; held as a long poll when not.
using take_atom = caf::atom_constant<caf::atom("take")>;
/// scheduler → engine: (batches, batches_json), one or more batches, oldest first.
using batches_atom = caf::atom_constant<caf::atom("batches")>;
/// scheduler → itself: an idle engine's long poll has lasted long enough.
using poll_atom = caf::atom_constant<caf::atom("poll")>;
/// engine → scheduler: (failed, job, reason) a batch cannot be processed.
using fail_atom = caf::atom_constant<caf::atom("fail")>;

// -- jobs ------------------------------------------------------------------------

/// session → scheduler: (submitted, job_id, options_json) a job row exists, queued.
using submitted_atom = caf::atom_constant<caf::atom("submitted")>;
/// mapper → scheduler: (map_progress, job_id, stored, attempt_base) the job's first
/// `stored` records are stored (committed): merge batches over them may be cut while the
/// mapper reads on (issue 15). Sent once with 0 when mapping starts, then after each
/// chunk. A batch cut for this mapping has an attempt above `attempt_base` (the highest
/// attempt of the batches an earlier, interrupted mapping of the job had cut).
using map_progress_atom = caf::atom_constant<caf::atom("mapstored")>;
/// mapper → scheduler: (mapped, job_id, records) the job's records are stored.
using mapped_atom = caf::atom_constant<caf::atom("mapped")>;
/// mapper → scheduler: (map_failed, job_id, reason) the data is bad (or storage
/// refused it for good): the job fails.
using map_failed_atom = caf::atom_constant<caf::atom("mapfailed")>;
/// mapper → scheduler: (map_retry, job_id, reason) the database is unavailable:
/// the job stays as it is and is mapped again later.
using map_retry_atom = caf::atom_constant<caf::atom("mapretry")>;
/// scheduler → itself: (remap, job_id, options_json) map an interrupted job again.
using remap_atom = caf::atom_constant<caf::atom("remap")>;
/// planner → scheduler: (planned, job_id, segments) a sorted/grouped job's outputs.
using planned_atom = caf::atom_constant<caf::atom("planned")>;
/// planner → scheduler: (plan_failed, job_id, reason) its outputs cannot be planned.
using plan_failed_atom = caf::atom_constant<caf::atom("planfailed")>;
/// (status, job_id) → JSON text of the job.
using status_atom = caf::atom_constant<caf::atom("status")>;
/// (wait, job_id) → JSON text, answered when the job is finished or after a while.
using wait_atom = caf::atom_constant<caf::atom("wait")>;
/// (cancel, job_id) → JSON text of the job.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// (jobs, state) → JSON array.
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;

// -- clients -------------------------------------------------------------------

/// client → gateway: (hello, role, name, version) → (challenge, nonce). The role is "node",
/// "client", or master_client_role: a client that wants the active master, which a standby
/// candidate or an extension refuses with "… is not the master; join HOST:PORT".
inline constexpr const char* master_client_role = "master-client";
using hello_atom = caf::atom_constant<caf::atom("hello")>;
/// client → gateway: (auth, nonce, hmac_hex) → (welcome, session) | error.
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using welcome_atom = caf::atom_constant<caf::atom("welcome")>;
/// client → session: (upload, name, offset, bytes) → offset after the write.
using upload_atom = caf::atom_constant<caf::atom("upload")>;
/// client → session: (submit, spec_json) → job id | error.
using submit_atom = caf::atom_constant<caf::atom("submit")>;
/// client → session: (fetch, job, segment, offset) → bytes ("" at the end).
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;

// -- the cluster -----------------------------------------------------------------

/// gateway → membership: (join, name, agent, address) → true | error.
using join_atom = caf::atom_constant<caf::atom("join")>;
/// agent → membership: (heartbeat, name), every `heartbeat`.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
/// membership → scheduler: (lost, node) the node died or hangs.
using lost_atom = caf::atom_constant<caf::atom("lost")>;
/// agent → its engines: (joined, scheduler) drive work from this scheduler;
/// (left) the master is gone: wait for the next (joined).
using joined_atom = caf::atom_constant<caf::atom("joined")>;
using left_atom = caf::atom_constant<caf::atom("left")>;
/// (drain, node, on?) → true: no new work for the node / work again.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// (nodes) → JSON array of the cluster's nodes and their engines.
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;

// -- inspection (the shell) ----------------------------------------------------

/// client → session → inspector: (inspect, command, args_json) → JSON text.
/// Commands and their answers: docs/protocol.md "Inspection". An inspector
/// forwards what concerns another node, with `request_timeout`.
/// Also (inspect) → int64_t: an actor's own mailbox size (the inspector's
/// probe; an actor busy with blocking work answers late or not at all).
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
/// node → inspector: (add, name, role, actor) an actor of the node to show
/// and, by role (scheduler, membership, agent, cleanup), to reach. Local only.
using add_atom = caf::atom_constant<caf::atom("add")>;
/// extension inspector → agent → master's membership → master's inspector:
/// (upstream, command, args_json) → JSON text.
using upstream_atom = caf::atom_constant<caf::atom("upstream")>;
/// inspector → scheduler: (apply, settings) the effective settings changed
/// (`set`). Local only: the payload is a shared_ptr<const config::settings>.
using apply_atom = caf::atom_constant<caf::atom("apply")>;
/// inspector → clean-up actor: (cleanup, reload) the clean-up settings changed.
using reload_atom = caf::atom_constant<caf::atom("reload")>;

// -- internal ------------------------------------------------------------------

/// store worker requests, local only (actors/store_worker.hpp).
/// (load) → unfinished jobs; also scheduler → itself: load them again.
using load_atom = caf::atom_constant<caf::atom("load")>;
/// (open_batches, job, phase) → (batch_rows_ptr, done, total).
using open_batches_atom = caf::atom_constant<caf::atom("openbatch")>;
/// (add_batches, job, batches) → true: merge batches cut while the job is mapping.
using add_batches_atom = caf::atom_constant<caf::atom("addbatches")>;
/// (save_mapping, job, records, batches, segments, class) → true: the job is merging
/// (the merge batches add_batches stored stay; `batches` are the rest).
using save_mapping_atom = caf::atom_constant<caf::atom("savemap")>;
/// (save_weaving, job, segments) → true: the job is weaving.
using save_weaving_atom = caf::atom_constant<caf::atom("saveweave")>;
/// (save_state, job, job_state, error) → bool: the job's state changed.
using save_state_atom = caf::atom_constant<caf::atom("savestate")>;
/// (attempt, job, phase, batch_no, attempt), sent: a batch's new attempt;
/// (attempt, attempt_updates_ptr), sent: several, stored in one transaction.
using attempt_atom = caf::atom_constant<caf::atom("attempt")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// scheduler → itself, and → its store worker: queued jobs it does not know yet.
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;

/// an inspector's database worker → its inspector: (work_done, token, ok, text).
using work_done_atom = caf::atom_constant<caf::atom("workdone")>;

/// Local-only payloads between the scheduler and its store worker (and the planner).
using job_rows_ptr = std::shared_ptr<const std::vector<storage::job_row>>;
using batch_rows_ptr = std::shared_ptr<const std::vector<storage::batch_row>>;
using attempt_updates_ptr = std::shared_ptr<const std::vector<storage::attempt_update>>;

/// An engine type as it crosses the wire: the atom `merge` or `weaver`.
inline caf::atom_value engine_type_atom(planning::engine_type t) {
  return t == planning::engine_type::merge ? caf::atom("merge") : caf::atom("weaver");
}

/// The engine type an atom from the wire names; nothing for any other atom.
inline std::optional<planning::engine_type> engine_type_of(caf::atom_value a) {
  if (a == caf::atom("merge")) return planning::engine_type::merge;
  if (a == caf::atom("weaver")) return planning::engine_type::weaver;
  return std::nullopt;
}

}  // namespace weft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::job_rows_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::batch_rows_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::attempt_updates_ptr)
