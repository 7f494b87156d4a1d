#include "actors/trust/handshake.hpp"

#include <algorithm>

#include "actors/trust/auth.hpp"

namespace weft::trust {

std::string handshake_proof(proof_side side, const std::string& secret, const handshake_fields& f) {
  std::string msg = side == proof_side::server ? "weft-server-proof" : "weft-client-proof";
  for (const auto* field :
       {&f.cluster, &f.server_name, &f.role, &f.peer_name, &f.client_nonce, &f.server_nonce}) {
    msg += '\n';
    msg += *field;
  }
  return hmac_sha256_hex(secret, msg);
}

bool proof_valid(proof_side side, const std::string& secret, const handshake_fields& f,
                 const std::string& proof) {
  return proofs_equal(proof, handshake_proof(side, secret, f));
}

bool is_nonce(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string hello_problem(const handshake_limits& limits, const std::string& role,
                          const std::string& name, const std::string& version,
                          const std::string& client_nonce) {
  auto too_long = [](const char* what, std::size_t size, std::size_t max) {
    return std::string{"bad hello: the "} + what + " has " + std::to_string(size) +
           " bytes, at most " + std::to_string(max) + " are allowed";
  };
  if (role.size() > limits.max_role) return too_long("role", role.size(), limits.max_role);
  if (name.size() > limits.max_name) return too_long("name", name.size(), limits.max_name);
  if (name.empty()) return "bad hello: the name is empty";
  if (version.size() > limits.max_version)
    return too_long("version", version.size(), limits.max_version);
  if (!is_nonce(client_nonce)) return "bad hello: the nonce is not 64 lowercase hex digits";
  return {};
}

// --- handshake_table ------------------------------------------------------------------------

handshake_table::handshake_table(handshake_limits limits) : limits_(limits) {
  limits_.per_peer = std::max<std::size_t>(limits_.per_peer, 1);
  limits_.total = std::max<std::size_t>(limits_.total, 1);
}

std::size_t handshake_table::size_of(const std::string& peer) const {
  auto it = by_peer_.find(peer);
  return it == by_peer_.end() ? 0 : it->second.size();
}

void handshake_table::erase(list::iterator it) {
  auto peer = by_peer_.find(it->p.peer);
  if (peer != by_peer_.end()) {
    auto& q = peer->second;
    q.erase(std::find(q.begin(), q.end(), it));  // at most per_peer entries
    if (q.empty()) by_peer_.erase(peer);
  }
  by_nonce_.erase(it->nonce);
  order_.erase(it);
}

void handshake_table::expire(clock::time_point now) {
  while (!order_.empty() && order_.front().p.expires <= now) erase(order_.begin());
}

void handshake_table::add(const std::string& server_nonce, pending p, clock::time_point now) {
  expire(now);
  if (by_nonce_.count(server_nonce) != 0) erase(by_nonce_[server_nonce]);
  auto peer = by_peer_.find(p.peer);
  if (peer != by_peer_.end() && peer->second.size() >= limits_.per_peer) {
    erase(peer->second.front());  // this peer's oldest
    ++evicted_;
  }
  if (order_.size() >= limits_.total) {
    erase(order_.begin());  // the oldest of all
    ++evicted_;
  }
  p.expires = now + limits_.lifetime;
  auto key = p.peer;
  order_.push_back(entry{server_nonce, std::move(p)});
  auto it = std::prev(order_.end());
  by_nonce_[server_nonce] = it;
  by_peer_[key].push_back(it);
}

std::optional<handshake_table::pending> handshake_table::take(const std::string& server_nonce,
                                                              clock::time_point now) {
  expire(now);
  auto it = by_nonce_.find(server_nonce);
  if (it == by_nonce_.end()) return std::nullopt;
  // A copy, not a move: erase() finds the entry's peer queue by the entry's peer.
  auto p = it->second->p;
  erase(it->second);
  return p;
}

// --- server_handshake -----------------------------------------------------------------------

server_handshake::server_handshake(std::string secret, std::string cluster, std::string server_name,
                                   std::string version, handshake_limits limits)
    : secret_(std::move(secret)),
      cluster_(std::move(cluster)),
      server_name_(std::move(server_name)),
      version_(std::move(version)),
      table_(limits) {}

std::string server_handshake::check_hello(const std::string& role, const std::string& name,
                                          const std::string& version,
                                          const std::string& client_nonce) const {
  if (auto problem = hello_problem(table_.limits(), role, name, version, client_nonce);
      !problem.empty())
    return problem;
  if (version != version_)
    return "version mismatch: node '" + server_name_ + "' runs Weft " + version_ +
           ", you run Weft " + version;
  return {};
}

server_handshake::challenge server_handshake::open(const std::string& peer, const std::string& role,
                                                   const std::string& name,
                                                   const std::string& client_nonce,
                                                   clock::time_point now) {
  challenge c;
  c.server_nonce = make_nonce();
  c.server_proof = handshake_proof(
      proof_side::server, secret_,
      handshake_fields{cluster_, server_name_, role, name, client_nonce, c.server_nonce});
  table_.add(c.server_nonce, handshake_table::pending{peer, role, name, client_nonce, {}}, now);
  return c;
}

server_handshake::verdict server_handshake::verify(const std::string& peer,
                                                   const std::string& server_nonce,
                                                   const std::string& client_proof,
                                                   clock::time_point now) {
  verdict v;
  if (!is_nonce(server_nonce)) {
    v.reason = "bad auth: the nonce is not 64 lowercase hex digits";
    return v;
  }
  auto p = table_.take(server_nonce, now);
  if (!p) {
    v.reason = "unknown or expired challenge";
    return v;
  }
  v.who = std::move(*p);
  if (v.who.peer != peer) {
    v.reason = "authentication failed: the challenge was given to another peer";
    return v;
  }
  handshake_fields f{cluster_,   server_name_,       v.who.role,
                     v.who.name, v.who.client_nonce, server_nonce};
  if (!proof_valid(proof_side::client, secret_, f, client_proof)) {
    v.reason = "authentication failed: the cluster secrets differ";
    return v;
  }
  v.ok = true;
  return v;
}

}  // namespace weft::trust
