#pragma once

#include <string_view>

#include "config/settings.hpp"

namespace weft::config {

/// Parses "HOST:PORT" ("10.0.0.10:4242", "db.example:3306", "[::1]:4242" for IPv6).
/// The host must not be empty and the port must be an integer in 1..65535.
/// @throws config_error without file, line or key (the caller adds them) on a bad value.
endpoint parse_endpoint(std::string_view text);

/// True when `host` cannot be dialled by another machine: empty or a wildcard
/// listen address ("0.0.0.0", "::", "[::]", "*").
bool is_wildcard_host(std::string_view host);

/// True for loopback hosts: "localhost", 127.0.0.0/8, "::1" (with or without brackets).
bool is_loopback_host(std::string_view host);

}  // namespace weft::config
