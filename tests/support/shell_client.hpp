#pragma once

// The inspection shell as a test reads a node's state: `caf-node shell --connect
// HOST:PORT --config TOPOLOGY --json -c COMMAND`, one process per command, the
// answer as JSON (docs/shell.md, "The wire contract"). Tests wait on these
// answers (and on the database) instead of on the wording of log lines.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"

namespace weft::test {

/// Where a shell connects and how it proves the cluster secret.
struct shell_target {
  std::string address;   ///< HOST:PORT
  std::string topology;  ///< `--config`: the shell reads the secret file it names
};

/// Runs `command` with `--json`; the process's exit code and output.
run_result shell(const shell_target& to, const std::string& command,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// The JSON answer of `command`, or nothing when the shell failed or did not print
/// JSON (the node is not up, did not answer, refused).
std::optional<nlohmann::json> shell_answer(
    const shell_target& to, const std::string& command,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The JSON answer of a command that must succeed; throws with the output when it
/// does not.
nlohmann::json shell_json(const shell_target& to, const std::string& command);

/// The row of `rows` whose `key` is `value` (a string, or a number or boolean as
/// JSON writes it: "42", "true"); null when there is none.
nlohmann::json find_by(const nlohmann::json& rows, const std::string& key,
                       const std::string& value);

}  // namespace weft::test
