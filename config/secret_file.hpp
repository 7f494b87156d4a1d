#pragma once

#include <string>

namespace weft::config {

/// Reads a secret or password file: it must exist, be a regular file private
/// to its owner (mode & 077 == 0), be readable and not be empty once the
/// trailing newline is stripped. Used for `[cluster].secret_file`,
/// `[database].password_file` and the clients' `--secret-file`.
///
/// @throws config_error naming the file (no line or key: the caller adds
///   them when the path came from the topology).
std::string read_secret_file(const std::string& path);

}  // namespace weft::config
