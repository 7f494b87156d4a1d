#pragma once

// Warnings about a valid topology that an operator should still change
// (`caf-node check` prints them; a node logs them when it starts).

#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace weft::config {

/// True for loopback hosts: "localhost", 127.0.0.0/8, "::1" (with or without brackets).
bool is_loopback_host(std::string_view host);

/// One line per warning, naming the key to set, e.g. a MariaDB server that is
/// not on loopback reached without `[database] tls_ca_file`.
std::vector<std::string> advice(const settings& s);

}  // namespace weft::config
