#pragma once

#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// One row of `nodes`: a node the master has seen.
struct node_row {
  std::string name;
  std::string role;  ///< master, extension
  std::string version;
  std::string address;  ///< advertised host:port
  std::string state;    ///< up, lost, draining
  int merge_engines = 0;
  int weaver_engines = 0;
  std::string last_heartbeat;  ///< database clock, "YYYY-MM-DD HH:MM:SS.ffffff"
  std::string joined_at;
  /// Milliseconds since the last heartbeat by the database's clock; -1 if none.
  int64_t heartbeat_age_ms = -1;
};

/// One row of `engines`.
struct engine_row {
  std::string id;  ///< "ext1/merge/0"
  std::string node;
  std::string type;   ///< merge, weaver
  std::string state;  ///< idle, busy, standby, lost
  int64_t batches_done = 0;
};

/// The master's view of the cluster, kept in the database so that any node
/// (and the shell) can show it (docs/storage.md). Blocking; storage_error on
/// failure.
class cluster_store {
 public:
  explicit cluster_store(database& db) : db_(db) {}

  /// A node joined (or the master started): inserted or replaced, state `up`
  /// (or `draining` if it was draining: draining survives a reconnect).
  void node_joined(const node_row& node);
  void set_node_state(const std::string& name, const std::string& state);
  /// Stores the time of the node's last heartbeat (the database's clock).
  void heartbeat(const std::string& name);
  std::vector<node_row> nodes();

  void engine_registered(const engine_row& engine);
  void set_engine_state(const std::string& id, const std::string& state);
  /// Every engine of a node (lost, left) gets `state`.
  void set_node_engines_state(const std::string& node, const std::string& state);
  std::vector<engine_row> engines();

 private:
  database& db_;
};

}  // namespace weft::storage
