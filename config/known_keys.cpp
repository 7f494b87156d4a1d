#include "config/known_keys.hpp"

#include <algorithm>
#include <string>

namespace weft::config {

namespace {

void add_engine_scheduling(std::vector<key_info>& keys, std::string_view table,
                           std::string_view parallel_table, std::string_view reserved_table,
                           std::string_view engines) {
  keys.push_back({table, "expected_remote", "integer >= 0",
                  engines == "merge" ? "sum of the extensions' merge_engines"
                                     : "sum of the extensions' weaver_engines",
                  "Remote engines of this type the master plans with and enforces: extra "
                  "registered engines go on standby, missing ones make the cluster degraded.",
                  engines == "merge" ? "6" : "2"});
  keys.push_back({table, "parallel_per_job", "table", "{ medium = 2, large = 8 }",
                  "Most engines of this type one job may use, per job class (small jobs always "
                  "use one).",
                  "{ medium = 2, large = 8 }"});
  keys.push_back({table, "reserved", "table", "{ small = 0, medium = 0, large = 0 }",
                  "Engines of this type kept for one job class only; the rest float.",
                  "{ small = 1, medium = 0, large = 0 }"});
  keys.push_back({table, "additional_engine_every", "integer >= 1", "100",
                  "A job gets one more engine per this many records, up to parallel_per_job.",
                  "100"});
  keys.push_back(
      {parallel_table, "medium", "integer >= 1", "2", "Most engines for one medium job.", "2"});
  keys.push_back(
      {parallel_table, "large", "integer >= 1", "8", "Most engines for one large job.", "8"});
  keys.push_back(
      {reserved_table, "small", "integer >= 0", "0", "Engines reserved for small jobs.", "1"});
  keys.push_back(
      {reserved_table, "medium", "integer >= 0", "0", "Engines reserved for medium jobs.", "0"});
  keys.push_back(
      {reserved_table, "large", "integer >= 0", "0", "Engines reserved for large jobs.", "0"});
}

std::vector<key_info> make_known_keys() {
  std::vector<key_info> k;
  // Top level.
  k.push_back(
      {"", "cluster", "table", "required", "Cluster identity, secret and timing.", "[cluster]"});
  k.push_back({"", "database", "table", "absent: embedded SQLite",
               "Shared MariaDB/MySQL database; leave out for the embedded SQLite default.",
               "[database]"});
  k.push_back({"", "files", "table", "required", "The file store.", "[files]"});
  k.push_back({"", "scheduler", "table", "all defaults", "Scheduling (read by the master).",
               "[scheduler]"});
  k.push_back({"", "cleanup", "table", "all defaults", "The clean-up service.", "[cleanup]"});
  k.push_back({"", "log", "table", "all defaults", "Logging.", "[log]"});
  k.push_back({"", "node", "array of tables", "required", "One entry per node of the cluster.",
               "[[node]]"});

  // [cluster]
  k.push_back({"cluster", "name", "string", "required",
               "Cluster name; a node only joins a master with the same name.", "\"prod\""});
  k.push_back({"cluster", "secret_file", "path", "required",
               "File holding the shared cluster secret (mode 600, not empty). Nodes and shells "
               "prove they know it; it never crosses the wire.",
               "\"/etc/weft/cluster.secret\""});
  k.push_back({"cluster", "heartbeat", "duration > 0", "\"250ms\"",
               "Interval of the liveness heartbeat between nodes.", "\"250ms\""});
  k.push_back({"cluster", "node_timeout", "duration > heartbeat", "\"1s\"",
               "A node silent for this long is declared lost and its work re-dispatched.",
               "\"1s\""});
  k.push_back({"cluster", "retry_initial", "duration > 0", "\"500ms\"",
               "Join back-off: first retry interval of an extension connecting to the master.",
               "\"500ms\""});
  k.push_back({"cluster", "retry_threshold", "integer >= 0", "20",
               "Join back-off: attempts at retry_initial before switching to retry_prolonged.",
               "20"});
  k.push_back({"cluster", "retry_prolonged", "duration >= retry_initial", "\"5s\"",
               "Join back-off: retry interval after retry_threshold attempts.", "\"5s\""});
  k.push_back({"cluster", "request_timeout", "duration > 0", "\"5s\"",
               "Upper bound for any request between nodes.", "\"5s\""});

  // [database]
  k.push_back({"database", "url", "string", "required in [database]",
               "mariadb://USER@HOST[:PORT]/DB (or mysql://); the port defaults to 3306. No "
               "password here: use password_file.",
               "\"mariadb://weft@10.0.0.5:3306/weft\""});
  k.push_back({"database", "password_file", "path", "none (no password)",
               "File holding the database password (mode 600, not empty).",
               "\"/etc/weft/db.password\""});
  k.push_back(
      {"database", "pool_size", "integer 1..1000", "4", "Database connections per node.", "4"});
  k.push_back({"database", "connect_timeout", "duration > 0", "\"3s\"",
               "Timeout of one connection attempt.", "\"3s\""});

  // [files]
  k.push_back({"files", "root", "path", "required",
               "Root of the file store shared by every node (NFS in production); the embedded "
               "database lives in ROOT/weft.db.",
               "\"/mnt/weft-share\""});

  // [scheduler]
  k.push_back({"scheduler", "max_records_small", "integer >= 0", "100",
               "Jobs with at most this many records are small (always one engine).", "100"});
  k.push_back({"scheduler", "min_records_large", "integer > max_records_small", "10000",
               "Jobs with at least this many records are large; between the two: medium.",
               "10000"});
  k.push_back({"scheduler", "min_batch_size", "integer >= 1", "10",
               "Adaptive batch size: fewest records per batch.", "10"});
  k.push_back({"scheduler", "max_batch_size", "integer >= min_batch_size", "1000",
               "Adaptive batch size: most records per batch.", "1000"});
  k.push_back({"scheduler", "batches_per_engine", "integer >= 1", "4",
               "Batch sizes aim at this many batches per granted engine.", "4"});
  k.push_back({"scheduler", "merge", "table", "all defaults", "Merge engine scheduling.",
               "[scheduler.merge]"});
  k.push_back({"scheduler", "weaver", "table", "all defaults", "Weaver engine scheduling.",
               "[scheduler.weaver]"});
  add_engine_scheduling(k, "scheduler.merge", "scheduler.merge.parallel_per_job",
                        "scheduler.merge.reserved", "merge");
  add_engine_scheduling(k, "scheduler.weaver", "scheduler.weaver.parallel_per_job",
                        "scheduler.weaver.reserved", "weaver");

  // [cleanup]
  k.push_back({"cleanup", "schedule", "cron", "\"*/15 * * * *\"",
               "When sweeps run: five cron fields (minute hour day-of-month month "
               "day-of-week). Not together with interval; the default applies when neither "
               "is set.",
               "\"*/15 * * * *\""});
  k.push_back({"cleanup", "interval", "duration > 0", "none",
               "Run sweeps at this interval instead of a cron schedule.", "\"15m\""});
  k.push_back({"cleanup", "run_at_startup", "boolean", "false",
               "Also sweep once when the node starts.", "false"});
  k.push_back({"cleanup", "lock_at_most", "duration > 0", "\"10m\"",
               "The cleanup lease expires after this long if its holder dies.", "\"10m\""});
  k.push_back({"cleanup", "lock_at_least", "duration <= lock_at_most", "\"30s\"",
               "The lease is held at least this long, so a short sweep does not re-run on "
               "another node.",
               "\"30s\""});
  k.push_back({"cleanup", "batch_size", "integer >= 1", "1000",
               "Rows deleted per transaction by the database sweep.", "1000"});
  k.push_back({"cleanup", "pause_percent", "integer 0..1000", "100",
               "After each delete transaction the database sweep pauses this percentage of the "
               "time the transaction took (0: no pause), so that running jobs keep their share "
               "of the database.",
               "100"});
  k.push_back({"cleanup", "retain", "table",
               "{ jobs = \"24h\", content = \"6h\", outputs = \"24h\" }",
               "How long finished jobs and their data are kept.",
               "{ jobs = \"24h\", content = \"6h\", outputs = \"24h\" }"});
  k.push_back({"cleanup", "orphan_min_age", "duration > 0", "\"1h\"",
               "Unreferenced files younger than this are never deleted.", "\"1h\""});
  k.push_back({"cleanup.retain", "jobs", "duration > 0", "\"24h\"",
               "Finished jobs (and their records) older than this are deleted.", "\"24h\""});
  k.push_back({"cleanup.retain", "content", "duration > 0", "\"6h\"",
               "Content items of finished jobs older than this are deleted.", "\"6h\""});
  k.push_back({"cleanup.retain", "outputs", "duration > 0", "\"24h\"",
               "Output files of finished jobs older than this are deleted.", "\"24h\""});

  // [log]
  k.push_back({"log", "level", "string", "\"info\"",
               "Least severe level logged: trace, debug, info, warn or error.", "\"debug\""});
  k.push_back({"log", "file", "path", "none (stderr only)", "Also write the log to this file.",
               "\"/var/log/weft/node.log\""});

  // [[node]]
  k.push_back({"node", "name", "string", "required",
               "Unique node name (letters, digits, `.`, `_`, `-`); chosen with --node NAME or "
               "matched against the host name.",
               "\"ext1\""});
  k.push_back({"node", "role", "string", "required", "`master` (exactly one) or `extension`.",
               "\"extension\""});
  k.push_back({"node", "listen", "HOST:PORT", "required", "Address the node listens on.",
               "\"0.0.0.0:4242\""});
  k.push_back({"node", "advertise", "HOST:PORT", "listen",
               "Address other nodes and shells dial. Required on the master when it listens "
               "on 0.0.0.0 and the cluster has extensions.",
               "\"10.0.0.10:4242\""});
  k.push_back(
      {"node", "merge_engines", "integer 0..1024", "1", "Merge engines this node runs.", "4"});
  k.push_back(
      {"node", "weaver_engines", "integer 0..1024", "1", "Weaver engines this node runs.", "1"});
  k.push_back({"node", "database_sweep", "boolean",
               "false (true on the master when no node sets it)",
               "This node runs the database sweep (at most one node; the one next to the "
               "database).",
               "true"});
  return k;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<key_info>& known_keys() {
  static const std::vector<key_info> keys = make_known_keys();
  return keys;
}

std::vector<std::string_view> keys_of(std::string_view table) {
  std::vector<std::string_view> names;
  for (const auto& k : known_keys())
    if (k.table == table) names.push_back(k.key);
  return names;
}

std::optional<std::string_view> closest_key(std::string_view unknown,
                                            const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (auto candidate : candidates) {
    const auto d = edit_distance(unknown, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (!best) return std::nullopt;
  const std::size_t longer = std::max(unknown.size(), best->size());
  if (best_distance <= 2 || best_distance * 3 <= longer) return best;
  return std::nullopt;
}

}  // namespace weft::config
