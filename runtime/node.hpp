#pragma once

#include "config/settings.hpp"

namespace weft::runtime {

/// Runs this machine's node (`caf-node run`): opens and migrates the database,
/// starts the actor system, publishes the node on its `listen` address and
/// serves until SIGINT/SIGTERM, then stops cleanly. Returns the exit code.
int run_node(const config::settings& settings);

}  // namespace weft::runtime
