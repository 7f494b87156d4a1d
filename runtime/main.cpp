// caf-node: the one Weft binary. This file only parses the
// command line and dispatches; each command lives in its own file.

#include <malloc.h>
#include <mysql.h>
#include <soci/version.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <caf/config.hpp>
#include <iostream>
#include <optional>

#include "config/advice.hpp"
#include "config/topology.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"
#include "runtime/logging.hpp"
#include "runtime/node.hpp"
#include "runtime/signal_waiter.hpp"
#include "runtime/webhook_dispatcher.hpp"
#include "weft/version.hpp"

namespace {

using namespace weft;
using runtime::exit_code;

std::optional<std::string> opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>{s};
}

int cmd_version() {
  std::cout << "caf-node (Weft) " << weft::version << "\n"
            << "git revision: " << weft::git_revision << "\n"
            << "CAF: " << CAF_MAJOR_VERSION << "." << CAF_MINOR_VERSION << "." << CAF_PATCH_VERSION
            << "\n"
            << "SOCI: " << SOCI_VERSION / 100000 << "." << SOCI_VERSION / 100 % 1000 << "."
            << SOCI_VERSION % 100 << "\n"
            << "MariaDB Connector/C: " << mysql_get_client_info() << "\n"
            << "SQLite: " << sqlite3_libversion() << "\n";
  return runtime::exit_ok;
}

int cmd_check(const std::string& config_file, const std::string& node) {
  try {
    auto s = config::load_topology(config_file, opt(node));
    std::cout << config::describe(s);
    for (const auto& warning : config::advice(s))
      std::cerr << "caf-node: warning: " << warning << "\n";
    return runtime::exit_ok;
  } catch (const config::config_error& e) {
    std::cerr << "caf-node: config error: " << e.what() << "\n";
    return runtime::exit_usage;
  }
}

int cmd_run(const std::string& config_file, const std::string& node) {
  config::settings s;
  try {
    s = config::load_topology(config_file, opt(node));
  } catch (const config::config_error& e) {
    std::cerr << "caf-node: config error: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  runtime::block_stop_signals();  // before the first thread (the log's flush thread)
  try {
    runtime::init_logging(s.log, s.this_node().name);
  } catch (const std::exception& e) {
    std::cerr << "caf-node: " << e.what() << "\n";
    return runtime::exit_usage;
  }
  int code = runtime::run_node(s);
  runtime::shutdown_logging();
  return code;
}

void add_connect_options(CLI::App* cmd, runtime::connect_args& a) {
  cmd->add_option("--connect", a.connect,
                  "the node, HOST:PORT; several master candidates comma-separated "
                  "(HOST:PORT,HOST:PORT): follow the active master");
  cmd->add_option("--topology", a.topology,
                  "follow the active master among this topology's master candidates (the "
                  "secret too, unless --secret-file or --config)");
  cmd->add_option("--secret-file", a.secret_file, "the cluster secret");
  cmd->add_option("--config", a.config_file, "read the cluster secret from this topology");
  cmd->add_option("--timeout-ms", a.timeout_ms, "limit of every request to the node")
      ->capture_default_str();
  cmd->add_option("--reconnect-timeout-ms", a.reconnect_timeout_ms,
                  "following the master: how long to look for it (at start, after a lost "
                  "connection)")
      ->capture_default_str();
  cmd->add_option("--tls-ca", a.tls_ca, "mutual TLS: the cluster's CA certificate (PEM)");
  cmd->add_option("--tls-cert", a.tls_cert, "mutual TLS: this client's certificate (PEM)");
  cmd->add_option("--tls-key", a.tls_key, "mutual TLS: this client's private key (PEM, mode 600)");
}

}  // namespace

int main(int argc, char** argv) {
  // libharu allocates and frees a great deal per page; without this glibc
  // hands memory back to the kernel after every page and PDF output runs at
  // half speed (measured with weft_document_bench). Same setting in the
  // bare-loop benchmark, so that the comparison stays fair.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  CLI::App app{"caf-node: the Weft document-processing node and its clients"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string{"caf-node (Weft) "} + weft::version);

  std::string config_file, node;
  auto* run = app.add_subcommand("run", "run this machine's node until SIGTERM/SIGINT");
  run->add_option("--config", config_file, "the topology file")->required();
  run->add_option("--node", node, "this node's name in the topology");

  auto* check = app.add_subcommand("check", "validate the config and print the effective settings");
  check->add_option("--config", config_file, "the topology file")->required();
  check->add_option("--node", node, "this node's name in the topology");

  auto* version = app.add_subcommand("version", "print versions of Weft and its libraries");

  auto* webhook_key = app.add_subcommand(
      "webhook-key", "print the key that signs webhooks of jobs submitted with the cluster secret");
  webhook_key->add_option("--config", config_file, "the topology file")->required();

  runtime::submit_args sub;
  auto* submit = app.add_subcommand("submit", "submit a job to a node");
  add_connect_options(submit, sub);
  runtime::add_submit_options(*submit, sub);

  runtime::shell_args sh;
  auto* shell = app.add_subcommand("shell", "the actor inspection shell (docs/shell.md)");
  add_connect_options(shell, sh);
  auto* shell_command = shell->add_option("-c", sh.command, "run this one command and exit");
  shell->add_flag("--json", sh.json, "print the node's answers as JSON, one line each");
  shell->add_option("--history", sh.history_file, "the history file (default: ~/.weft_history)");

  runtime::connect_args job_conn;
  int64_t job_id = 0;
  bool job_wait = false;
  auto* job = app.add_subcommand("job", "show a job's state and outputs (JSON)");
  add_connect_options(job, job_conn);
  job->add_option("id", job_id, "the job id")->required();
  job->add_flag("--wait", job_wait, "wait until the job is finished");

  runtime::connect_args drain_conn;
  std::string drain_node;
  bool drain_off = false;
  auto* drain = app.add_subcommand("drain", "drain a node for maintenance (no new work)");
  add_connect_options(drain, drain_conn);
  drain->add_option("--node", drain_node, "the node to drain")->required();
  drain->add_flag("--off", drain_off, "undrain: give the node work again");

  std::string cleanup_action;
  int cleanup_limit = 20;
  auto* cleanup =
      app.add_subcommand("cleanup", "the clean-up service: run a sweep, its history, leases");
  cleanup->add_option("action", cleanup_action, "run, history or leases")->required();
  cleanup->add_option("--config", config_file, "the topology file")->required();
  cleanup->add_option("--node", node, "this node's name in the topology");
  cleanup->add_option("-n", cleanup_limit, "how many sweeps of the history")->capture_default_str();

  runtime::token_args tok;
  auto* token = app.add_subcommand(
      "token",
      "the REST API's bearer tokens: create NAME --scope S [--expires D], list, revoke NAME");
  token->add_option("action", tok.action, "create, list or revoke")->required();
  token->add_option("name", tok.name, "the token's name (create, revoke)");
  token->add_option("--scope", tok.scope, "create: submit, read or admin")->capture_default_str();
  token->add_option("--expires", tok.expires,
                    "create: valid for this long (\"720h\"); default: no expiry");
  token->add_option("--config", config_file, "the topology file")->required();

  runtime::render_args ren;
  auto* render = app.add_subcommand("render", "render one record locally (template preview)");
  render->add_option("--template", ren.template_file, "the Mustache template")->required();
  render->add_option("--data", ren.data, "the data file")->required();
  render->add_option("--data-format", ren.data_format,
                     "csv, tsv, ndjson, json or xml (default: by extension)");
  render->add_option("--data-encoding", ren.data_encoding, "as for submit (default: utf-8)");
  render->add_option("--csv-delimiter", ren.csv_delimiter, ", ; | tab or auto (default: auto)");
  render->add_option("--record-path", ren.record_path, "where the records are in JSON or XML");
  render->add_option("--format", ren.format, "escaping as for pdf, txt or html")
      ->capture_default_str();
  render->add_option("--record", ren.record, "which record, from 1")->capture_default_str();
  render->add_option("--out", ren.out, "pdf: lay the record out into this PDF file");
  render->add_option("--png", ren.png, "pdf: also paint the first page into this PNG file");
  render->add_option("--resources", ren.resources, "pdf: the directory of the images");
  render->add_flag("--strict", ren.strict,
                   "pdf: what is outside the template subset is an error, not a warning");

  runtime::certs_args cert;
  auto* certs = app.add_subcommand(
      "certs",
      "create the cluster's TLS certificates: create-ca DIR, create-node DIR NAME "
      "[--host H]..., create-client DIR NAME");
  certs->add_option("action", cert.action, "create-ca, create-node or create-client")->required();
  certs->add_option("dir", cert.dir, "the directory of ca.pem/ca.key and the new files")
      ->required();
  certs->add_option("name", cert.name, "the node's or client's name (create-node, create-client)");
  certs->add_option("--host", cert.hosts,
                    "create-node: a host name or IP address peers dial (repeatable)");
  certs->add_option("--days", cert.days, "validity (default: CA 3650, others 730)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? runtime::exit_ok : runtime::exit_usage;
  }
  if (*version) return cmd_version();
  if (*check) return cmd_check(config_file, node);
  if (*webhook_key) {
    try {
      auto s = config::load_topology_for_client(config_file);
      std::cout << runtime::cluster_webhook_key(s.cluster.secret) << "\n";
      return runtime::exit_ok;
    } catch (const config::config_error& e) {
      std::cerr << "caf-node: config error: " << e.what() << "\n";
      return runtime::exit_usage;
    }
  }
  if (*run) return cmd_run(config_file, node);
  if (*submit || *job || *drain || *shell) runtime::init_client_logging();
  if (*submit) {
    return runtime::cmd_submit(sub);
  }
  if (*shell) {
    sh.one_command = shell_command->count() > 0;
    return runtime::cmd_shell(sh);
  }
  if (*render) return runtime::cmd_render(ren);
  if (*certs) return runtime::cmd_certs(cert);
  if (*job) return runtime::cmd_job(job_conn, job_id, job_wait);
  if (*cleanup) {
    runtime::init_client_logging();
    return runtime::cmd_cleanup(cleanup_action, config_file, node, cleanup_limit);
  }
  if (*token) {
    runtime::init_client_logging();
    tok.config_file = config_file;
    return runtime::cmd_token(tok);
  }
  if (*drain) return runtime::cmd_drain(drain_conn, drain_node, !drain_off);
  return runtime::exit_usage;
}
