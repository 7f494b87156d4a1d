#pragma once

// The peers a node obeys (docs/cluster.md, "Security").
//
// CAF 0.17's BASP makes every actor whose handle ever crossed the wire
// addressable by any connected peer, so an actor cannot rely on "only admitted
// peers know my handle". Instead every actor reachable from the wire asks, for
// each message, whether it comes from this node or from a node admitted by the
// handshake (actors/admission.hpp). This set holds those nodes: on the master,
// the extensions membership has taken (added on join, removed when lost); on an
// extension, the master it joined. Clients are never in it: a client talks only
// to its own session, which checks its client itself.
//
// Nodes are identified by CAF's node id in text form (caf::to_string), which
// keeps this header free of CAF. It is shared by the node's actors and
// thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace weft::actors {

class peer_set {
 public:
  /// Admits `node` (a CAF node id as text) as `who` (e.g. "node 'ext1'").
  void admit(const std::string& node, const std::string& who) {
    std::lock_guard<std::mutex> lock(mutex_);
    peers_[node] = who;
  }

  /// Forgets `node`: its messages are refused from now on.
  void revoke(const std::string& node) {
    std::lock_guard<std::mutex> lock(mutex_);
    peers_.erase(node);
  }

  /// Who `node` was admitted as, or nothing for a stranger.
  std::optional<std::string> find(const std::string& node) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto i = peers_.find(node);
    if (i == peers_.end()) return std::nullopt;
    return i->second;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peers_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> peers_;
};

}  // namespace weft::actors
