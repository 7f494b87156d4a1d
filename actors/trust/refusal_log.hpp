#pragma once

// Rate limit for the warnings a node logs when it refuses a peer: a peer that
// sends ten thousand bad hellos must not write ten thousand log lines.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace weft::trust {

/// Decides, per peer, whether a refusal is logged: at most `per_window`
/// refusals of one peer per `window`; the rest are counted, and the first
/// refusal logged after them says how many were left out. Remembers at most
/// `max_peers` peers (the least recently refused are forgotten first), so a
/// flood of peers cannot grow it. Not thread-safe: one owner (the gateway).
class refusal_log {
 public:
  using clock = std::chrono::steady_clock;

  explicit refusal_log(std::size_t per_window = 5,
                       std::chrono::milliseconds window = std::chrono::seconds(10),
                       std::size_t max_peers = 1024);

  /// Whether to log a refusal of `peer` now; if so, `suppressed` is the number
  /// of its refusals left out since the last one logged (0: none).
  bool allow(const std::string& peer, clock::time_point now, uint64_t& suppressed);

  std::size_t peers() const { return peers_.size(); }

 private:
  struct entry {
    clock::time_point window_start;
    std::size_t logged = 0;
    uint64_t suppressed = 0;
    clock::time_point last;
  };
  std::size_t per_window_;
  std::chrono::milliseconds window_;
  std::size_t max_peers_;
  std::map<std::string, entry> peers_;
};

}  // namespace weft::trust
