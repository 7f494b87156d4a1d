#include "actors/http/tokens.hpp"

#include <openssl/sha.h>

#include "actors/trust/auth.hpp"

namespace weft::http {

std::string new_token() { return "weft_" + trust::make_nonce(); }

std::string new_webhook_salt() { return trust::make_nonce(); }

std::string token_webhook_secret(const std::string& cluster_secret, const std::string& salt) {
  return "whsec_" + trust::hmac_sha256_hex(cluster_secret, "weft webhook token secret v1:" + salt);
}

std::string token_hash(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace weft::http
