#pragma once

#include <cstddef>
#include <string>

namespace weft::config {

/// The shortest cluster secret `check` (and every node) accepts, in bytes once the trailing
/// newline is stripped: a short secret can be guessed offline from one recorded handshake.
constexpr std::size_t min_cluster_secret_size = 16;

/// Reads a secret or password file: it must exist, be a regular file private
/// to its owner (mode & 077 == 0), be readable and not be empty once the
/// trailing newline is stripped. Used for `[cluster].secret_file`,
/// `[database].password_file` and the clients' `--secret-file`.
///
/// @throws config_error naming the file (no line or key: the caller adds
///   them when the path came from the topology).
std::string read_secret_file(const std::string& path);

}  // namespace weft::config
