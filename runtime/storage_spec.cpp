#include "runtime/storage_spec.hpp"

namespace weft::runtime {

storage::database_spec storage_spec(const config::database_settings& db) {
  storage::database_spec spec;
  if (db.embedded) {
    spec.kind = storage::backend_kind::sqlite;
    spec.sqlite_path = db.sqlite_path;
  } else {
    spec.kind = storage::backend_kind::mariadb;
    spec.host = db.host;
    spec.port = db.port;
    spec.user = db.user;
    spec.password = db.password;
    spec.name = db.name;
    spec.tls_ca_file = db.tls_ca_file;
    spec.tls_cert_file = db.tls_cert_file;
    spec.tls_key_file = db.tls_key_file;
  }
  spec.pool_size = db.pool_size;
  spec.connect_timeout = db.connect_timeout;
  return spec;
}

}  // namespace weft::runtime
