#include "config/endpoint.hpp"

#include <string>

#include "config/config_error.hpp"

namespace weft::config {

namespace {

[[noreturn]] void bad_endpoint(std::string_view text, const std::string& why) {
  throw config_error("", 0, 0, "", "`" + std::string(text) + "` is not HOST:PORT: " + why);
}

}  // namespace

endpoint parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) bad_endpoint(text, "missing `]` after the IPv6 host");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') bad_endpoint(text, "missing `:PORT`");
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) bad_endpoint(text, "missing `:PORT`");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      bad_endpoint(text, "write an IPv6 host in brackets, e.g. [::1]:4242");
  }
  if (host.empty()) bad_endpoint(text, "the host is empty");
  for (char c : host)
    if (c == ' ' || c == '/' || c == '@')
      bad_endpoint(text, "the host contains `" + std::string(1, c) + "`");
  if (port.empty() || port.size() > 5) bad_endpoint(text, "the port must be a number in 1..65535");
  long value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') bad_endpoint(text, "the port must be a number in 1..65535");
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) bad_endpoint(text, "the port must be a number in 1..65535");
  return endpoint{std::string(host), static_cast<uint16_t>(value)};
}

bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]" || host == "*";
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace weft::config
