#pragma once

// One `caf-node run` process of a system test, and the wait until it serves.
//
// The cluster helpers (tests/cluster/cluster_support.hpp), the pipeline helpers
// (tests/pipeline/pipeline_support.hpp) and the clean-up suite all start their
// nodes through this class. It knows nothing of topologies: its owner writes the
// file and says, through start_serving(), how to tell that the node serves and
// how to give it another port when its own was taken.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace weft::test {

/// The caf-node binary of this build.
const char* caf_node_path();

/// One `caf-node run --config T [--node NAME]` process; it can be started again
/// (a restart), each run with its own log files `DIR/NAME.runN.{out,err}`.
/// The destructor kills (SIGKILL) a process still running.
class node_process {
 public:
  /// `name` is passed as `--node` unless it is empty (a one-node topology).
  node_process(std::string name, std::string log_dir);
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  const std::string& name() const { return name_; }
  /// Starts the node with `topology` and returns at once; `env` holds NAME=VALUE
  /// assignments for this process only. Throws when it is running already.
  void start(const std::string& topology, const std::vector<std::string>& env = {});

  /// What start_serving() needs to know of its owner.
  struct serving_check {
    /// Whether the node serves (e.g. it answers the shell, its row says it joined).
    std::function<bool()> serves;
    /// Gives the node another reserved port after its listen failed: rewrites the
    /// topology and returns its path. Empty: the start is not repeated.
    std::function<std::string()> move_port;
    std::chrono::milliseconds timeout = std::chrono::seconds(30);
  };
  /// Starts the node and waits until `check.serves()` holds or the process ends.
  /// A node whose listen address was taken by another program (listen_failed())
  /// is started again on the port `check.move_port()` gives, up to 3 times.
  /// Returns "" when it serves, else why not (with the log's tail).
  std::string start_serving(std::string topology, const serving_check& check,
                            const std::vector<std::string>& env = {});

  bool running() const;
  pid_t pid() const;
  void signal(int sig);
  /// SIGKILL, then waits until the process is gone.
  void kill();
  /// SIGTERM; its exit code, or nothing when it did not end within `timeout`.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Waits for the process to exit; its exit code, or nothing on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  int runs() const { return runs_; }

  /// Whether the last run ended because it could not listen on its address:
  /// exit code 1 and the error of the key `node.listen` (runtime/node.cpp) in its
  /// log, the one place where only the log tells why.
  bool listen_failed() const;

  /// The log (stderr) of the current, or last, run.
  std::string log() const;
  /// How often `text` occurs in the current run's log.
  int count(const std::string& text) const;
  /// The last lines of the current run's log, for failure messages.
  std::string tail(std::size_t lines = 60) const;

 private:
  std::string name_;
  std::string dir_;
  int runs_ = 0;
  std::unique_ptr<child_process> process_;
};

/// A one-node topology on the embedded default (SQLite under `files/` beside the
/// topology file): cluster and master `name` on 127.0.0.1:`port` with 2 merge
/// engines and 1 weaver, the secret in `cluster.secret` beside the file; `extra`
/// (e.g. a `[scheduler]` table) goes before the node.
std::string solo_topology(const std::string& name, uint16_t port, const std::string& extra = "");

/// How often `what` occurs in `text`.
int occurrences(const std::string& text, const std::string& what);

/// The last `lines` lines of `text`.
std::string last_lines(const std::string& text, std::size_t lines);

}  // namespace weft::test
