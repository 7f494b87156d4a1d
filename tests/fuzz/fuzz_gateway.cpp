// Fuzzes the gateway's message handling without CAF: the node's side of the
// handshake (actors/trust/handshake: check_hello, open, verify) driven by a
// stranger's sequence of hellos and auths from a few peers, and log_text, which
// every refusal uses on what the stranger sent. The input is a program: each
// step's first byte picks the operation, the peer and how far time moves.
//
// Invariants checked (any violation aborts):
// - the pending table never holds more than `total` challenges, nor more than
//   `per_peer` for one peer;
// - a proof the stranger made up never verifies; the node's own (server) proof
//   never verifies as a client's; a challenge is taken at most once; a
//   challenge given to one peer never verifies for another;
// - log_text output has no control bytes and stays within its bound.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "actors/trust/handshake.hpp"
#include "actors/trust/log_text.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace weft;

namespace {

const std::string secret = "fuzz-cluster-secret-0123456789";
const std::string cluster = "fuzz";
const std::string node = "master";
const std::string version = "1.0";

void check_log_text(std::string_view text) {
  auto out = trust::log_text(text, 32);
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) std::abort();
  // 32 bytes kept, each escaped to at most 4, plus the "…(N bytes)" suffix.
  if (out.size() > 32 * 4 + 32) std::abort();
}

struct opened {
  std::string peer;
  std::string role;
  std::string name;
  std::string client_nonce;
  std::string server_nonce;
  std::string server_proof;
  bool taken = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  trust::handshake_limits limits;
  limits.per_peer = 3;
  limits.total = 8;
  limits.lifetime = std::chrono::milliseconds(1000);
  trust::server_handshake server(secret, cluster, node, version, limits);
  auto now = trust::server_handshake::clock::time_point{};
  std::vector<opened> challenges;
  const std::string peers[] = {"peer-a", "peer-b", "peer-c", "peer-d"};

  for (int steps = 0; steps < 256 && !in.empty(); ++steps) {
    auto op = in.byte();
    const auto& peer = peers[(op >> 2) & 3];
    now += std::chrono::milliseconds(((op >> 4) & 7) * 100);
    switch (op & 3) {
      case 0:
      case 1: {  // hello (role, name, version, client_nonce), fields from the input
        std::string role(in.until('\0'));
        std::string name(in.until('\0'));
        std::string ver(in.until('\0'));
        std::string nonce(in.until('\0'));
        if (op & 1) {  // a well-formed hello, so that the table fills
          role = (role.size() & 1) ? "node" : "client";
          if (name.empty() || name.size() > 100) name = "n";
          ver = version;
          nonce = std::string(64, "0123456789abcdef"[name.size() & 15]);
        }
        check_log_text(role);
        check_log_text(name);
        auto problem = server.check_hello(role, name, ver, nonce);
        if (!problem.empty()) {
          check_log_text(problem);
          break;
        }
        auto c = server.open(peer, role, name, nonce, now);
        if (c.server_nonce.size() != 64) std::abort();
        challenges.push_back({peer, role, name, nonce, c.server_nonce, c.server_proof});
        if (challenges.size() > 64) challenges.erase(challenges.begin());
        break;
      }
      case 2: {  // auth with a made-up proof, or the node's own proof reflected
        std::string proof(in.until('\0'));
        std::string nonce;
        bool reflect = false;
        if (!challenges.empty()) {
          auto& c = challenges[proof.size() % challenges.size()];
          nonce = c.server_nonce;
          if (proof.size() & 1) {
            proof = c.server_proof;
            reflect = true;
          }
        } else {
          nonce = std::string(in.until('\0'));
        }
        auto v = server.verify(peer, nonce, proof, now);
        if (v.ok) std::abort();  // a made-up or reflected proof verified
        (void)reflect;
        check_log_text(v.reason);
        break;
      }
      case 3: {  // auth with the right client proof, by the right peer or another
        if (challenges.empty()) break;
        auto& c = challenges[in.byte() % challenges.size()];
        trust::handshake_fields f{cluster, node, c.role, c.name, c.client_nonce, c.server_nonce};
        auto proof = trust::handshake_proof(trust::proof_side::client, secret, f);
        auto v = server.verify(peer, c.server_nonce, proof, now);
        if (v.ok && (c.taken || peer != c.peer)) std::abort();  // twice, or by a stranger
        if (v.ok) c.taken = true;
        break;
      }
    }
    const auto& table = server.table();
    if (table.size() > limits.total) std::abort();
    for (const auto& p : peers)
      if (table.size_of(p) > limits.per_peer) std::abort();
  }
  return 0;
}
