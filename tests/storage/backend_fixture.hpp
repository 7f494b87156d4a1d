#pragma once

// The fixture shared by the storage suites that run once per backend: one
// source, two CTest entries, WEFT_TEST_BACKEND=sqlite (a file under the build
// tree) or mariadb (WEFT_TEST_MARIADB_URL + WEFT_TEST_MARIADB_PASSWORD_FILE;
// every test fails with a clear message when they are missing, never skips).
// Each test case gets its own fresh database and drops it afterwards.
//
// Include after <boost/test/unit_test.hpp> (with BOOST_TEST_MODULE defined).

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "storage/database.hpp"
#include "storage/database_spec.hpp"
#include "storage/detail/session.hpp"
#include "storage/storage_error.hpp"

namespace weft::storage::testing {

/// The backend this CTest entry runs against (WEFT_TEST_BACKEND).
inline backend_kind selected_backend() {
  const char* b = std::getenv("WEFT_TEST_BACKEND");
  return b != nullptr && std::string(b) == "mariadb" ? backend_kind::mariadb : backend_kind::sqlite;
}

inline std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The server the mariadb entries run against; throws a clear message when
/// the environment does not name one (the test then fails, it never skips).
inline database_spec mariadb_base() {
  const char* url = std::getenv("WEFT_TEST_MARIADB_URL");
  const char* password_file = std::getenv("WEFT_TEST_MARIADB_PASSWORD_FILE");
  if (url == nullptr || password_file == nullptr || !*url || !*password_file) {
    throw std::runtime_error(
        "the *_mariadb test entries need WEFT_TEST_MARIADB_URL "
        "(mariadb://weft@127.0.0.1:PORT/weft) and WEFT_TEST_MARIADB_PASSWORD_FILE; start a "
        "server with eval \"$(scripts/mariadb.sh start /tmp/weft-mdb)\"");
  }
  return parse_database_url(url, read_first_line(password_file));
}

inline std::string admin_connect_string(const database_spec& s, const std::string& db) {
  return "db=" + db + " user=" + s.user + " password='" + s.password + "' host=" + s.host +
         " port=" + std::to_string(s.port);
}

inline int next_database_number() {
  static std::atomic<int> n{0};
  return ++n;
}

/// A fresh, empty database for one test case, dropped in the destructor.
struct fresh_database {
  backend_kind kind = selected_backend();
  database_spec spec;
  database_spec base;  // mariadb: the `weft` database the user may always use
  std::filesystem::path dir;
  std::string url;  // for child processes (weft_migrate_probe)
  std::string password_file;

  fresh_database() {
    const std::string name =
        "weft_t" + std::to_string(::getpid()) + "_" + std::to_string(next_database_number());
    if (kind == backend_kind::sqlite) {
      dir = std::filesystem::path(WEFT_BINARY_DIR) / "tests" / "storage-tmp" / name;
      std::filesystem::remove_all(dir);
      spec.kind = backend_kind::sqlite;
      spec.sqlite_path = (dir / "nested" / "weft.db").string();  // open() creates "nested"
      url = "sqlite:" + spec.sqlite_path;
    } else {
      base = mariadb_base();
      {
        soci::session admin(soci::mysql, admin_connect_string(base, base.name));
        admin << "CREATE DATABASE " + name + " CHARACTER SET utf8mb4";
      }
      spec = base;
      spec.name = name;
      url =
          "mariadb://" + spec.user + "@" + spec.host + ":" + std::to_string(spec.port) + "/" + name;
      password_file = std::getenv("WEFT_TEST_MARIADB_PASSWORD_FILE");
    }
  }

  ~fresh_database() {
    try {
      if (kind == backend_kind::sqlite) {
        std::filesystem::remove_all(dir);
      } else {
        soci::session admin(soci::mysql, admin_connect_string(base, base.name));
        admin << "DROP DATABASE IF EXISTS " + spec.name;
      }
    } catch (const std::exception& e) {
      std::cerr << "could not drop test database " << spec.name << ": " << e.what() << "\n";
    }
  }

  fresh_database(const fresh_database&) = delete;
  fresh_database& operator=(const fresh_database&) = delete;

  std::unique_ptr<database> open(std::chrono::milliseconds give_up = std::chrono::seconds(10)) {
    return database::open(spec, give_up);
  }

  /// A plain SOCI session on the same database, outside the pool (MariaDB).
  std::unique_ptr<soci::session> side_session() {
    return std::make_unique<soci::session>(soci::mysql, admin_connect_string(spec, spec.name));
  }
};

/// Precondition for cases that only make sense on MariaDB.
inline boost::test_tools::assertion_result only_on_mariadb(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(selected_backend() == backend_kind::mariadb);
  r.message() << "MariaDB-only case; this entry runs SQLite";
  return r;
}

inline long long count_rows(database& db, const std::string& sql) {
  return detail::with_session(db, [&](soci::session& s) {
    long long n = 0;
    s << sql, soci::into(n);
    return n;
  });
}

/// Runs `f`, which must throw a storage_error, and returns that error.
template <class F>
storage_error expect_storage_error(F&& f) {
  try {
    f();
  } catch (const storage_error& e) {
    return e;
  }
  BOOST_FAIL("expected a storage_error");
  throw std::logic_error("unreachable");
}

/// Waits until `condition()` holds, polling, or fails the test at `deadline`.
template <class F>
void wait_until(F&& condition, std::chrono::milliseconds deadline, const std::string& what) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) BOOST_FAIL("timed out waiting for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace weft::storage::testing
