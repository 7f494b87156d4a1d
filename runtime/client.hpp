#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/settings.hpp"

namespace weft::runtime {

/// A failure of a client command; `exit_code` is what the command ends with
/// (2 when the node refused us, 1 when it could not be reached or failed).
struct client_error : std::runtime_error {
  client_error(int code, const std::string& what) : std::runtime_error(what), exit_code(code) {}
  int exit_code;
};

struct client_options {
  std::string host;
  uint16_t port = 0;
  std::string secret;
  std::string name = "caf-node-client";      ///< how the node's logs name us
  std::chrono::milliseconds timeout{10000};  ///< every request's limit
  /// Mutual TLS (--tls-ca, --tls-cert, --tls-key, or the topology's [tls]); empty: plain TCP.
  config::tls_files tls;
};

struct connect_args;

/// Runs the body of a client command: a client_error ends it with its message on stderr
/// and its exit code, any other exception with its message and exit code 1.
int run_client_command(const std::function<int()>& body);

/// The options for `args`: parses HOST:PORT, reads the secret (from
/// --secret-file, or from the topology of --config).
/// @throws client_error (exit code 2) for bad arguments or secret files.
client_options client_options_from(const connect_args& args);

/// An authenticated connection to a node (`submit`, later the shell).
///
/// Connecting runs the handshake: versions must match, and both sides prove
/// that they know the cluster secret without sending it. Every request has
/// the timeout of the options: a node that does not answer is an error,
/// never a hang. Not thread-safe.
class client {
 public:
  /// @throws client_error
  static std::unique_ptr<client> connect(const client_options& options);
  ~client();

  /// The cluster and node names the node reported.
  const std::string& cluster() const;
  const std::string& node() const;

  /// Uploads a local file under `name` in chunks; `progress(bytes_sent)`.
  void upload(const std::string& name, const std::string& path,
              const std::function<void(int64_t)>& progress = {});
  /// Submits the uploaded files as a job; returns its id.
  int64_t submit(const std::string& spec_json);
  /// The job as JSON; `wait` returns when it is finished or after `max_ms`.
  std::string status(int64_t job);
  std::string wait(int64_t job, int max_ms);
  std::string cancel(int64_t job);
  /// Drains a node (no new work; running batches finish) or undrains it.
  void drain(const std::string& node, bool on);
  /// One inspection request (the shell): `command` with its arguments as a
  /// JSON object; answers the node's JSON text. `timeout` 0: the options'.
  std::string inspect(const std::string& command, const std::string& args_json,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  /// Downloads output `segment` of a job to `path`.
  void fetch(int64_t job, int segment, const std::string& path);

 private:
  struct impl;
  explicit client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace weft::runtime
