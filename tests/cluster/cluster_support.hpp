#pragma once

// Helpers for the cluster system tests: a master and extensions as real
// `caf-node run` processes (tests/support/node_process.hpp) on reserved loopback
// ports (tests/support/test_port.hpp) sharing a fresh MariaDB database
// (tests/support/fresh_database.hpp) and one file store; client commands
// (`submit`, `job`, `drain`, the shell) and the invoices of a job's outputs.
//
// A node counts as started when its state says so, never its log: the master
// when it answers the shell, an extension when its row in `nodes` shows a new
// join and it reaches the master through the shell (docs/shell.md).
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
#include "tests/support/fresh_database.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/sample_invoices.hpp"
#include "tests/support/shell_client.hpp"

namespace weft::test::cluster {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// One node of a topology file.
struct node_entry {
  std::string name;
  std::string role;  ///< "master" or "extension"
  uint16_t port = 0;
  int merge_engines = 2;
  int weaver_engines = 1;
  int master_priority = -1;  ///< written for master candidates when >= 0
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
  std::string master_lease;  ///< "" : the default (1.5 × node_timeout)
  std::string extra;         ///< appended before the nodes, e.g. `[scheduler]` tables
  std::vector<node_entry> nodes;
};

std::string topology_text(const topology_spec& t);

/// How a test cluster looks.
struct cluster_options {
  int extensions = 2;
  int master_merge = 2;
  int master_weaver = 1;
  int extension_merge = 2;
  int extension_weaver = 1;
  std::string extra;  ///< extra topology text (e.g. `[scheduler]` tables)
  /// Master failover: a second master candidate "master2" (lower master_priority than
  /// "master"), which stands by as an extension until it takes over.
  /// The default comes from WEFT_TEST_MASTERS=2, so that CTest runs the failure,
  /// expected-totals and drain suites again with two candidates (their `*_two_masters`
  /// entries): start_all() starts both, clients connect to every candidate, and
  /// active_master() names the one to kill.
  bool standby_master = two_masters_from_environment();
  std::string master_lease;  ///< topology_spec::master_lease
  /// Mutual TLS between every node and client: a CA and one node certificate (for
  /// 127.0.0.1) made with runtime/certs in the cluster's directory, in `[tls]`. The
  /// default comes from WEFT_TEST_TLS=1, so that CTest runs the same suites over TLS.
  bool tls = tls_from_environment();

  static bool tls_from_environment();
  static bool two_masters_from_environment();

  /// A master alone.
  static cluster_options master_only() {
    cluster_options o;
    o.extensions = 0;
    return o;
  }
};

/// A master ("master") and extensions ("ext1", "ext2", …), one shared topology
/// file, one fresh database, one file store, a reserved port per node.
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

  /// Starts the master and waits (30 s) until it answers the shell. Throws with
  /// the logs when it does not.
  void start_master();
  /// Starts the standby candidate "master2" (or `name`) and waits (30 s) until it joined
  /// the active master as an extension; `env` (NAME=VALUE) for its process only.
  void start_standby(const std::string& name = "master2", const std::vector<std::string>& env = {});
  /// Whether the cluster has a second master candidate, "master2".
  bool has_standby() const { return options_.standby_master; }
  /// The active master: the lease holder (waited for, 30 s); "master" without a standby.
  /// Throws with the logs when no candidate holds the lease.
  std::string active_master();
  /// Starts a killed master candidate again: without a standby "master" as the master
  /// (start_master); with one, it joins the candidate that took over as a standby (waits
  /// until another candidate holds the lease, then as start_standby).
  void restart_candidate(const std::string& name);
  /// The node holding the scheduler lease ("" none), its token, and whether it expired.
  std::string lease_holder(int64_t* token = nullptr);
  /// 127.0.0.1:PORT of every master candidate, comma-separated.
  std::string candidates_connect() const;
  /// Starts an extension; with `wait_joined` waits (30 s) until it joined
  /// (joined()). Throws with the logs when it does not.
  void start_extension(const std::string& name, bool wait_joined = true);
  /// The master, the standby candidate if there is one, then every extension, each joined.
  void start_all();

  /// `nodes.joined_at` of `name` as text ("" when it has no row): it changes with
  /// every join, so a rejoin shows as a new value.
  std::string joined_at(const std::string& name);
  /// Whether `name` has joined since its `nodes.joined_at` was `before`, as both
  /// sides see it: the master wrote a newer row (state up or draining), and a
  /// cluster command through the extension reaches the master.
  bool joined(const std::string& name, const std::string& before);
  /// `nodes.state` of `name` ("" when it has no row).
  std::string node_state(const std::string& name);

  /// 127.0.0.1:PORT of the master (the node use_master named; default "master").
  std::string connect() const;
  /// Points client() and connect() at another master candidate (after a take-over).
  void use_master(const std::string& name) { active_ = name; }
  /// 127.0.0.1:PORT of a node.
  std::string address(const std::string& node) const;
  /// The shell's way to a node (default: the master) with the cluster's topology.
  shell_target via(const std::string& node = "master") const;
  /// The JSON answer of a shell command through `node`; throws when it fails.
  nlohmann::json answer(const std::string& command, const std::string& node = "master") const;
  /// `caf-node ARGS… --connect MASTER --config TOPOLOGY`; with a standby candidate from
  /// WEFT_TEST_MASTERS=2, --connect names every candidate (the client follows the lease).
  run_result client(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) const;
  /// Submits the sample invoices (txt, or `format`: pdf output is checked through pdftotext)
  /// without waiting; returns the job id.
  int64_t submit(const std::string& data, const std::string& format = "txt");
  /// `caf-node job ID [--wait]`: the job's JSON.
  std::string job_json(int64_t id, bool wait, std::chrono::milliseconds timeout = 60s);
  /// Waits (`timeout`) for the job to finish; returns its final JSON. Throws
  /// with the logs when it does not.
  std::string wait_for_job(int64_t id, std::chrono::milliseconds timeout = 240s);

  /// The `[tls]` table of the cluster's topology ("" without TLS).
  const std::string& tls_table() const { return tls_table_; }

  /// The tails of every node's log, for failure messages.
  std::string logs() const;

 private:
  /// Gives `name` another reserved port and rewrites the shared topology.
  std::string move_port(const std::string& name);

  cluster_options options_;
  temp_dir dir_;
  std::unique_ptr<fresh_database> db_;
  topology_spec spec_;
  std::string topology_path_;
  std::string tls_table_;
  std::map<std::string, std::unique_ptr<node_process>> nodes_;
  std::string active_ = "master";
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

/// How often each invoice number ("INV-000042") occurs as "Invoice INV-…" in
/// the files (a .pdf file's text from pdftotext).
std::map<std::string, int> invoice_counts(const std::vector<std::string>& paths);
/// Milliseconds since `since`.
long long ms_since(steady::time_point since);

}  // namespace weft::test::cluster
