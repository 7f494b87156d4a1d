#pragma once

#include <string>

namespace weft::trust {

/// The primitives of the challenge and response with the cluster secret
/// (docs/protocol.md; the handshake itself is handshake.hpp): each side sends
/// a fresh nonce and proves it knows the secret by an HMAC-SHA256 over both
/// nonces; the secret itself never crosses the wire.

/// 32 random bytes from the OS, hex-encoded.
std::string make_nonce();

/// hex(HMAC-SHA256(secret, message)).
std::string hmac_sha256_hex(const std::string& secret, const std::string& message);

/// Compares two proofs in constant time.
bool proofs_equal(const std::string& a, const std::string& b);

}  // namespace weft::trust
