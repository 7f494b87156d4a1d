#pragma once

// A client's session: what an authenticated client talks to (uploads,
// submit, wait, fetch, the shell's inspection). It answers only messages
// from the client's node and ends when the client goes away. Detached: it
// writes uploads and reads outputs from the file store and queries the
// database. Its messages are in docs/protocol.md.

#include <caf/fwd.hpp>
#include <string>

#include "actors/node_context.hpp"

namespace weft::actors {

/// Spawns the session of `client` (named `client_name`), authenticated by the
/// gateway. `scheduler` is null on an extension; `inspector` is this node's.
caf::actor spawn_session(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler, const caf::actor& inspector,
                         const caf::actor& client, const std::string& client_name);

}  // namespace weft::actors
