#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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
  /// The master candidates' addresses (HOST:PORT) of `--connect A,B` or `--topology F`. Two or
  /// more: the client follows the active master (docs/cluster.md "Master failover"): it
  /// connects to the lease holder (a standby answers with the holder's address) and, after a
  /// lost connection, finds it again within `reconnect_timeout`. Fewer: host:port only.
  std::vector<std::string> masters;
  std::chrono::milliseconds reconnect_timeout{30000};
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
  /// Connects to host:port, or with several `masters` to the active master among them,
  /// trying each (and following "not the master; join ADDR") until `reconnect_timeout`.
  /// @throws client_error
  static std::unique_ptr<client> connect(const client_options& options);
  ~client();

  /// Whether this client follows the active master (several candidates' addresses).
  static bool follows_master(const client_options& options) { return options.masters.size() > 1; }
  /// The address (HOST:PORT) this connection goes to.
  const std::string& address() const;

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
  static std::unique_ptr<client> connect_to(const client_options& options, const std::string& host,
                                            uint16_t port, const std::string& role);
  std::unique_ptr<impl> impl_;
};

/// A client command's connection, which follows the active master when it has several
/// candidates' addresses: after a lost connection `reconnect` finds the lease holder again
/// (within reconnect_timeout) and prints on stderr which master it talks to when that changed.
class client_link {
 public:
  /// Connects (client::connect). @throws client_error
  explicit client_link(client_options options);
  client& operator*() { return *client_; }
  client* operator->() { return client_.get(); }
  const client* operator->() const { return client_.get(); }
  bool follows() const { return client::follows_master(options_); }
  /// Whether `e` ends the command rather than a reconnect: not following, or a refusal.
  bool fatal(const client_error& e) const;
  /// Connects again after `why` (a lost connection). @throws client_error
  void reconnect(const std::string& why);
  /// `f(client&)`, done again on the active master after a lost connection, for at most
  /// reconnect_timeout after the first failure. For requests that may be repeated (reads).
  template <class F>
  auto again_on_master(F f) -> decltype(f(std::declval<client&>())) {
    std::optional<std::chrono::steady_clock::time_point> give_up;
    for (;;) {
      try {
        return f(*client_);
      } catch (const client_error& e) {
        const auto now = std::chrono::steady_clock::now();
        if (!give_up) give_up = now + options_.reconnect_timeout;
        if (fatal(e) || now >= *give_up) throw;
        reconnect(e.what());
      }
    }
  }

 private:
  void announce();
  client_options options_;
  std::unique_ptr<client> client_;
  std::string last_;  ///< "node at address" announced last
};

}  // namespace weft::runtime
