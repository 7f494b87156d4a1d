#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::storage {

/// Which database server a `database` talks to.
enum class backend_kind {
  sqlite,   ///< embedded SQLite file (single machine, the embedded default)
  mariadb,  ///< shared MariaDB or MySQL server (a cluster)
};

/// Stable lower-case name of a backend ("sqlite", "mariadb").
const char* to_string(backend_kind kind) noexcept;

/// Everything `database::open` needs, in plain types.
///
/// `storage/` knows no other Weft module; the runtime fills this from the
/// `[database]` section of the topology (see docs/storage.md).
struct database_spec {
  backend_kind kind = backend_kind::sqlite;
  std::string sqlite_path;  ///< sqlite only: the database file; its directory is created
  std::string host;         ///< mariadb only: use 127.0.0.1, not localhost (socket!)
  uint16_t port = 3306;
  std::string user;
  std::string password;  ///< never printed: describe() redacts it
  std::string name;      ///< database (schema) name
  int pool_size = 4;     ///< pooled sessions; at least 1 (":memory:" always uses 1)
  std::chrono::milliseconds connect_timeout{3000};  ///< one connection attempt
  std::chrono::milliseconds io_timeout{60000};      ///< MariaDB read/write timeout
  std::chrono::milliseconds busy_timeout{5000};     ///< SQLite wait for a writer lock
  /// mariadb only: TLS. With a CA file the connection is encrypted and the
  /// server's certificate must be signed by that CA (its host name is not
  /// checked: SOCI 4.0 cannot ask for it). Cert and key: a client certificate.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  /// mariadb only: the node these sessions belong to. Each session registers its
  /// connection id under it (table db_sessions), so that when the node is declared
  /// lost or its master lease is taken over, another node can end its sessions
  /// (master_store::end_sessions_of) and with them the row locks a hung process holds.
  /// Empty: not registered (tools, tests).
  std::string session_owner;
};

/// One line naming the database for logs and errors, password redacted:
/// "mariadb://weft:***@127.0.0.1:3306/weft" or "sqlite:/var/lib/weft/weft.db".
std::string describe(const database_spec& spec);

/// Parses `mariadb://USER@HOST:PORT/DB` (also `mysql://`; port defaults to
/// 3306) or `sqlite:PATH`. The password comes separately (from a file).
///
/// @throws storage_error with errc::invalid naming the URL and what is wrong.
/// A password inside the URL (`USER:PW@`) is refused: it would end up in logs.
database_spec parse_database_url(std::string_view url, std::string password);

}  // namespace weft::storage
