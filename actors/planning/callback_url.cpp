#include "actors/planning/callback_url.hpp"

#include <algorithm>
#include <cctype>

namespace weft::planning {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<callback_url> parse_callback_url(const std::string& text, std::string& problem) {
  if (text.size() > 2048) {
    problem = "callback_url: longer than 2048 bytes";
    return std::nullopt;
  }
  for (unsigned char c : text)
    if (c <= 0x20 || c == 0x7f) {
      problem = "callback_url: contains a space or a control character";
      return std::nullopt;
    }
  callback_url u;
  auto sep = text.find("://");
  if (sep == std::string::npos) {
    problem = "callback_url: not an http:// or https:// URL";
    return std::nullopt;
  }
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") {
    problem = "callback_url: scheme '" + u.scheme + "' is not http or https";
    return std::nullopt;
  }
  auto rest = text.substr(sep + 3);
  if (rest.find('#') != std::string::npos) {
    problem = "callback_url: a fragment (#) is not allowed";
    return std::nullopt;
  }
  auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos) {
    problem = "callback_url: user information (user@host) is not allowed";
    return std::nullopt;
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      problem = "callback_url: unclosed [ in the host";
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        problem = "callback_url: bad host";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    problem = "callback_url: no host";
    return std::nullopt;
  }
  u.host = lower(u.host);
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
      problem = "callback_url: port '" + port_text + "' is not 1..65535";
      return std::nullopt;
    }
    u.port = static_cast<uint16_t>(std::stoi(port_text));
  }
  return u;
}

std::string callback_url_problem(const std::string& text, const std::string& allowed_hosts) {
  std::string problem;
  auto u = parse_callback_url(text, problem);
  if (!u) return problem;
  if (trim(allowed_hosts).empty()) return {};
  std::size_t start = 0;
  while (start <= allowed_hosts.size()) {
    auto comma = allowed_hosts.find(',', start);
    auto item = lower(trim(allowed_hosts.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (!item.empty() && item == u->host) return {};
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return "callback_url: host '" + u->host + "' is not in [webhooks].allowed_hosts";
}

}  // namespace weft::planning
