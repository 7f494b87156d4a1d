#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::shell {

/// A request the node refused or did not answer; `exit_code` is what `-c`
/// ends with: 1 (failed, timed out) or 2 (refused: authentication).
struct request_error : std::runtime_error {
  request_error(int code, const std::string& what) : std::runtime_error(what), exit_code(code) {}
  int exit_code;
};

/// What the shell needs from a node: the seam between the shell (parsing,
/// rendering, completion) and the connection, so that the shell is testable
/// with canned answers and no node.
///
/// The real backend wraps `runtime::client::inspect` (runtime/shell_command.cpp).
/// Calls come from one thread only.
class shell_backend {
 public:
  virtual ~shell_backend() = default;

  /// One inspection request (docs/shell.md has the wire contract): `command`
  /// with its arguments as a JSON object; answers the node's JSON object.
  /// `timeout` 0: the connection's default (--timeout-ms).
  /// @throws request_error when the node answers an error or not in time.
  virtual nlohmann::json request(const std::string& command, const nlohmann::json& args,
                                 std::chrono::milliseconds timeout = {}) = 0;

  /// The name of the node we are connected to (the prompt shows it).
  virtual std::string node_name() const = 0;

  /// `submit ARGS...` exactly as `caf-node submit` with the same options, on
  /// this connection; prints what it prints and answers its exit code.
  /// The default refuses (a backend without submit support).
  virtual int submit(const std::vector<std::string>& args);

  /// The option list of `submit` for `help submit`; empty if unknown.
  virtual std::string submit_help() const { return {}; }
};

}  // namespace weft::shell
