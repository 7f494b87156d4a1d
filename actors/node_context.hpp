#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/peer_set.hpp"
#include "config/settings.hpp"
#include "storage/database.hpp"
#include "storage/master_store.hpp"

namespace weft::actors {

/// One line of the node's log, numbered so that a follower (`logs NODE -f`)
/// asks for what came after the last line it saw.
struct log_line {
  int64_t seq = 0;
  std::string text;
};

/// What every actor of a node may use. The pointees outlive the actor system
/// (runtime/node.cpp owns them and stops the actors before destroying them).
struct node_context {
  const config::settings* settings = nullptr;
  /// The topology as written, when `settings` differ from it (a standby master candidate runs
  /// as an extension: its own role in `settings` is "extension"); null: `settings`.
  const config::settings* topology = nullptr;
  storage::database* db = nullptr;
  /// Set when the node begins to stop: long-running blocking work (mapping a
  /// data file) checks it and gives up, leaving its state for the restart.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  /// Ends the node with an exit code (an extension refused for good: another
  /// version, a wrong secret, a name the master does not know).
  std::function<void(int)> stop_node = [](int) {};
  /// The node's most recent log lines after `after` (at most `max`, oldest
  /// first), from the in-memory ring of runtime/logging.cpp.
  std::function<std::vector<log_line>(int64_t after, std::size_t max)> recent_logs =
      [](int64_t, std::size_t) { return std::vector<log_line>{}; };

  /// Whether the actors that block on the database (membership, inspector)
  /// get threads of their own. Always true in a node; the deterministic test
  /// tier (tests/actors) sets it false so that they run on CAF's test
  /// coordinator, on the test's one thread, with virtual time.
  bool detach_blocking = true;
  /// The deterministic test tier, which has no database for a mapper, plays the mapper
  /// itself: set, the scheduler calls this instead of spawning a mapper for `job`.
  std::function<void(int64_t job)> start_mapper;

  /// Master failover (docs/cluster.md "Master failover"). On the active master: the scheduler
  /// lease's token its scheduler and mappers write under (every scheduler write is checked
  /// against it in the database); empty on a node that is not a master candidate.
  std::optional<storage::write_fence> fence;
  /// Called, from any thread, when the database refused a write of this master because
  /// another one took the lease over: the node steps down to a standby (runtime/node.cpp).
  std::function<void(const std::string& why)> on_fenced = [](const std::string&) {};
  /// On the active master: hands the scheduler lease over to a standby candidate (`drain`
  /// of this node, docs/cluster.md "Moving the master on purpose"); the node steps down and
  /// stands by. Called from any thread.
  std::function<void(const std::string& why)> hand_over = [](const std::string&) {};
  /// On a standby candidate: the active master's advertised address as last read from the
  /// lease ("" when unknown), which its gateway tells joining extensions.
  std::function<std::string()> active_master = [] { return std::string{}; };

  /// The nodes this node obeys besides itself (peer_set.hpp, admission.hpp).
  std::shared_ptr<peer_set> peers = std::make_shared<peer_set>();

  const config::node_settings& node() const { return settings->this_node(); }
  const std::string& files_root() const { return settings->files.root; }
};

}  // namespace weft::actors
