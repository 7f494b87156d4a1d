#pragma once

// A job's callback_url (docs/operations.md "Webhooks"): parsed and checked
// once, the same way at submit (CAF client and HTTP API) and at delivery.

#include <cstdint>
#include <optional>
#include <string>

namespace weft::planning {

/// An http(s) URL taken apart.
struct callback_url {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< a name or an address (IPv6 without its brackets)
  uint16_t port = 0;   ///< 80 / 443 unless given
  std::string target;  ///< path and query, "/" at least
};

/// Parses `text`: http:// or https://, a host, an optional port, an optional
/// path and query; no user information, no fragment, at most 2048 bytes, no
/// spaces or control characters.
/// @return the URL, or nullopt with `problem` saying what is wrong.
std::optional<callback_url> parse_callback_url(const std::string& text, std::string& problem);

/// Why `text` may not be a job's callback_url ("" if it may): it does not
/// parse, or its host is not one of `allowed_hosts` (`[webhooks].allowed_hosts`,
/// comma-separated, case-insensitive; empty allows any host).
std::string callback_url_problem(const std::string& text, const std::string& allowed_hosts);

}  // namespace weft::planning
