#pragma once

// The validated topology (docs/configuration.md) as plain structs. The initial value of each
// field is its key's default, written here and nowhere else: the key table
// (config/known_keys.cpp) points at these fields and renders their defaults for the docs,
// `caf-node check` and `set`; config_known_keys_test checks that the loader leaves them alone
// when a key is absent.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::config {

/// Durations are kept in milliseconds; the TOML spelling is "250ms", "15m", "24h".
using duration = std::chrono::milliseconds;

/// A host and a port, as written in `listen` and `advertise` ("10.0.0.10:4242").
struct endpoint {
  std::string host;
  uint16_t port = 0;
  /// "HOST:PORT"; an IPv6 host is written in brackets ("[::1]:4242").
  std::string to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

enum class node_role { master, extension };

/// One `[[node]]` entry of the topology.
struct node_settings {
  std::string name;
  node_role role = node_role::extension;
  endpoint listen;
  endpoint advertise;
  int merge_engines = 1;
  int weaver_engines = 1;
  bool database_sweep = false;
  /// Master failover: among several `role = "master"` candidates, the higher one takes the
  /// scheduler lease first (docs/cluster.md "Master failover"). Unique among candidates.
  int master_priority = 0;
  /// This node's own certificate and key; empty: `[tls]` cert_file/key_file.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// The HTTP API's address (`http_listen`); empty host and port 0: no HTTP API.
  endpoint http_listen;
};

/// `[cluster]`.
struct cluster_settings {
  std::string name;
  std::string secret_file;  ///< path; the secret itself is in `secret`
  std::string secret;       ///< contents of secret_file, trailing newline stripped
  duration heartbeat{250};
  duration node_timeout{1000};
  /// Join back-off: retry every `retry_initial` for `retry_threshold` attempts,
  /// then every `retry_prolonged`.
  duration retry_initial{500};
  int retry_threshold = 20;
  duration retry_prolonged{5000};
  duration request_timeout{5000};  ///< upper bound for any request between nodes
  /// Master failover: how long the scheduler lease lasts without renewal; 0 means
  /// 1.5 × node_timeout, at least 3 heartbeats (use lease() for the effective value):
  /// a take-over under 2 s with the defaults.
  duration master_lease{0};
  duration lease() const {
    return master_lease.count() > 0 ? master_lease : std::max(node_timeout * 3 / 2, heartbeat * 3);
  }
};

/// `[database]`; absent means the embedded SQLite default under `[files].root`.
struct database_settings {
  bool embedded = true;     ///< true: SQLite file `sqlite_path`
  std::string sqlite_path;  ///< for the embedded default: <files.root>/weft.db
  std::string url;          ///< as written, e.g. "mariadb://weft@10.0.0.5:3306/weft"
  std::string user;
  std::string host;
  uint16_t port = 3306;
  std::string name;  ///< database (schema) name
  std::string password_file;
  std::string password;  ///< contents of password_file, trailing newline stripped
  int pool_size = 4;
  duration connect_timeout{3000};
  std::string tls_ca_file;    ///< MariaDB over TLS: the CA that signed the server's certificate
  std::string tls_cert_file;  ///< optional client certificate (with tls_key_file)
  std::string tls_key_file;   ///< its private key (mode 600)
};

/// `[files]`.
struct files_settings {
  std::string root;  ///< shared file store seen by every node
  /// The cluster's resource folder (images, fonts), relative to `root`; used by the jobs
  /// submitted without --resources. May be absent on disk (no cluster resources).
  std::string resources = "resources";
};

/// Per engine type: `[scheduler.merge]` and `[scheduler.weaver]`.
struct engine_scheduling {
  /// Expected number of remote engines; unset means the sum over the extensions.
  std::optional<int> expected_remote;
  int parallel_medium = 2;
  int parallel_large = 8;
  int reserved_small = 0;
  int reserved_medium = 0;
  int reserved_large = 0;
  int additional_engine_every = 100;
};

/// `[scheduler]`, read by the master only.
struct scheduler_settings {
  int64_t max_records_small = 100;
  int64_t min_records_large = 10000;
  engine_scheduling merge;
  engine_scheduling weaver;
  int min_batch_size = 10;     ///< adaptive batch sizing lower bound (records)
  int max_batch_size = 1000;   ///< adaptive batch sizing upper bound (records)
  int batches_per_engine = 4;  ///< aim for this many batches per granted engine
  int prefetch = 2;            ///< batches an engine holds at most (issue 15)
  /// Merge batches are cut and merged while the job is still mapping (issue 15).
  bool merge_while_mapping = false;
};

/// `[cleanup]`.
struct cleanup_settings {
  std::string schedule = "*/15 * * * *";  ///< cron expression; empty when `interval` is used
  std::optional<duration> interval;       ///< set instead of `schedule`
  bool run_at_startup = false;
  duration lock_at_most{10 * 60 * 1000};
  duration lock_at_least{30 * 1000};
  int batch_size = 1000;
  /// After each delete transaction the database sweep pauses this percentage of the time
  /// the transaction took, so that production keeps its share of the database (0: none).
  int pause_percent = 100;
  duration retain_jobs{24 * 3600 * 1000};
  duration retain_content{6 * 3600 * 1000};
  duration retain_outputs{24 * 3600 * 1000};
  duration orphan_min_age{3600 * 1000};
};

/// `[jobs]`: limits that make a poison job fail instead of crashing or wedging a node
/// (docs/jobs.md#limits). Read by every node: engines render, the master schedules.
struct jobs_settings {
  int max_section_depth = 100;  ///< sections nested in one template (refused at compile time)
  int max_partial_depth = 10;   ///< partials nested while rendering one record
  int64_t max_record_output = 16 * 1024 * 1024;  ///< bytes one record may render to
  int64_t max_document_pages = 10000;            ///< pages one document may fill (PDF, txt)
  duration max_batch_time{5 * 60 * 1000};        ///< render time of one batch
  int max_attempts = 3;  ///< tries of one batch (engine lost, master restarted) before failing
  int64_t max_image_bytes = 10 * 1024 * 1024;  ///< bytes of one image a PDF template shows
  // A job's resources (submit --resources), checked by the node receiving them.
  int64_t max_resource_size = int64_t{16} << 20;    ///< bytes of one resource file
  int64_t max_resources_size = int64_t{256} << 20;  ///< bytes of one job's resources, together
  int max_resources = 1000;                         ///< resource files one job may have
  int max_warnings = 100;  ///< distinct layout warnings kept per job (and per output file)
};

/// `[log]`.
struct log_settings {
  std::string level = "info";             ///< trace, debug, info, warn, error
  std::string file;                       ///< optional; empty means stderr only
  int64_t max_size = int64_t{100} << 20;  ///< bytes; the file rotates when it would grow past
  int max_files = 5;                      ///< rotated files kept besides the current one
};

/// `[limits]`: what one node gives its clients and strangers at most.
struct limits_settings {
  duration session_idle_timeout{10 * 60 * 1000};  ///< a session without a request ends
  int max_sessions = 64;                          ///< authenticated sessions per node
  int64_t max_upload_size = int64_t{4} << 30;     ///< bytes in a session's uploads, all files
  int pending_handshakes = 10000;        ///< unanswered challenges per node (oldest evicted)
  int pending_handshakes_per_peer = 16;  ///< unanswered challenges per peer (oldest evicted)
};

/// `[tls]`: mutual TLS on every connection (docs/cluster.md "TLS and certificates"). Absent
/// (empty ca_file): plain TCP, allowed only when every node is on loopback.
struct tls_settings {
  std::string ca_file;    ///< the cluster's CA certificate (PEM): the trust anchor
  std::string cert_file;  ///< a node's certificate chain (PEM), unless its [[node]] has its own
  std::string key_file;   ///< its private key (PEM, mode 600)
};

/// `[http]`: the REST API's limits (docs/api.md); each node's address is its `http_listen`.
struct http_settings {
  /// Without `[tls]` the API listens on loopback only unless this is true.
  bool allow_plain_remote = false;
  int64_t max_body_size = int64_t{1} << 20;  ///< bytes of a request body (not POST /v1/jobs)
  int max_requests = 64;                     ///< requests served at once; more answer 429
  duration header_timeout{10 * 1000};        ///< a request's header must arrive within
  duration body_timeout{60 * 1000};          ///< its body must arrive within
  duration request_timeout{30 * 1000};       ///< a request's work (the node's actors, database)
  int threads = 2;                           ///< the API's own I/O threads
};

/// The three files one process (a node or a client) uses for TLS; all empty: plain TCP.
struct tls_files {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !ca_file.empty(); }
};

/// `[webhooks]`: a job's `callback_url`, called when the job ends (docs/operations.md
/// "Webhooks"). The master delivers them.
struct webhook_settings {
  duration timeout{10 * 1000};              ///< one delivery attempt, connect to last byte
  duration first_retry{1000};               ///< back-off after the first failed attempt
  duration max_backoff{5 * 60 * 1000};      ///< back-off doubles up to this
  duration retry_for{24 * 60 * 60 * 1000};  ///< then the delivery is given up (state failed)
  /// Comma-separated host names or addresses a callback may name; empty: any host.
  std::string allowed_hosts;
};

/// `[fonts]`: fonts of PDF output beyond fontconfig's (docs/templates.md "Fonts").
struct fonts_settings {
  /// Directories whose fonts are added to fontconfig's for this node's layout engines; each
  /// checked to exist and be readable when the file is loaded. Relative to the topology file.
  std::vector<std::string> dirs;
};

/// The whole topology file, validated, plus the node this process runs as.
struct settings {
  std::string source_file;  ///< the topology file these settings came from
  cluster_settings cluster;
  database_settings database;
  files_settings files;
  scheduler_settings scheduler;
  cleanup_settings cleanup;
  jobs_settings jobs;
  log_settings log;
  limits_settings limits;
  tls_settings tls;
  webhook_settings webhooks;
  http_settings http;
  fonts_settings fonts;
  std::vector<node_settings> nodes;
  std::size_t self = 0;  ///< index into `nodes` of the node this process runs as

  const node_settings& this_node() const { return nodes.at(self); }
  const node_settings& master() const;
  /// Every master candidate (`role = "master"`), highest master_priority first.
  std::vector<const node_settings*> master_candidates() const;
  /// Whether the cluster has more than one master candidate.
  bool has_standby_masters() const { return master_candidates().size() > 1; }
  /// The TLS files of `n` (its own cert/key, else `[tls]`'s); all empty without `[tls]`.
  tls_files node_tls(const node_settings& n) const;
  /// Sum of `merge_engines` (or `weaver_engines`) over the extensions.
  int extension_merge_engines() const;
  int extension_weaver_engines() const;
};

}  // namespace weft::config
