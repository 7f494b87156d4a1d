#pragma once

// Storage-internal: running work on a pooled SOCI session. Only `storage/`
// includes this header; other modules use the repositories' plain types.

#include <soci/soci.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/database.hpp"
#include "storage/database_spec.hpp"
#include "storage/storage_error.hpp"

namespace weft::storage::detail {

/// How a unit of work given to `session_pool::run` is delimited.
enum class unit {
  /// Autocommit statements (or a transaction the work manages itself).
  /// Never re-run: a statement may have been applied before the connection
  /// was lost.
  statements,
  /// The whole work runs between BEGIN and COMMIT issued by the pool. If the
  /// connection is lost before COMMIT was sent, the server has rolled the
  /// transaction back, so the pool reconnects and runs the work once more.
  transaction,
};

/// What a driver exception means to Weft.
struct classified_error {
  errc code = errc::invalid;
  bool connection_lost = false;  ///< the session is unusable and must reconnect
  std::string message;           ///< the driver's message, shortened
};

/// Classifies the exception `e` (SOCI, MariaDB, SQLite or std) — see
/// docs/storage.md "Errors" for the table.
classified_error classify(std::exception_ptr e);

/// The pool behind `database`: N sessions, reconnected lazily and with back-off.
///
/// Thread-safe. A session is used by one thread at a time; `run` waits for a
/// free one. A session found closed by the server (killed, restarted, idle
/// timeout) is reconnected before it is handed out.
class session_pool {
 public:
  /// Connects the first session (with back-off until `give_up_after`) so that
  /// a wrong configuration fails here; the others connect on first use.
  session_pool(database_spec spec, std::chrono::milliseconds give_up_after);
  ~session_pool();

  /// Runs `work` on a pooled session. The rule for retries: nothing is
  /// acknowledged that was not committed, and only work that certainly was
  /// not committed is re-run (once, and only for unit::transaction).
  ///
  /// `work` must not call `run` (or with_session) again: that would take a
  /// second session and, with all of them taken, wait for ever.
  ///
  /// @throws storage_error (translated); exceptions of other types thrown
  ///   by `work` itself pass through unchanged after the rollback.
  void run(const std::function<void(soci::session&)>& work, unit kind);

  backend_kind backend() const noexcept { return spec_.kind; }
  const database_spec& spec() const noexcept { return spec_; }
  const std::string& description() const noexcept { return description_; }

  /// How many times a session had to be (re)connected since start (tests, stats).
  int connects() const;

 private:
  struct slot;
  slot& acquire();
  void release(slot& s);
  void ensure_connected(slot& s);
  void connect(slot& s);
  void register_owner(slot& s);

  database_spec spec_;
  std::string description_;
  std::chrono::milliseconds give_up_after_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<slot>> slots_;  // guarded by mutex_ (the vector)
  std::vector<slot*> free_;                   // guarded by mutex_
  int connects_ = 0;                          // guarded by mutex_
};

/// Runs `f(soci::session&)` on a pooled session in autocommit mode and
/// returns its result. Not re-run on a lost connection (see unit::statements).
template <class F>
auto with_session(database& db, F&& f) {
  using result = std::invoke_result_t<F&, soci::session&>;
  if constexpr (std::is_void_v<result>) {
    db.pool().run([&](soci::session& s) { f(s); }, unit::statements);
  } else {
    std::optional<result> r;
    db.pool().run([&](soci::session& s) { r.emplace(f(s)); }, unit::statements);
    return std::move(*r);
  }
}

/// Runs `f(soci::session&)` inside one transaction (BEGIN IMMEDIATE on
/// SQLite, START TRANSACTION on MariaDB) and commits it. `f` may run twice
/// (see unit::transaction): build its results afresh on each call.
template <class F>
auto with_transaction(database& db, F&& f) {
  using result = std::invoke_result_t<F&, soci::session&>;
  if constexpr (std::is_void_v<result>) {
    db.pool().run([&](soci::session& s) { f(s); }, unit::transaction);
  } else {
    std::optional<result> r;
    db.pool().run([&](soci::session& s) { r.emplace(f(s)); }, unit::transaction);
    return std::move(*r);
  }
}

/// A transaction on a session the caller already holds; rolled back unless
/// committed. SQLite uses BEGIN IMMEDIATE so that two writers never deadlock
/// on a lock upgrade.
class transaction {
 public:
  transaction(soci::session& s, backend_kind kind);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit();
  void rollback();

 private:
  soci::session& session_;
  bool open_ = true;
};

/// SQL expression for "now" on the database clock, in the form the
/// timestamp columns store (DATETIME(6) UTC / TEXT 'YYYY-MM-DD HH:MM:SS.SSS').
std::string sql_now(backend_kind kind);

/// SQL expression for "now + offset" on the database clock.
std::string sql_now_plus(backend_kind kind, std::chrono::milliseconds offset);

/// SQL reading a timestamp column back as text ("YYYY-MM-DD HH:MM:SS.ffffff"),
/// "" for NULL, on both backends.
std::string sql_timestamp_text(const std::string& column);

/// The id the last INSERT on this session generated (an AUTO_INCREMENT /
/// AUTOINCREMENT key).
long long last_insert_id(soci::session& s, backend_kind kind);

/// Parses a timestamp column read as text ("2024-05-01 12:00:00[.ffffff]", UTC).
/// @throws storage_error corrupt when the text is not such a timestamp.
std::chrono::system_clock::time_point parse_timestamp(const std::string& text);

/// Formats a time point as the timestamp columns store it (UTC, microseconds).
std::string format_timestamp(std::chrono::system_clock::time_point t);

/// Rows changed by the last execution of `st`.
long long affected_rows(soci::statement& st);

/// `st.execute(true)` for a SELECT prepared on `s` with vector intos: whether it fetched
/// rows. On MariaDB it refuses an answer without a result set (a connection closed by the
/// server in the middle of the query, which SOCI 4.0.3 would take for an empty result or
/// crash on) with storage_error unavailable. Every SELECT into vectors goes through it.
bool execute_select(soci::session& s, soci::statement& st);

}  // namespace weft::storage::detail
