#include "config/advice.hpp"

#include "config/endpoint.hpp"

namespace weft::config {

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
