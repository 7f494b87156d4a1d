#pragma once

// A fresh MariaDB database per test case for the system tests (nodes, the
// shell, the clean-up service), and the queries tests wait on: the nodes,
// engines, jobs, batches, leases and sweeps tables say what a test needs to know
// far more reliably than a log line.
//
// The server comes from WEFT_TEST_MARIADB_URL and WEFT_TEST_MARIADB_PASSWORD_FILE
// (scripts/mariadb.sh starts one, scripts/test.sh does it for you); without them
// the constructor throws, so the test fails, never skips. Part of the library
// weft_test_database (SOCI), apart from weft_test_support so that suites without a
// database do not link it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/database_spec.hpp"

namespace soci {
class session;
}

namespace weft::test {

/// The first line of a file (a password file); throws when it cannot be read.
std::string first_line(const std::string& path);

/// A fresh, empty MariaDB database `weft_c<pid>_<n>` on the test server, dropped
/// by the destructor. Queries go through a session of its own.
class fresh_database {
 public:
  /// Throws with instructions when the environment names no server.
  fresh_database();
  ~fresh_database();
  fresh_database(const fresh_database&) = delete;
  fresh_database& operator=(const fresh_database&) = delete;

  const std::string& name() const { return spec_.name; }
  /// mariadb://USER@HOST:PORT/NAME, for `[database].url`.
  const std::string& url() const { return url_; }
  /// The server's password file (its mode is whatever the server's script made).
  const std::string& password_file() const { return password_file_; }
  const storage::database_spec& spec() const { return spec_; }

  /// The database through the storage module (migrated), e.g. for a job_store.
  std::unique_ptr<storage::database> open(
      std::chrono::milliseconds give_up = std::chrono::seconds(10)) const;

  /// The first column of every row of `sql`, as text ("" for NULL). Use
  /// CONCAT_WS to read several columns. Throws when the query fails.
  std::vector<std::string> column(const std::string& sql);
  /// The single integer `sql` returns (0 for NULL or no row). Throws when the
  /// query fails.
  long long scalar(const std::string& sql);
  /// Like scalar(), but 0 while the query fails (e.g. the nodes have not created
  /// the table yet): for conditions polled by wait_until.
  long long scalar_or_zero(const std::string& sql);
  /// Runs a statement that returns nothing (DELETE, UPDATE). Throws when it fails.
  void execute(const std::string& sql);
  /// Drops the test's own connection (the next query connects again): after the
  /// server was restarted.
  void reconnect();

 private:
  soci::session& session();

  storage::database_spec spec_;
  std::string url_;
  std::string password_file_;
  std::string admin_connect_;  ///< the base database, for CREATE/DROP
  std::string connect_;        ///< this database
  std::unique_ptr<soci::session> session_;
};

}  // namespace weft::test
