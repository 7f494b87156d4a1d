#include "actors/http/router.hpp"

#include <nlohmann/json.hpp>

namespace weft::http {

namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    auto next = path.find('/', at);
    if (next == std::string::npos) next = path.size();
    if (next > at) out.push_back(path.substr(at, next - at));
    at = next + 1;
  }
  return out;
}

bool matches(const std::string& pattern, const std::string& path,
             std::map<std::string, std::string>& params) {
  auto want = segments(pattern);
  auto have = segments(path);
  if (want.size() != have.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}')
      found[w.substr(1, w.size() - 2)] = url_decode(have[i]);
    else if (w != have[i])
      return false;
  }
  params = std::move(found);
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const char* to_string(scope s) noexcept {
  switch (s) {
    case scope::read:
      return "read";
    case scope::submit:
      return "submit";
    case scope::admin:
      return "admin";
    case scope::none:
      break;
  }
  return "none";
}

scope parse_scope(const std::string& text) noexcept {
  if (text == "read") return scope::read;
  if (text == "submit") return scope::submit;
  if (text == "admin") return scope::admin;
  return scope::none;
}

bool allows(scope have, scope need) noexcept {
  return static_cast<int>(have) >= static_cast<int>(need);
}

std::string request::header(const std::string& name, const std::string& fallback) const {
  auto h = headers.find(name);
  return h == headers.end() ? fallback : h->second;
}

response error(int status, const std::string& code, const std::string& message) {
  nlohmann::json body{{"error", {{"code", code}, {"message", message}}}};
  return json_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

response json_response(int status, std::string json_text) {
  response r;
  r.status = status;
  r.body = std::move(json_text);
  return r;
}

router::match router::find(const std::string& method, const std::string& path) const {
  match m;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!matches(r.pattern, path, params)) continue;
    if (r.method != method) {
      m.path_known = true;
      continue;
    }
    m.found = &r;
    m.params = std::move(params);
    return m;
  }
  return m;
}

std::string url_decode(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t at = 0;
  while (at < query.size()) {
    auto amp = query.find('&', at);
    if (amp == std::string::npos) amp = query.size();
    auto pair = query.substr(at, amp - at);
    auto eq = pair.find('=');
    if (!pair.empty()) {
      if (eq == std::string::npos)
        out[url_decode(pair)] = "";
      else
        out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    }
    at = amp + 1;
  }
  return out;
}

}  // namespace weft::http
