#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "storage/database.hpp"

namespace weft::actors {

/// What every actor of a node may use. The pointees outlive the actor system
/// (runtime/node.cpp owns them and stops the actors before destroying them).
struct node_context {
  const config::settings* settings = nullptr;
  storage::database* db = nullptr;
  /// Set when the node begins to stop: long-running blocking work (mapping a
  /// data file) checks it and gives up, leaving its state for the restart.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  /// Ends the node with an exit code (an extension refused for good: another
  /// version, a wrong secret, a name the master does not know).
  std::function<void(int)> stop_node = [](int) {};

  const config::node_settings& node() const { return settings->this_node(); }
  const std::string& files_root() const { return settings->files.root; }
};

}  // namespace weft::actors
