#pragma once

// A one-node cluster ("solo", on the embedded default) in a directory of its
// own, for the runtime suites that need one real node: `caf-node run` on a
// reserved loopback port, started by start() and answering the shell when it
// returns (on another port when its own was taken).

#include <cstdint>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/shell_client.hpp"

namespace weft::test {

class solo_node {
 public:
  /// Makes the directory `weft-TAG.XXXXXX` and its cluster secret; does not start.
  explicit solo_node(const std::string& tag);

  /// Writes the topology (solo_topology + `extra`, e.g. a [limits] or [tls]
  /// table) and starts the node; throws with its log when it does not answer
  /// the shell within 30 s.
  void start(const std::string& extra = "");

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  shell_target target() const { return {address(), config}; }
  bool serves() const { return shell_answer(target(), "nodes").has_value(); }

  temp_dir dir;
  uint16_t port;
  std::string config;  ///< the topology file's path, once started
  node_process node;

 private:
  std::string write_config();
  std::string extra_;
};

}  // namespace weft::test
