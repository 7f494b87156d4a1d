#pragma once

// The REST API's bearer tokens (docs/api.md "Tokens"): 32 random bytes, shown
// once when created, stored only as their SHA-256 (storage/api_store.hpp).

#include <string>

namespace weft::http {

/// A new token: "weft_" and 64 hex digits (32 bytes from the OS).
std::string new_token();

/// hex(SHA-256(token)): what the database keeps.
std::string token_hash(const std::string& token);

}  // namespace weft::http
