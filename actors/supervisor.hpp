#pragma once

// The node's supervisor: watches the node's core actors (scheduler,
// membership, inspector, gateway, agent, clean-up, engines). No handler lets an
// exception escape and no stranger's message is obeyed (admission.hpp), but if
// a core actor ends anyway while the node is not stopping, the node cannot go
// on without it: the supervisor logs which actor ended and why, and stops the
// node with exit code 1, so that its service manager starts it again (the
// systemd unit restarts on failure). Nothing is lost: every job's state is in
// the database, and a restarted master resumes the unfinished jobs (a job whose
// batches keep killing nodes fails after `jobs.max_attempts`).
//
// In-process restart of a single actor is not done on purpose: other nodes hold
// the handles of the scheduler and membership, and a fresh actor would not be
// the one they talk to.

#include <caf/fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the supervisor of `watched` (name, actor).
caf::actor spawn_supervisor(caf::actor_system& sys, const node_context& ctx,
                            std::vector<std::pair<std::string, caf::actor>> watched);

}  // namespace weft::actors
