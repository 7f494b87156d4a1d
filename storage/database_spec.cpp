#include "storage/database_spec.hpp"

#include <cctype>
#include <charconv>

#include "storage/storage_error.hpp"

namespace weft::storage {

namespace {

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  throw storage_error(errc::invalid, "invalid database URL \"" + std::string(url) + "\": " + why +
                                         " (expected mariadb://USER@HOST:PORT/DB or sqlite:PATH)");
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

}  // namespace

const char* to_string(backend_kind kind) noexcept {
  return kind == backend_kind::sqlite ? "sqlite" : "mariadb";
}

std::string describe(const database_spec& spec) {
  if (spec.kind == backend_kind::sqlite) return "sqlite:" + spec.sqlite_path;
  std::string out = "mariadb://" + spec.user;
  if (!spec.password.empty()) out += ":***";
  out += "@" + spec.host + ":" + std::to_string(spec.port) + "/" + spec.name;
  return out;
}

database_spec parse_database_url(std::string_view url, std::string password) {
  database_spec spec;
  spec.password = std::move(password);
  constexpr std::string_view sqlite_prefix = "sqlite:";
  if (url.substr(0, sqlite_prefix.size()) == sqlite_prefix) {
    auto path = url.substr(sqlite_prefix.size());
    // Accept sqlite:///abs/path and sqlite://rel too, as other tools write them.
    if (path.substr(0, 2) == "//") path.remove_prefix(2);
    if (path.empty()) bad_url(url, "the SQLite path is empty");
    spec.kind = backend_kind::sqlite;
    spec.sqlite_path = std::string(path);
    return spec;
  }
  std::string_view rest;
  for (std::string_view scheme : {"mariadb://", "mysql://"}) {
    if (url.substr(0, scheme.size()) == scheme) rest = url.substr(scheme.size());
  }
  if (rest.data() == nullptr) bad_url(url, "unknown scheme");
  spec.kind = backend_kind::mariadb;
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) bad_url(url, "the user is missing (USER@HOST)");
  auto user = rest.substr(0, at);
  if (user.find(':') != std::string_view::npos)
    bad_url(url, "a password in the URL is not allowed; use the password file");
  if (user.empty()) bad_url(url, "the user is empty");
  spec.user = std::string(user);
  rest.remove_prefix(at + 1);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) bad_url(url, "the database name is missing (/DB)");
  auto db = rest.substr(slash + 1);
  auto hostport = rest.substr(0, slash);
  if (db.empty()) bad_url(url, "the database name is empty");
  for (char c : db) {
    if (!is_name_char(c) || c == '.' || c == '-')
      bad_url(url, "the database name may hold letters, digits and '_' only");
  }
  spec.name = std::string(db);
  auto colon = hostport.rfind(':');
  auto host = hostport.substr(0, colon);
  if (colon != std::string_view::npos) {
    auto port_text = hostport.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      bad_url(url, "the port \"" + std::string(port_text) + "\" is not a number in 1..65535");
    spec.port = static_cast<uint16_t>(value);
  }
  if (host.empty()) bad_url(url, "the host is empty");
  for (char c : host) {
    if (!is_name_char(c)) bad_url(url, "the host \"" + std::string(host) + "\" is not a host name");
  }
  spec.host = std::string(host);
  return spec;
}

}  // namespace weft::storage
