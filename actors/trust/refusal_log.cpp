#include "actors/trust/refusal_log.hpp"

namespace weft::trust {

refusal_log::refusal_log(std::size_t per_window, std::chrono::milliseconds window,
                         std::size_t max_peers)
    : per_window_(per_window), window_(window), max_peers_(max_peers) {}

bool refusal_log::allow(const std::string& peer, clock::time_point now, uint64_t& suppressed) {
  suppressed = 0;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= max_peers_) {
      // Forget the peer refused least recently (a linear scan over a bounded map).
      auto oldest = peers_.begin();
      for (auto i = peers_.begin(); i != peers_.end(); ++i)
        if (i->second.last < oldest->second.last) oldest = i;
      peers_.erase(oldest);
    }
    it = peers_.emplace(peer, entry{now, 0, 0, now}).first;
  }
  auto& e = it->second;
  e.last = now;
  if (now - e.window_start >= window_) {
    e.window_start = now;
    e.logged = 0;
  }
  if (e.logged >= per_window_) {
    ++e.suppressed;
    return false;
  }
  ++e.logged;
  suppressed = e.suppressed;
  e.suppressed = 0;
  return true;
}

}  // namespace weft::trust
