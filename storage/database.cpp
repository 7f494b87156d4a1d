#include "storage/database.hpp"

#include <poll.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "storage/detail/session.hpp"
#include "storage/migrations.hpp"

namespace weft::storage {

namespace detail {

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds first_backoff{100};
constexpr milliseconds max_backoff{2000};

/// Quotes a value for a SOCI connection string ('...' with \ escapes).
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

long whole_seconds(milliseconds ms) {
  return std::max<long>(1, static_cast<long>((ms.count() + 999) / 1000));
}

std::string mariadb_connect_string(const database_spec& spec, milliseconds connect_timeout) {
  return "db=" + quoted(spec.name) + " user=" + quoted(spec.user) +
         " password=" + quoted(spec.password) + " host=" + quoted(spec.host) +
         " port=" + std::to_string(spec.port) + " charset=utf8mb4" +
         " connect_timeout=" + std::to_string(whole_seconds(connect_timeout)) +
         " read_timeout=" + std::to_string(whole_seconds(spec.io_timeout)) +
         " write_timeout=" + std::to_string(whole_seconds(spec.io_timeout)) +
         (spec.tls_ca_file.empty() ? "" : " sslca=" + quoted(spec.tls_ca_file)) +
         (spec.tls_cert_file.empty() ? "" : " sslcert=" + quoted(spec.tls_cert_file)) +
         (spec.tls_key_file.empty() ? "" : " sslkey=" + quoted(spec.tls_key_file));
}

bool is_memory(const database_spec& spec) {
  return spec.sqlite_path == ":memory:" || spec.sqlite_path.empty();
}

/// True when the server has closed the idle connection (KILL, restart, idle
/// timeout): an idle MariaDB connection never has anything to read otherwise.
/// Seconds a MariaDB connection may stay idle inside a transaction (set_up_session).
constexpr int idle_transaction_timeout_s = 2;

bool closed_by_server(soci::session& s) {
  // SOCI exports no type information for its backends: check by name.
  if (s.get_backend_name() != "mysql" || s.get_backend() == nullptr) return true;
  auto* backend = static_cast<soci::mysql_session_backend*>(s.get_backend());
  if (backend->conn_ == nullptr) return true;
  pollfd p{};
  p.fd = static_cast<int>(mysql_get_socket(backend->conn_));
  if (p.fd < 0) return true;
  p.events = POLLIN | POLLRDHUP;
  return ::poll(&p, 1, 0) != 0;
}

void set_up_session(soci::session& s, const database_spec& spec) {
  if (spec.kind == backend_kind::mariadb) {
    s << "SET time_zone = '+00:00'";
    s << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"
         "NO_ENGINE_SUBSTITUTION'";
    s << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
    // A process that hangs (SIGSTOP, swapped out, a stuck VM) in the middle of a
    // transaction would keep its row locks for as long as its connection lives, and every
    // node touching those rows would wait (innodb_lock_wait_timeout, 50 s) — e.g. the
    // batch a hung extension was completing, which the master hands to another engine.
    // Our transactions never wait for anything but the database between statements, so
    // the server may end a connection that stays idle inside a transaction this long:
    // its transaction is rolled back and the locks are free. A healthy client that was
    // only slow sees a lost connection before COMMIT and runs the transaction again.
    s << "SET SESSION idle_transaction_timeout = " + std::to_string(idle_transaction_timeout_s);
    return;
  }
  s << "PRAGMA busy_timeout = " + std::to_string(spec.busy_timeout.count());
  s << "PRAGMA foreign_keys = ON";
  if (!is_memory(spec)) {
    std::string mode;
    s << "PRAGMA journal_mode = WAL", soci::into(mode);
    if (mode != "wal")
      throw storage_error(errc::unavailable, "sqlite:" + spec.sqlite_path +
                                                 ": cannot switch to WAL mode (journal_mode is " +
                                                 mode + ")");
  }
  s << "PRAGMA synchronous = NORMAL";
}

}  // namespace

struct session_pool::slot {
  std::unique_ptr<soci::session> session;
  bool broken = true;             // needs (re)connecting before use
  bool owner_registered = false;  // its connection id is in db_sessions (spec.session_owner)
};

session_pool::session_pool(database_spec spec, milliseconds give_up_after)
    : spec_(std::move(spec)),
      description_(storage::describe(spec_)),
      give_up_after_(give_up_after) {
  if (spec_.kind == backend_kind::sqlite && is_memory(spec_)) spec_.pool_size = 1;
  if (spec_.pool_size < 1) {
    throw storage_error(errc::invalid, description_ + ": pool_size must be at least 1, not " +
                                           std::to_string(spec_.pool_size));
  }
  if (spec_.kind == backend_kind::sqlite && !is_memory(spec_)) {
    std::error_code ec;
    auto parent = std::filesystem::path(spec_.sqlite_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw storage_error(errc::unavailable, description_ + ": cannot create the directory " +
                                                 parent.string() + ": " + ec.message());
    }
  }
  for (int i = 0; i < spec_.pool_size; ++i) {
    slots_.push_back(std::make_unique<slot>());
    free_.push_back(slots_.back().get());
  }
  connect(*slots_.front());
}

session_pool::~session_pool() = default;

int session_pool::connects() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connects_;
}

void session_pool::connect(slot& s) {
  const auto deadline = clock_type::now() + give_up_after_;
  auto delay = first_backoff;
  std::string last;
  for (;;) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
    try {
      s.session.reset();
      auto fresh = std::make_unique<soci::session>();
      if (spec_.kind == backend_kind::mariadb) {
        fresh->open(soci::mysql,
                    mariadb_connect_string(
                        spec_, std::clamp(remaining, milliseconds(1000), spec_.connect_timeout)));
      } else {
        // No quoting in SOCI's SQLite connection string: a path without '='
        // and without spaces is passed whole as the file name.
        fresh->open(soci::sqlite3, is_memory(spec_) ? std::string(":memory:") : spec_.sqlite_path);
      }
      set_up_session(*fresh, spec_);
      s.session = std::move(fresh);
      s.broken = false;
      s.owner_registered = false;
      std::lock_guard<std::mutex> lock(mutex_);
      ++connects_;
      return;
    } catch (...) {
      auto e = classify(std::current_exception());
      last = e.message;
      if (e.code == errc::invalid || e.code == errc::corrupt) {
        // Access denied, unknown database, not a database file: waiting will not help.
        throw storage_error(e.code, "cannot open " + description_ + ": " + e.message);
      }
    }
    auto now = clock_type::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<clock_type::duration>(delay, deadline - now));
    delay = std::min(delay * 2, max_backoff);
  }
  std::string where = spec_.kind == backend_kind::mariadb
                          ? spec_.host + ":" + std::to_string(spec_.port)
                          : spec_.sqlite_path;
  throw storage_error(errc::unavailable, "cannot connect to " + where + " (" + description_ +
                                             ") within " + std::to_string(give_up_after_.count()) +
                                             " ms: " + last);
}

void session_pool::ensure_connected(slot& s) {
  if (!s.broken && spec_.kind == backend_kind::mariadb && closed_by_server(*s.session))
    s.broken = true;
  if (s.broken) connect(s);
  if (!s.owner_registered && !spec_.session_owner.empty() && spec_.kind == backend_kind::mariadb)
    register_owner(s);
}

// The session's connection id under its node's name (master_store::end_sessions_of). The row
// of an id the server gave out before (a restart) is replaced: ids are unique while the
// server runs, so the rows of live sessions are always right. Rows of this node's sessions
// that are gone are removed here. Before the first migration the table does not exist:
// registered at the next use (after open() migrated).
void session_pool::register_owner(slot& s) {
  try {
    const auto& owner = spec_.session_owner;
    *s.session << "REPLACE INTO db_sessions (connection_id, node, started_at) "
                  "VALUES (CONNECTION_ID(), :n, UTC_TIMESTAMP(6))",
        soci::use(owner);
    *s.session << "DELETE FROM db_sessions WHERE node = :n AND connection_id NOT IN "
                  "(SELECT ID FROM information_schema.PROCESSLIST)",
        soci::use(owner);
    s.owner_registered = true;
  } catch (const std::exception&) {
    // No table yet, or the connection broke: the work that follows finds out.
  }
}

session_pool::slot& session_pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto wait = std::max(give_up_after_, spec_.io_timeout);
  if (!freed_.wait_for(lock, wait, [this] { return !free_.empty(); })) {
    throw storage_error(errc::unavailable,
                        description_ + ": all " + std::to_string(spec_.pool_size) +
                            " sessions stayed busy for " + std::to_string(wait.count()) + " ms");
  }
  slot* s = free_.back();
  free_.pop_back();
  return *s;
}

void session_pool::release(slot& s) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(&s);
  }
  freed_.notify_one();
}

void session_pool::run(const std::function<void(soci::session&)>& work, unit kind) {
  slot& s = acquire();
  struct releaser {
    session_pool* pool;
    slot* s;
    ~releaser() { pool->release(*s); }
  } release_on_exit{this, &s};

  for (int attempt = 0;; ++attempt) {
    ensure_connected(s);
    bool committing = false;
    try {
      if (kind == unit::transaction) {
        transaction tx(*s.session, spec_.kind);
        work(*s.session);
        committing = true;
        tx.commit();
      } else {
        work(*s.session);
        // A MariaDB connection closed by the server while the work ran (a shutdown) can
        // answer a SELECT with no result set and no error: SOCI takes it for a statement
        // without rows, so a read came back empty or cut short (seen: a merge batch's
        // records, b614f81). Work that ended on such a connection is not trusted: the
        // caller gets `unavailable` and retries. (In a transaction, the COMMIT that
        // succeeded proves the connection was alive through every read.)
        if (spec_.kind == backend_kind::mariadb && closed_by_server(*s.session)) {
          s.broken = true;
          throw storage_error(errc::unavailable,
                              description_ +
                                  ": the server closed the connection while the statements "
                                  "ran; their results are not trusted");
        }
      }
      return;
    } catch (...) {
      auto error = std::current_exception();
      auto e = classify(error);
      if (e.connection_lost) s.broken = true;
      if (e.connection_lost && kind == unit::transaction && !committing && attempt == 0) {
        continue;  // the server rolled the transaction back: run it once more
      }
      // Exceptions that are not the driver's (the work's own) pass unchanged.
      try {
        std::rethrow_exception(error);
      } catch (const soci::soci_error&) {
      } catch (const std::bad_cast&) {
      } catch (...) {
        throw;
      }
      if (committing && e.connection_lost) {
        throw storage_error(errc::unavailable,
                            description_ +
                                ": the connection was lost while committing; the "
                                "outcome is unknown and nothing was acknowledged: " +
                                e.message);
      }
      throw storage_error(e.code, description_ + ": " + e.message);
    }
  }
}

transaction::transaction(soci::session& s, backend_kind kind) : session_(s) {
  session_ << (kind == backend_kind::sqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
}

transaction::~transaction() {
  if (!open_) return;
  try {
    session_ << "ROLLBACK";
  } catch (...) {
    // The connection is gone: the server rolls back on its own.
  }
}

void transaction::commit() {
  open_ = false;
  session_ << "COMMIT";
}

void transaction::rollback() {
  open_ = false;
  session_ << "ROLLBACK";
}

std::string sql_timestamp_text(const std::string& column) {
  return "COALESCE(CAST(" + column + " AS CHAR), '')";
}

long long last_insert_id(soci::session& s, backend_kind kind) {
  long long id = 0;
  if (kind == backend_kind::mariadb)
    s << "SELECT LAST_INSERT_ID()", soci::into(id);
  else
    s << "SELECT last_insert_rowid()", soci::into(id);
  return id;
}

std::string sql_now(backend_kind kind) {
  return kind == backend_kind::mariadb ? "UTC_TIMESTAMP(6)" : "strftime('%Y-%m-%d %H:%M:%f','now')";
}

std::string sql_now_plus(backend_kind kind, milliseconds offset) {
  if (kind == backend_kind::mariadb) {
    return "(UTC_TIMESTAMP(6) + INTERVAL " + std::to_string(offset.count() * 1000) +
           " MICROSECOND)";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%+.3f seconds",
                static_cast<double>(offset.count()) / 1000.0);
  return "strftime('%Y-%m-%d %H:%M:%f','now','" + std::string(buffer) + "')";
}

std::chrono::system_clock::time_point parse_timestamp(const std::string& text) {
  std::tm tm{};
  int micros = 0;
  char frac[8] = {};
  int consumed = 0;
  int fields = std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed);
  if (fields != 6) throw storage_error(errc::corrupt, "not a timestamp: \"" + text + "\"");
  if (text.size() > static_cast<std::size_t>(consumed)) {
    if (text[consumed] != '.' || std::sscanf(text.c_str() + consumed + 1, "%6[0-9]", frac) != 1)
      throw storage_error(errc::corrupt, "not a timestamp: \"" + text + "\"");
    std::string digits(frac);
    digits.resize(6, '0');
    micros = std::stoi(digits);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  auto seconds = timegm(&tm);
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::microseconds(micros);
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(micros / 1000000);
  auto fraction = static_cast<long>(micros % 1000000);
  if (fraction < 0) {
    fraction += 1000000;
    seconds -= 1;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
  return buffer;
}

long long affected_rows(soci::statement& st) { return st.get_affected_rows(); }

bool execute_select(soci::session& s, soci::statement& st) {
  if (s.get_backend_name() != "mysql") return st.execute(true);
  // SOCI 4.0.3's MySQL backend leaves these uninitialised when the server answers with no
  // result set (a connection closed during a shutdown): the statement then reported a
  // random number of rows and read row offsets it never stored (a crash at address 0 in
  // libsoci_mysql, seen in the database-outage failover test) or none at all.
  auto* backend = static_cast<soci::mysql_statement_backend*>(st.get_backend());
  backend->numberOfRows_ = 0;
  backend->currentRow_ = 0;
  backend->rowsToConsume_ = 0;
  const bool rows = st.execute(true);
  if (backend->result_ == nullptr)
    throw storage_error(errc::unavailable,
                        "the server answered a query with no result set (the connection was "
                        "closed during the query)");
  return rows;
}

}  // namespace detail

database::database(std::unique_ptr<detail::session_pool> pool) : pool_(std::move(pool)) {}

database::~database() = default;

std::unique_ptr<database> database::open(const database_spec& spec,
                                         std::chrono::milliseconds give_up_after,
                                         open_options options) {
  std::unique_ptr<database> db(
      new database(std::make_unique<detail::session_pool>(spec, give_up_after)));
  if (options.migrate) {
    db->migrate(options.migration_wait);
  } else {
    detail::check_not_newer(*db);
  }
  return db;
}

backend_kind database::backend() const noexcept { return pool_->backend(); }

const database_spec& database::spec() const noexcept { return pool_->spec(); }

migration_report database::migrate(std::chrono::milliseconds wait) {
  return detail::migrate(*this, wait);
}

int database::schema_version() { return detail::schema_version(*this); }

std::size_t database::max_statement_bytes() {
  if (backend() != backend_kind::mariadb) return 1000u * 1000u * 1000u;  // SQLITE_MAX_LENGTH
  long long bytes = 0;
  detail::with_session(
      *this, [&](soci::session& s) { s << "SELECT @@max_allowed_packet", soci::into(bytes); });
  return bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
}

int database::known_schema_version() noexcept { return detail::known_schema_version(); }

std::chrono::system_clock::time_point database::now() {
  std::string text;
  detail::with_session(*this, [&](soci::session& s) {
    if (backend() == backend_kind::mariadb) {
      s << "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f')", soci::into(text);
    } else {
      s << "SELECT strftime('%Y-%m-%d %H:%M:%f','now')", soci::into(text);
    }
  });
  return detail::parse_timestamp(text);
}

}  // namespace weft::storage
