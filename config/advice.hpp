#pragma once

// Warnings about a valid topology that an operator should still change
// (`caf-node check` prints them; a node logs them when it starts).

#include <string>
#include <vector>

#include "config/settings.hpp"

namespace weft::config {

/// One line per warning, naming the key to set, e.g. a MariaDB server that is
/// not on loopback reached without `[database] tls_ca_file`.
std::vector<std::string> advice(const settings& s);

}  // namespace weft::config
