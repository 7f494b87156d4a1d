// A fresh MariaDB database per test case (fresh_database.hpp).
#include "tests/support/fresh_database.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace weft::test {

namespace {

std::string connect_string(const storage::database_spec& s, const std::string& db) {
  return "db=" + db + " user=" + s.user + " password='" + s.password + "' host=" + s.host +
         " port=" + std::to_string(s.port);
}

int next_database_number() {
  static std::atomic<int> n{0};
  return ++n;
}

}  // namespace

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);
  return line;
}

fresh_database::fresh_database() {
  const char* url = std::getenv("WEFT_TEST_MARIADB_URL");
  const char* password_file = std::getenv("WEFT_TEST_MARIADB_PASSWORD_FILE");
  if (url == nullptr || password_file == nullptr || !*url || !*password_file)
    throw std::runtime_error(
        "this test (label mariadb) needs a MariaDB server: set WEFT_TEST_MARIADB_URL "
        "(mariadb://weft@127.0.0.1:PORT/weft) and WEFT_TEST_MARIADB_PASSWORD_FILE, e.g. with "
        "eval \"$(scripts/mariadb.sh start /tmp/weft-mdb)\"; scripts/test.sh does it for you");
  auto base = storage::parse_database_url(url, first_line(password_file));
  spec_ = base;
  spec_.name = "weft_c" + std::to_string(::getpid()) + "_" + std::to_string(next_database_number());
  admin_connect_ = connect_string(base, base.name);
  connect_ = connect_string(base, spec_.name);
  {
    soci::session admin(soci::mysql, admin_connect_);
    admin << "DROP DATABASE IF EXISTS " + spec_.name;
    admin << "CREATE DATABASE " + spec_.name + " CHARACTER SET utf8mb4";
  }
  url_ = "mariadb://" + base.user + "@" + base.host + ":" + std::to_string(base.port) + "/" +
         spec_.name;
  password_file_ = password_file;
}

fresh_database::~fresh_database() {
  try {
    session_.reset();
    soci::session admin(soci::mysql, admin_connect_);
    admin << "DROP DATABASE IF EXISTS " + spec_.name;
  } catch (const std::exception& e) {
    std::cerr << "could not drop test database " << spec_.name << ": " << e.what() << "\n";
  }
}

std::unique_ptr<storage::database> fresh_database::open(std::chrono::milliseconds give_up) const {
  return storage::database::open(spec_, give_up);
}

void fresh_database::reconnect() { session_.reset(); }

soci::session& fresh_database::session() {
  if (!session_) session_ = std::make_unique<soci::session>(soci::mysql, connect_);
  return *session_;
}

std::vector<std::string> fresh_database::column(const std::string& sql) {
  std::vector<std::string> out;
  try {
    soci::rowset<soci::row> rows = (session().prepare << sql);
    for (const auto& r : rows)
      out.push_back(r.get_indicator(0) == soci::i_null ? std::string{} : r.get<std::string>(0));
  } catch (const std::exception& e) {
    session_.reset();  // a broken connection is opened again next time
    throw std::runtime_error("query failed: " + sql + ": " + e.what());
  }
  return out;
}

long long fresh_database::scalar(const std::string& sql) {
  try {
    long long n = 0;
    soci::indicator ind = soci::i_ok;
    session() << sql, soci::into(n, ind);
    return ind == soci::i_ok ? n : 0;
  } catch (const std::exception& e) {
    session_.reset();
    throw std::runtime_error("query failed: " + sql + ": " + e.what());
  }
}

void fresh_database::execute(const std::string& sql) {
  try {
    session() << sql;
  } catch (const std::exception& e) {
    session_.reset();
    throw std::runtime_error("statement failed: " + sql + ": " + e.what());
  }
}

long long fresh_database::scalar_or_zero(const std::string& sql) {
  try {
    return scalar(sql);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace weft::test
