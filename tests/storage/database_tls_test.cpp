// MariaDB over TLS ([database] tls_ca_file): the disposable server of
// scripts/mariadb.sh has a certificate from a throw-away CA. With that CA the
// connection is encrypted (the server reports a cipher for the session); with
// another CA the connection is refused, never silently in clear; without a CA
// the session is not encrypted (the control that shows the check can fail).
#define BOOST_TEST_MODULE storage_database_tls
#include <soci/soci.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "storage/database.hpp"
#include "storage/detail/session.hpp"
#include "storage/storage_error.hpp"
#include "tests/support/fresh_database.hpp"

using namespace weft;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through scripts/test.sh (it starts a "
                             "MariaDB server with TLS)");
  return v;
}

/// The session's cipher as the server reports it ("" without TLS).
std::string cipher(storage::database& db) {
  return storage::detail::with_session(db, [](soci::session& s) {
    std::string name, value;
    s << "SHOW SESSION STATUS LIKE 'Ssl_cipher'", soci::into(name), soci::into(value);
    return value;
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(with_the_servers_ca_the_connection_is_encrypted) {
  test::fresh_database fresh;
  auto spec = fresh.spec();
  spec.tls_ca_file = env("WEFT_TEST_MARIADB_TLS_CA");
  auto db = storage::database::open(spec, 10s);
  auto c = cipher(*db);
  BOOST_TEST_MESSAGE("cipher: " << c);
  BOOST_TEST(!c.empty());
}

BOOST_AUTO_TEST_CASE(without_a_ca_the_session_is_in_clear) {
  test::fresh_database fresh;
  auto spec = fresh.spec();
  spec.tls_ca_file.clear();
  auto db = storage::database::open(spec, 10s);
  BOOST_TEST(cipher(*db).empty());
}

BOOST_AUTO_TEST_CASE(a_server_certificate_from_another_ca_is_refused) {
  test::fresh_database fresh;
  auto spec = fresh.spec();
  spec.tls_ca_file = env("WEFT_TEST_MARIADB_OTHER_CA");
  try {
    auto db = storage::database::open(spec, 3s);
    BOOST_FAIL("connected although the server's certificate is not from that CA; cipher '"
               << cipher(*db) << "'");
  } catch (const storage::storage_error& e) {
    std::string what = e.what();
    BOOST_TEST_MESSAGE("refused: " << what);
    BOOST_TEST((what.find("SSL") != std::string::npos || what.find("TLS") != std::string::npos ||
                what.find("certificate") != std::string::npos),
               what);
  }
}
