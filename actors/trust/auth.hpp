#pragma once

#include <string>

namespace weft::trust {

/// Challenge and response with the cluster secret (docs/protocol.md): each
/// side sends a fresh nonce and proves it knows the secret by an HMAC-SHA256
/// over the other side's nonce; the secret itself never crosses the wire.

/// 32 random bytes from the OS, hex-encoded.
std::string make_nonce();

/// hex(HMAC-SHA256(secret, "weft-auth\n" cluster "\n" role "\n" name "\n" nonce)).
std::string auth_proof(const std::string& secret, const std::string& cluster,
                       const std::string& role, const std::string& name, const std::string& nonce);

/// Compares two proofs in constant time.
bool proofs_equal(const std::string& a, const std::string& b);

}  // namespace weft::trust
