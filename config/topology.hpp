#pragma once

#include <optional>
#include <string>

#include "config/config_error.hpp"
#include "config/describe.hpp"
#include "config/duration.hpp"
#include "config/endpoint.hpp"
#include "config/settings.hpp"

namespace weft::config {

/// Loads and validates the TOML topology file at `path` and picks the node this process
/// runs as. Every key is documented in docs/configuration.md.
///
/// Node selection: `node_name` if given; otherwise the only node; otherwise the node whose
/// name equals this machine's host name; otherwise an error asking for --node.
///
/// Relative paths in the file (secret_file, password_file, files.root, log.file) resolve
/// against the directory of the topology file; the settings hold them absolute. The secret
/// and the database password are read from their files (trailing newlines stripped).
///
/// @throws config_error on any problem: unreadable file, TOML syntax, unknown key, wrong
///         type, bad value, inconsistent cluster, bad secret or password file. Nothing falls
///         back to a default silently; absent keys take their documented defaults.
settings load_topology(const std::string& path, const std::optional<std::string>& node_name);

/// Loads the topology for a client command (`--config` of submit, job, drain):
/// validated like a node's, but no node is chosen: `self` is the master.
/// @throws config_error as load_topology does.
settings load_topology_for_client(const std::string& path);

}  // namespace weft::config
