#pragma once

// The cluster secret's handshake without the actors (docs/protocol.md "The
// front door"): the proofs of both directions, the checks of a hello's fields,
// and the node's table of pending challenges with its caps and expiry. The
// gateway (actors/gateway.cpp) calls it; so do the unit tests and the fuzz
// harness, which need no CAF.
//
//   client → node  (hello, role, name, version, client_nonce)
//   node → client  (hello, server_nonce, server_proof, cluster, version, server_name)
//   client → node  (auth, server_nonce, client_proof, client_actor)
//
// Both proofs are HMAC-SHA256 over the same fields — cluster, the node's
// name, the client's role and name, BOTH nonces — under different labels, so
// a proof made by one side is never a valid proof of the other side, and no
// proof can be reflected to another node or another handshake.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace weft::trust {

/// Which side of the handshake a proof speaks for.
enum class proof_side {
  server,  ///< the node that was asked (the gateway)
  client,  ///< the one that says hello: a client command or an extension
};

/// What both proofs of one handshake are computed over.
struct handshake_fields {
  std::string cluster;
  std::string server_name;  ///< the node whose gateway answers
  std::string role;         ///< the client's role: "client" or "node"
  std::string peer_name;    ///< the client's name (an extension's node name)
  std::string client_nonce;
  std::string server_nonce;
};

/// hex(HMAC-SHA256(secret, label "\n" cluster "\n" server_name "\n" role "\n"
/// peer_name "\n" client_nonce "\n" server_nonce)), label "weft-server-proof"
/// or "weft-client-proof".
std::string handshake_proof(proof_side side, const std::string& secret, const handshake_fields& f);

/// Whether `proof` is `side`'s proof over `f` (constant-time comparison).
bool proof_valid(proof_side side, const std::string& secret, const handshake_fields& f,
                 const std::string& proof);

/// Whether `text` has the form of a nonce: exactly 64 lowercase hex digits.
bool is_nonce(std::string_view text);

/// Bounds on what a stranger can make a node hold before authentication.
struct handshake_limits {
  std::size_t max_role = 16;     ///< bytes
  std::size_t max_name = 128;    ///< bytes; node names are far shorter
  std::size_t max_version = 64;  ///< bytes
  std::size_t per_peer = 16;     ///< pending challenges per peer; more evict its oldest
  std::size_t total = 10000;     ///< pending challenges overall; more evict the oldest
  std::chrono::milliseconds lifetime{30000};  ///< a challenge expires after this
};

/// What is wrong with a hello's fields, "" if nothing: the role, name and
/// version within their lengths, the name not empty, the nonce of nonce form.
/// The text names the field and its limit but never echoes the peer's bytes.
std::string hello_problem(const handshake_limits& limits, const std::string& role,
                          const std::string& name, const std::string& version,
                          const std::string& client_nonce);

/// The node's pending challenges: one per hello answered, taken (once) by the
/// matching auth. Bounded without ever refusing a hello: a peer with
/// `per_peer` pending challenges loses its oldest; a full table loses its
/// oldest entry overall. Legitimate peers answer within milliseconds, so a
/// flood (from one peer or many) evicts only stale entries unless it sends
/// `total` hellos within one legitimate round trip. Not thread-safe.
class handshake_table {
 public:
  using clock = std::chrono::steady_clock;

  struct pending {
    std::string peer;  ///< who said hello (the gateway's key: the sender's CAF node id)
    std::string role;
    std::string name;
    std::string client_nonce;
    clock::time_point expires;
  };

  explicit handshake_table(handshake_limits limits = {});

  /// Records a challenge under `server_nonce` (fresh, from make_nonce).
  void add(const std::string& server_nonce, pending p, clock::time_point now);

  /// Removes the challenge of `server_nonce` and returns it, or nullopt when
  /// there is none or it has expired. Each challenge is taken at most once.
  std::optional<pending> take(const std::string& server_nonce, clock::time_point now);

  std::size_t size() const { return by_nonce_.size(); }
  std::size_t size_of(const std::string& peer) const;
  /// Challenges dropped to make room (per peer or overall) since construction.
  uint64_t evicted() const { return evicted_; }
  const handshake_limits& limits() const { return limits_; }

 private:
  struct entry {
    std::string nonce;
    pending p;
  };
  using list = std::list<entry>;  // oldest first; a constant lifetime keeps it in expiry order
  void erase(list::iterator it);
  void expire(clock::time_point now);

  handshake_limits limits_;
  list order_;
  std::unordered_map<std::string, list::iterator> by_nonce_;
  std::unordered_map<std::string, std::deque<list::iterator>> by_peer_;  // oldest first
  uint64_t evicted_ = 0;
};

/// The node's side of the handshake: checks a hello, answers it with a
/// challenge and its own proof, and verifies the client's proof.
class server_handshake {
 public:
  using clock = handshake_table::clock;

  server_handshake(std::string secret, std::string cluster, std::string server_name,
                   std::string version, handshake_limits limits = {});

  /// Why a hello is refused before anything is stored ("" if it is not):
  /// the fields' form (hello_problem), then the version.
  std::string check_hello(const std::string& role, const std::string& name,
                          const std::string& version, const std::string& client_nonce) const;

  struct challenge {
    std::string server_nonce;
    std::string server_proof;
  };
  /// Stores a challenge for a hello that passed check_hello (and the caller's
  /// role checks) and returns the nonce and proof to answer with.
  challenge open(const std::string& peer, const std::string& role, const std::string& name,
                 const std::string& client_nonce, clock::time_point now);

  struct verdict {
    bool ok = false;
    std::string reason;            ///< why not, for the refusal (no peer bytes in it)
    handshake_table::pending who;  ///< the hello's peer, role and name, when found
  };
  /// Takes the challenge of `server_nonce` (single use) and checks that `peer`
  /// is the one it was given to and `client_proof` is the client's proof.
  verdict verify(const std::string& peer, const std::string& server_nonce,
                 const std::string& client_proof, clock::time_point now);

  const handshake_table& table() const { return table_; }

 private:
  std::string secret_;
  std::string cluster_;
  std::string server_name_;
  std::string version_;
  handshake_table table_;
};

}  // namespace weft::trust
