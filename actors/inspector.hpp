#pragma once

// The node's inspector (actors/inspector.cpp): what the shell sees of a node
// and, on the master, of the cluster (docs/shell.md, docs/protocol.md).

#include <caf/fwd.hpp>
#include <string>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the node's inspector (detached: it reads the database).
///
/// It answers `(inspect, command, args_json)` → JSON text. Commands about
/// this node (`actors`, `config`, `logs`, `cleanup_run`) it answers itself;
/// those naming another node (`"node"` in args) it forwards: the master's
/// inspector to the node's agent, an extension's inspector to the master.
/// Commands about the cluster's live state (`engines`, `capacity`,
/// `settings`, `set`, `drain`, `undrain`, `cancel`) are the master's; an
/// extension forwards them. Commands answered from the shared database
/// (`nodes`, `jobs`, `job`, `locks`, `cleanup_status`) any node answers.
/// Every forwarded request has a timeout (`request_timeout`): a node that
/// does not answer is reported as such, never waited on forever.
///
/// The node registers its actors with `register_actor`; the roles
/// `scheduler`, `membership`, `agent` and `cleanup` are also how the
/// inspector reaches them. On the master it loads the settings changed by
/// `set` from the database at start and hands them to the scheduler.
caf::actor spawn_inspector(caf::actor_system& sys, const node_context& ctx);

/// Tells `inspector` about one of the node's actors.
void register_actor(const caf::actor& inspector, const std::string& name, const std::string& role,
                    const caf::actor& actor);

}  // namespace weft::actors
