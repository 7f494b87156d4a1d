// The versioned schema and the lease that lets one process at a time apply it.
// Tables and columns are documented in docs/storage.md.

#include "storage/migrations.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include "storage/detail/session.hpp"

namespace weft::storage::detail {

namespace {

using std::chrono::milliseconds;

/// Column types, per backend. SQLite keeps timestamps as UTC text
/// 'YYYY-MM-DD HH:MM:SS.SSS' (sorts like the time), MariaDB as DATETIME(6) UTC.
const std::vector<std::pair<std::string, std::pair<std::string, std::string>>>& type_tokens() {
  static const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> tokens = {
      {"{id}", {"BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"}},
      {"{ts}", {"DATETIME(6)", "TEXT"}},
      {"{key}", {"VARCHAR(191)", "TEXT"}},
      {"{word}", {"VARCHAR(16)", "TEXT"}},
      {"{version}", {"VARCHAR(64)", "TEXT"}},
      {"{address}", {"VARCHAR(255)", "TEXT"}},
      {"{path}", {"VARCHAR(1024)", "TEXT"}},
      {"{text}", {"MEDIUMTEXT", "TEXT"}},
      {"{longtext}", {"LONGTEXT", "TEXT"}},
      {"{bigint}", {"BIGINT", "INTEGER"}},
      {"{int}", {"INT", "INTEGER"}},
  };
  return tokens;
}

std::string expand(std::string text, backend_kind kind) {
  for (const auto& [token, types] : type_tokens()) {
    const std::string& type = kind == backend_kind::mariadb ? types.first : types.second;
    for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
      text.replace(at, token.size(), type);
      at += type.size();
    }
  }
  return text;
}

struct index_spec {
  std::string name;
  std::string columns;
};

/// CREATE TABLE IF NOT EXISTS with its indexes: inline on MariaDB (so the
/// table and its indexes appear in one implicit commit, and no CREATE INDEX IF
/// NOT EXISTS is needed, which MySQL lacks), separate statements on SQLite.
std::vector<migration_step> table(const std::string& name, const std::string& columns,
                                  const std::vector<index_spec>& indexes = {}) {
  std::string mariadb = "CREATE TABLE IF NOT EXISTS " + name + " (" + columns;
  for (const auto& index : indexes) mariadb += ", INDEX " + index.name + " (" + index.columns + ")";
  mariadb += ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  std::vector<migration_step> steps;
  steps.push_back(
      {expand(mariadb, backend_kind::mariadb),
       expand("CREATE TABLE IF NOT EXISTS " + name + " (" + columns + ")", backend_kind::sqlite)});
  for (const auto& index : indexes) {
    steps.push_back({"", "CREATE INDEX IF NOT EXISTS " + index.name + " ON " + name + " (" +
                             index.columns + ")"});
  }
  return steps;
}

std::vector<migration_step> join(std::initializer_list<std::vector<migration_step>> parts) {
  std::vector<migration_step> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::vector<migration> build_migrations() {
  std::vector<migration> all;
  all.push_back(
      {1, "settings and leases",
       join({
           table(
               "settings",
               "name {key} NOT NULL PRIMARY KEY, value {text} NOT NULL, updated_at {ts} NOT NULL"),
           table("leases",
                 "name {key} NOT NULL PRIMARY KEY, holder {address} NULL, "
                 "token {bigint} NOT NULL DEFAULT 0, lock_until {ts} NOT NULL, "
                 "acquired_at {ts} NULL"),
       })});
  all.push_back(
      {2, "cluster nodes and engines",
       join({
           table("nodes",
                 "name {key} NOT NULL PRIMARY KEY, role {word} NOT NULL, "
                 "version {version} NOT NULL, address {address} NOT NULL, "
                 "state {word} NOT NULL, merge_engines {int} NOT NULL DEFAULT 0, "
                 "weaver_engines {int} NOT NULL DEFAULT 0, last_heartbeat {ts} NULL, "
                 "joined_at {ts} NULL, updated_at {ts} NOT NULL",
                 {{"nodes_state", "state"}}),
           table("engines",
                 "id {key} NOT NULL PRIMARY KEY, node {key} NOT NULL, type {word} NOT NULL, "
                 "state {word} NOT NULL, job_id {bigint} NULL, batch_no {int} NULL, "
                 "batches_done {bigint} NOT NULL DEFAULT 0, updated_at {ts} NOT NULL",
                 {{"engines_node", "node"}, {"engines_job", "job_id"}}),
       })});
  all.push_back(
      {3, "jobs, records, batches, content and outputs",
       join({
           table("jobs",
                 "id {id}, state {word} NOT NULL, job_class {word} NULL, "
                 "format {word} NOT NULL, template_path {path} NOT NULL, "
                 "data_path {path} NOT NULL, data_format {word} NOT NULL, "
                 "options {text} NOT NULL, record_count {bigint} NOT NULL DEFAULT 0, "
                 "records_done {bigint} NOT NULL DEFAULT 0, batch_count {int} NOT NULL DEFAULT 0, "
                 "batches_done {int} NOT NULL DEFAULT 0, error {text} NULL, "
                 "submitted_at {ts} NOT NULL, started_at {ts} NULL, finished_at {ts} NULL, "
                 "updated_at {ts} NOT NULL, granted_engines {int} NOT NULL DEFAULT 0",
                 {{"jobs_state", "state"}, {"jobs_finished_at", "finished_at"}}),
           table("records",
                 "job_id {bigint} NOT NULL, seq {bigint} NOT NULL, body {longtext} NOT NULL, "
                 "PRIMARY KEY (job_id, seq)"),
           table("batches",
                 "job_id {bigint} NOT NULL, phase {word} NOT NULL, batch_no {int} NOT NULL, "
                 "first_seq {bigint} NOT NULL, last_seq {bigint} NOT NULL, "
                 "state {word} NOT NULL DEFAULT 'queued', attempt {int} NOT NULL DEFAULT 0, "
                 "engine {key} NULL, node {key} NULL, started_at {ts} NULL, "
                 "finished_at {ts} NULL, PRIMARY KEY (job_id, phase, batch_no), "
                 "CONSTRAINT batches_phase CHECK (phase IN ('merge', 'weave')), "
                 "CONSTRAINT batches_state CHECK (state IN ('queued', 'running', 'done'))",
                 {{"batches_pending", "job_id, phase, state"}}),
           table("content",
                 "job_id {bigint} NOT NULL, batch_no {int} NOT NULL, attempt {int} NOT NULL, "
                 "path {path} NOT NULL, bytes {bigint} NOT NULL DEFAULT 0, "
                 "records {bigint} NOT NULL DEFAULT 0, created_at {ts} NOT NULL, "
                 "PRIMARY KEY (job_id, batch_no)",
                 {{"content_created_at", "created_at"}}),
           table("outputs",
                 "job_id {bigint} NOT NULL, segment_no {int} NOT NULL, path {path} NOT NULL, "
                 "format {word} NOT NULL, documents {bigint} NOT NULL DEFAULT 0, "
                 "pages {bigint} NOT NULL DEFAULT 0, bytes {bigint} NOT NULL DEFAULT 0, "
                 "created_at {ts} NOT NULL, PRIMARY KEY (job_id, segment_no)",
                 {{"outputs_created_at", "created_at"}}),
       })});
  all.push_back(
      {4, "clean-up sweeps",
       table(
           "sweeps",
           "id {id}, node {key} NOT NULL, token {bigint} NOT NULL DEFAULT 0, "
           "started_at {ts} NOT NULL, finished_at {ts} NULL, "
           "jobs_deleted {bigint} NOT NULL DEFAULT 0, records_deleted {bigint} NOT NULL DEFAULT 0, "
           "content_deleted {bigint} NOT NULL DEFAULT 0, "
           "outputs_deleted {bigint} NOT NULL DEFAULT 0, "
           "files_removed {bigint} NOT NULL DEFAULT 0, bytes_freed {bigint} NOT NULL DEFAULT 0, "
           "status {word} NOT NULL, error {text} NULL",
           {{"sweeps_started_at", "started_at"}})});
  // Version 1 created `settings` (name, value, updated_at) for the shell's `set`; its
  // overrides also say who set them and are applied in the order they were made (`seq`).
  // MariaDB numbers `seq` itself (AUTO_INCREMENT, existing rows in key order); one ALTER
  // TABLE is atomic, and guarded because it cannot be repeated. SQLite cannot add such a
  // column: the store writes MAX(seq) + 1 there, serialised by SQLite's single writer.
  all.push_back(
      {5,
       "settings overrides: who set them and in which order",
       {
           {"ALTER TABLE settings CHANGE COLUMN updated_at set_at DATETIME(6) NOT NULL, "
            "ADD COLUMN set_by VARCHAR(200) NOT NULL DEFAULT '' AFTER value, "
            "ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT, ADD INDEX settings_seq (seq)",
            "",
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = 'settings' AND COLUMN_NAME = 'seq'"},
           {"", "ALTER TABLE settings RENAME COLUMN updated_at TO set_at"},
           {"", "ALTER TABLE settings ADD COLUMN set_by TEXT NOT NULL DEFAULT ''"},
           {"", "ALTER TABLE settings ADD COLUMN seq INTEGER NOT NULL DEFAULT 0"},
           {"",
            "UPDATE settings SET seq = (SELECT COUNT(*) FROM settings AS earlier "
            "WHERE earlier.name <= settings.name)"},
           {"", "CREATE INDEX IF NOT EXISTS settings_seq ON settings (seq)"},
       }});
  // What mapping found out about a job's data (docs/jobs.md "Data"): how it was read and the
  // warnings (blank variables, unused fields). JSON; NULL until the job has been mapped.
  all.push_back({6,
                 "jobs: mapping report",
                 {
                     {"ALTER TABLE jobs ADD COLUMN mapping_report MEDIUMTEXT NULL", "",
                      "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                      "DATABASE() AND TABLE_NAME = 'jobs' AND COLUMN_NAME = 'mapping_report'"},
                     {"", "ALTER TABLE jobs ADD COLUMN mapping_report TEXT NULL"},
                 }});
  // Master failover (docs/cluster.md "Master failover"): every take-over, step-down and
  // hand-over of the scheduler lease, with the token and the reason.
  all.push_back({7, "master history",
                 table("master_history",
                       "id {id}, event {word} NOT NULL, node {key} NOT NULL, "
                       "token {bigint} NOT NULL, at {ts} NOT NULL, reason {text} NULL",
                       {{"master_history_at", "at"}})});
  // The REST API (docs/api.md): bearer tokens, stored only as the SHA-256 of the token, and
  // the Idempotency-Key of each job a token submitted (kept 24 h).
  all.push_back(
      {8, "api tokens and idempotency keys",
       join({
           table("api_tokens",
                 "id {id}, name {key} NOT NULL, token_hash {key} NOT NULL, "
                 "scope {word} NOT NULL, created_at {ts} NOT NULL, expires_at {ts} NULL, "
                 "revoked_at {ts} NULL",
                 {{"api_tokens_hash", "token_hash"}, {"api_tokens_name", "name"}}),
           table("api_idempotency",
                 "token_id {bigint} NOT NULL, idem_key {key} NOT NULL, job_id {bigint} NOT NULL, "
                 "created_at {ts} NOT NULL, PRIMARY KEY (token_id, idem_key)"),
       })});
  // Webhooks (docs/operations.md "Webhooks"): one delivery per finished job that asked for a
  // callback, and every attempt at it. Versions 7 and 8 belong to other work in progress
  // (failover, the HTTP API); migrations apply in version order whatever their number.
  all.push_back(
      {9, "webhook deliveries and their attempts",
       join({
           table("webhook_deliveries",
                 "id {id}, job_id {bigint} NOT NULL, delivery_id {key} NOT NULL, "
                 "url {path} NOT NULL, body {text} NOT NULL, signing {key} NOT NULL, "
                 "state {word} NOT NULL, attempts {int} NOT NULL DEFAULT 0, "
                 "next_attempt_at {ts} NOT NULL, give_up_at {ts} NOT NULL, "
                 "last_status {int} NULL, last_error {text} NULL, created_at {ts} NOT NULL, "
                 "delivered_at {ts} NULL, "
                 "CONSTRAINT webhook_deliveries_job UNIQUE (job_id), "
                 "CONSTRAINT webhook_deliveries_state CHECK (state IN "
                 "('pending', 'delivered', 'failed'))",
                 {{"webhook_deliveries_due", "state, next_attempt_at"}}),
           table("webhook_attempts",
                 "delivery {bigint} NOT NULL, attempt {int} NOT NULL, at {ts} NOT NULL, "
                 "status {int} NULL, error {text} NULL, millis {bigint} NOT NULL DEFAULT 0, "
                 "PRIMARY KEY (delivery, attempt)"),
       })});
  // Webhooks without a scan of the jobs (docs/operations.md "Webhooks"): a job submitted with
  // a callback_url gets a row in webhook_requests (with whose key signs it: "cluster" or
  // "token:ID"), removed when its delivery is created; the dispatcher reads only that small
  // table. Per-token signing secrets: each API token gets a random salt; its webhook secret
  // is derived from the cluster secret and the salt (never stored). Jobs that asked for a
  // callback before this version and have no delivery are carried over, signed as before.
  all.push_back(
      {10, "webhook requests and per-token webhook secrets",
       join({
           table("webhook_requests",
                 "job_id {bigint} NOT NULL PRIMARY KEY, signing {key} NOT NULL, "
                 "created_at {ts} NOT NULL"),
           {
               {"ALTER TABLE api_tokens ADD COLUMN webhook_salt VARCHAR(64) NULL", "",
                "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                "DATABASE() AND TABLE_NAME = 'api_tokens' AND COLUMN_NAME = 'webhook_salt'"},
               {"", "ALTER TABLE api_tokens ADD COLUMN webhook_salt TEXT NULL"},
               {"INSERT IGNORE INTO webhook_requests (job_id, signing, created_at) SELECT j.id, "
                "'cluster', UTC_TIMESTAMP(6) FROM jobs j LEFT JOIN webhook_deliveries w ON "
                "w.job_id = j.id WHERE w.id IS NULL AND j.options LIKE '%callback_url%'",
                "INSERT OR IGNORE INTO webhook_requests (job_id, signing, created_at) SELECT "
                "j.id, 'cluster', strftime('%Y-%m-%d %H:%M:%f','now') FROM jobs j LEFT JOIN "
                "webhook_deliveries w ON w.job_id = j.id WHERE w.id IS NULL AND j.options LIKE "
                "'%callback_url%'"},
           },
       })});
  // Layout warnings of PDF output (docs/templates.md "Outside the subset"): each output file
  // keeps those its weaver reported, as a JSON object, replaced with the row when a batch is
  // woven again (so a retried batch never repeats them); the job's view merges them.
  all.push_back(
      {11,
       "outputs: layout warnings",
       {
           {"ALTER TABLE outputs ADD COLUMN warnings MEDIUMTEXT NULL", "",
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = 'outputs' AND COLUMN_NAME = 'warnings'"},
           {"", "ALTER TABLE outputs ADD COLUMN warnings TEXT NULL"},
       }});
  // Fencing a hung node in the database (docs/cluster.md "Failures"): every MariaDB session
  // of a node, by connection id, so that the node that declares it lost, or takes its
  // master lease over, can KILL them and free the row locks they hold at once.
  all.push_back({12, "database sessions by node",
                 table("db_sessions",
                       "connection_id {bigint} NOT NULL PRIMARY KEY, node {key} NOT NULL, "
                       "started_at {ts} NOT NULL",
                       {{"db_sessions_node", "node"}})});
  return all;
}

/// The lease that serialises migrations: one row in its own tiny table.
/// Claimed with the database's clock; expires if its holder dies.
constexpr milliseconds lease_length{30000};

void bootstrap(soci::session& s, backend_kind kind) {
  // Both statements are idempotent and safe to race (MariaDB serialises
  // concurrent CREATE TABLE IF NOT EXISTS with a metadata lock).
  s << expand(kind == backend_kind::mariadb
                  ? "CREATE TABLE IF NOT EXISTS schema_migrations (version {int} NOT NULL "
                    "PRIMARY KEY, name {key} NOT NULL, applied_at {ts} NOT NULL) "
                    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                  : "CREATE TABLE IF NOT EXISTS schema_migrations (version {int} NOT NULL "
                    "PRIMARY KEY, name {key} NOT NULL, applied_at {ts} NOT NULL)",
              kind);
  s << expand(kind == backend_kind::mariadb
                  ? "CREATE TABLE IF NOT EXISTS schema_migration_lease (id {int} NOT NULL "
                    "PRIMARY KEY, holder {address} NOT NULL, lock_until {ts} NOT NULL) "
                    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                  : "CREATE TABLE IF NOT EXISTS schema_migration_lease (id {int} NOT NULL "
                    "PRIMARY KEY, holder {address} NOT NULL, lock_until {ts} NOT NULL)",
              kind);
  s << (kind == backend_kind::mariadb
            ? "INSERT INTO schema_migration_lease (id, holder, lock_until) "
              "VALUES (1, '', '1970-01-01 00:00:01') ON DUPLICATE KEY UPDATE id = id"
            : "INSERT OR IGNORE INTO schema_migration_lease (id, holder, lock_until) "
              "VALUES (1, '', '1970-01-01 00:00:01.000')");
}

int read_version(soci::session& s) {
  long long version = 0;
  s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", soci::into(version);
  return static_cast<int>(version);
}

void refuse_newer(database& db, int version) {
  const int known = known_schema_version();
  if (version > known) {
    throw storage_error(errc::invalid, describe(db.spec()) + ": database schema version " +
                                           std::to_string(version) + " is newer than this Weft (" +
                                           std::to_string(known) + "); upgrade Weft");
  }
}

/// Claims or renews the lease; true when `holder` holds it afterwards.
bool claim(soci::session& s, backend_kind kind, const std::string& holder) {
  const std::string h = holder;
  soci::statement st =
      (s.prepare << "UPDATE schema_migration_lease SET holder = :holder, lock_until = " +
                        sql_now_plus(kind, lease_length) + " WHERE id = 1 AND (lock_until < " +
                        sql_now(kind) + " OR holder = :same)",
       soci::use(h, "holder"), soci::use(h, "same"));
  st.execute(true);
  return affected_rows(st) == 1;
}

void release(soci::session& s, const std::string& holder) {
  const std::string h = holder;
  s << "UPDATE schema_migration_lease SET holder = '', lock_until = '1970-01-01 00:00:01' "
       "WHERE id = 1 AND holder = :holder",
      soci::use(h, "holder");
}

std::string who_holds(soci::session& s) {
  std::string holder, until;
  s << "SELECT holder, lock_until FROM schema_migration_lease WHERE id = 1", soci::into(holder),
      soci::into(until);
  return holder.empty() ? "nobody" : holder + " until " + until + " UTC";
}

std::string make_holder_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device random;
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(random());
}

/// Whether the guarded MariaDB statement of `step` has been applied before.
bool already_done(soci::session& s, const migration_step& step) {
  if (step.mariadb_done_if.empty()) return false;
  long long count = 0;
  s << step.mariadb_done_if, soci::into(count);
  return count > 0;
}

/// Applies the migrations after the recorded version up to `target` while holding the lease.
int apply(database& db, soci::session& s, const std::string& holder, int target) {
  const auto kind = db.backend();
  int applied = 0;
  for (const auto& m : migrations()) {
    if (m.version > target) break;
    if (m.version <= read_version(s)) continue;
    if (!claim(s, kind, holder)) {
      throw storage_error(errc::unavailable, describe(db.spec()) +
                                                 ": lost the schema migration lease to " +
                                                 who_holds(s) + " while applying version " +
                                                 std::to_string(m.version));
    }
    const int version = m.version;
    const std::string name = m.name;
    if (kind == backend_kind::sqlite) {
      // SQLite DDL is transactional: the migration and its record are atomic.
      transaction tx(s, kind);
      for (const auto& step : m.steps) {
        if (!step.sqlite.empty()) s << step.sqlite;
      }
      s << "INSERT OR IGNORE INTO schema_migrations (version, name, applied_at) "
           "VALUES (:v, :n, " +
               sql_now(kind) + ")",
          soci::use(version, "v"), soci::use(name, "n");
      tx.commit();
    } else {
      // Each DDL statement commits implicitly; every step is idempotent or guarded, so a
      // migration cut short is simply re-run from its start.
      for (const auto& step : m.steps) {
        if (!step.mariadb.empty() && !already_done(s, step)) s << step.mariadb;
      }
      s << "INSERT INTO schema_migrations (version, name, applied_at) "
           "VALUES (:v, :n, " +
               sql_now(kind) + ") ON DUPLICATE KEY UPDATE version = version",
          soci::use(version, "v"), soci::use(name, "n");
    }
    ++applied;
  }
  return applied;
}

}  // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = build_migrations();
  return all;
}

int known_schema_version() noexcept { return migrations().back().version; }

int schema_version(database& db) {
  return with_session(db, [&](soci::session& s) {
    bootstrap(s, db.backend());
    return read_version(s);
  });
}

void check_not_newer(database& db) { refuse_newer(db, schema_version(db)); }

migration_report migrate(database& db, milliseconds wait, int target) {
  using clock_type = std::chrono::steady_clock;
  const auto deadline = clock_type::now() + wait;
  const auto kind = db.backend();
  const std::string holder = make_holder_id();
  auto delay = milliseconds(20);
  for (;;) {
    // One step of the protocol per session use, so a lost connection costs
    // one step, and the lease (on the database's clock) survives reconnects.
    struct outcome {
      bool done = false;
      migration_report report;
      std::string held_by;
    };
    auto step = with_session(db, [&](soci::session& s) {
      outcome out;
      bootstrap(s, kind);
      int version = read_version(s);
      refuse_newer(db, version);
      if (version >= target) {
        out.done = true;
        out.report.version = version;
        return out;
      }
      if (!claim(s, kind, holder)) {
        out.held_by = who_holds(s);
        return out;
      }
      try {
        out.report.applied = apply(db, s, holder, target);
      } catch (...) {
        try {
          release(s, holder);
        } catch (...) {
          // The lease expires on its own.
        }
        throw;
      }
      release(s, holder);
      out.done = true;
      out.report.version = read_version(s);
      return out;
    });
    if (step.done) return step.report;
    const auto now = clock_type::now();
    if (now >= deadline) {
      throw storage_error(errc::unavailable, describe(db.spec()) +
                                                 ": the schema migration lease is held by " +
                                                 step.held_by + "; gave up waiting after " +
                                                 std::to_string(wait.count()) + " ms");
    }
    std::this_thread::sleep_for(std::min<clock_type::duration>(delay, deadline - now));
    delay = std::min(delay * 2, milliseconds(1000));
  }
}

}  // namespace weft::storage::detail
