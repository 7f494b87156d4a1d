#include "config/advice.hpp"

namespace weft::config {

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

std::vector<std::string> advice(const settings& s) {
  std::vector<std::string> out;
  const auto& db = s.database;
  if (!db.embedded && db.tls_ca_file.empty() && !is_loopback_host(db.host))
    out.push_back(s.source_file + ": [database]: the MariaDB server " + db.host +
                  " is not on this machine and is reached without TLS (records and the "
                  "password travel in clear): set tls_ca_file");
  return out;
}

}  // namespace weft::config
