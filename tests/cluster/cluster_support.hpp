#pragma once

// Helpers for the cluster system tests: a fresh MariaDB database per test
// case, a master and extensions as real `caf-node run` processes on free
// loopback ports sharing that database and one file store, client commands
// (`submit`, `job`, `drain`) and the exactly-once check on a job's outputs.
//
// Nothing here uses Boost.Test: set-up problems throw std::runtime_error with
// the reason (and the node logs), which fails the test case that met them.
// The MariaDB server comes from WEFT_TEST_MARIADB_URL and
// WEFT_TEST_MARIADB_PASSWORD_FILE; without them every case fails, never skips.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace soci {
class session;
}

namespace weft::test::cluster {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// A fresh, empty MariaDB database `weft_c<pid>_<n>` on the test server,
/// dropped by the destructor. Queries go through a session of its own.
class fresh_database {
 public:
  /// Throws with instructions when the environment names no server.
  fresh_database();
  ~fresh_database();
  fresh_database(const fresh_database&) = delete;
  fresh_database& operator=(const fresh_database&) = delete;

  const std::string& name() const { return name_; }
  /// mariadb://USER@HOST:PORT/NAME, for `[database].url`.
  const std::string& url() const { return url_; }
  const std::string& password_file() const { return password_file_; }

  /// The first column of every row of `sql`, as text ("" for NULL). Use
  /// CONCAT_WS to read several columns.
  std::vector<std::string> column(const std::string& sql);
  /// The single integer `sql` returns (0 for NULL or no row).
  long long scalar(const std::string& sql);

 private:
  soci::session& session();

  std::string name_;
  std::string url_;
  std::string password_file_;
  std::string admin_connect_;  ///< the base database, for CREATE/DROP
  std::string connect_;        ///< this database
  std::unique_ptr<soci::session> session_;
};

/// One node of a topology file.
struct node_entry {
  std::string name;
  std::string role;  ///< "master" or "extension"
  uint16_t port = 0;
  int merge_engines = 2;
  int weaver_engines = 1;
};

/// Everything a topology file of the test cluster says.
struct topology_spec {
  std::string cluster_name = "weft-cluster-test";
  std::string secret_file;
  std::string database_url;
  std::string password_file;
  std::string files_root;
  std::string heartbeat = "100ms";
  std::string node_timeout = "500ms";
  std::string retry_initial = "100ms";
  int retry_threshold = 50;
  std::string retry_prolonged = "1s";
  std::string extra;  ///< appended before the nodes, e.g. `[scheduler]` tables
  std::vector<node_entry> nodes;
};

std::string topology_text(const topology_spec& t);

/// One `caf-node run --config T --node NAME` process; it can be started again
/// (a restart), each run with its own log files.
class node_process {
 public:
  node_process(std::string name, std::string dir);
  ~node_process();

  const std::string& name() const { return name_; }
  /// Starts the node with `topology`; `env` holds NAME=VALUE assignments for
  /// this process only.
  void start(const std::string& topology, const std::vector<std::string>& env = {});
  bool running() const;
  void signal(int sig);
  /// SIGKILL, then waits until the process is gone.
  void kill();
  /// Waits for the process to exit; its exit code, or nothing on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  int runs() const { return runs_; }

  /// The log (stderr) of the current, or last, run.
  std::string log() const;
  /// How often `text` occurs in the current run's log.
  int count(const std::string& text) const;
  /// Waits until `text` occurs at least `times` times in the current run's log.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                    int times = 1) const;
  /// The last lines of the current run's log, for failure messages.
  std::string tail(std::size_t lines = 60) const;

 private:
  std::string name_;
  std::string dir_;
  int runs_ = 0;
  std::unique_ptr<child_process> process_;
};

/// How a test cluster looks.
struct cluster_options {
  int extensions = 2;
  int master_merge = 2;
  int master_weaver = 1;
  int extension_merge = 2;
  int extension_weaver = 1;
  std::string extra;  ///< extra topology text (e.g. `[scheduler]` tables)
};

/// A master ("master") and extensions ("ext1", "ext2", …), one shared topology
/// file, one fresh database, one file store, a free port per node.
class test_cluster {
 public:
  explicit test_cluster(cluster_options options = {});
  ~test_cluster();

  fresh_database& db() { return *db_; }
  const std::string& dir() const { return dir_.path(); }
  /// The shared topology file every node reads.
  const std::string& topology() const { return topology_path_; }
  /// The spec the shared topology was written from, to derive variants.
  const topology_spec& spec() const { return spec_; }
  /// Writes `spec` as `file` in the cluster's directory; returns its path.
  std::string write_topology(const std::string& file, const topology_spec& spec) const;

  node_process& master() { return node("master"); }
  node_process& node(const std::string& name);
  std::vector<std::string> extension_names() const;

  /// Starts the master and waits (30 s) until it listens.
  void start_master();
  /// Starts an extension; with `wait_joined` waits (30 s) until the master
  /// and the extension both report the join.
  void start_extension(const std::string& name, bool wait_joined = true);
  /// The master, then every extension, each joined.
  void start_all();

  /// 127.0.0.1:PORT of the master.
  std::string connect() const;
  /// `caf-node ARGS… --connect MASTER --config TOPOLOGY`.
  run_result client(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) const;
  /// Submits the sample invoices (txt) without waiting; returns the job id.
  int64_t submit(const std::string& data, const std::string& format = "txt");
  /// `caf-node job ID [--wait]`: the job's JSON.
  std::string job_json(int64_t id, bool wait, std::chrono::milliseconds timeout = 60s);
  /// Waits (`timeout`) for the job to finish; returns its final JSON. Throws
  /// with the logs when it does not.
  std::string wait_for_job(int64_t id, std::chrono::milliseconds timeout = 240s);

  /// The tails of every node's log, for failure messages.
  std::string logs() const;

 private:
  cluster_options options_;
  temp_dir dir_;
  std::unique_ptr<fresh_database> db_;
  topology_spec spec_;
  std::string topology_path_;
  std::map<std::string, std::unique_ptr<node_process>> nodes_;
};

/// A job as `caf-node job` prints it.
struct job_view {
  std::string state;
  int64_t records = 0;
  std::string error;
  std::vector<std::string> outputs;  ///< output file paths
  int64_t documents = 0;             ///< sum over the outputs
};
job_view parse_job(const std::string& json);

/// The path of `count` sample invoices (NDJSON), generated once per process.
std::string invoices(int64_t count);
/// The sample invoice template.
std::string invoice_template();

/// How often each invoice number ("INV-000042") occurs as "Invoice INV-…" in
/// the files.
std::map<std::string, int> invoice_counts(const std::vector<std::string>& paths);
/// "" when invoices 1..records each occur exactly once and no other occurs;
/// else what is wrong (the first few problems).
std::string exactly_once_problems(const std::map<std::string, int>& seen, int64_t records);

/// Milliseconds since `since`.
long long ms_since(steady::time_point since);

}  // namespace weft::test::cluster
