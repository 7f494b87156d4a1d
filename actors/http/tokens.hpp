#pragma once

// The REST API's bearer tokens (docs/api.md "Tokens"): 32 random bytes, shown
// once when created, stored only as their SHA-256 (storage/api_store.hpp).

#include <string>

namespace weft::http {

/// A new token: "weft_" and 64 hex digits (32 bytes from the OS).
std::string new_token();

/// hex(SHA-256(token)): what the database keeps.
std::string token_hash(const std::string& token);

/// A token's webhook salt: 32 random bytes as hex, stored with the token (api_tokens.webhook_salt).
std::string new_webhook_salt();

/// The secret that signs the webhooks of jobs a token submitted (docs/operations.md
/// "Webhooks"): "whsec_" + hex(HMAC-SHA256(cluster secret, "weft webhook token secret v1:"
/// + salt)). Derived, never stored: the database holds only the salt, so reading the
/// database alone does not give it; a node (or `token create`) derives it with the secret.
std::string token_webhook_secret(const std::string& cluster_secret, const std::string& salt);

}  // namespace weft::http
