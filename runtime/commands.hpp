#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace weft::runtime {

class client;
class client_link;

/// How a client command reaches a node and proves the cluster secret.
struct connect_args {
  std::string connect;      ///< HOST:PORT, or several comma-separated: follow the active master
  std::string topology;     ///< or: every master candidate of this topology (and its secret)
  std::string secret_file;  ///< or:
  std::string config_file;  ///< read the secret from the topology
  int timeout_ms = 10000;   ///< every request's limit
  int reconnect_timeout_ms = 30000;  ///< following the master: finding it again at most this long
  /// Mutual TLS: the CA, our certificate and key (`caf-node certs create-client`); unset and
  /// --config given: the topology's [tls] (a node's files). None: plain TCP.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

/// `caf-node submit`.
struct submit_args : connect_args {
  std::string data;
  std::string data_format;  ///< csv, tsv, ndjson, json, xml; empty: from the extension
  /// How the data is read (docs/jobs.md "Data"); empty or false: the defaults.
  std::string csv_delimiter;
  std::string csv_quote;
  bool csv_no_header = false;
  std::vector<std::string> csv_columns;
  int64_t csv_skip_lines = 0;
  std::string data_encoding;
  std::string record_path;
  bool strict = false;
  std::string template_file;
  std::string format = "pdf";
  std::string sort_by;
  std::string group_by;
  int64_t split_every = 0;
  std::string name;          ///< base name of the outputs; default: the template's
  std::string resources;     ///< folder of images and fonts sent with the job; empty: none
  std::string callback_url;  ///< webhook when the job ends ("" for none)
  bool wait = false;
  std::string out_dir;
};
int cmd_submit(const submit_args& args);

/// Declares the job options of `caf-node submit` (--data, --template,
/// --format, ...; not the connection options) on `app`, bound to `args`:
/// the one definition used by `caf-node submit` and by the shell's `submit`.
void add_submit_options(CLI::App& app, submit_args& args);

/// The work of `caf-node submit` on a connection that is already open (the
/// shell's): checks the arguments, uploads, submits, and with --wait/--out
/// follows the job. Prints what `caf-node submit` prints; answers its exit
/// code (never throws). The connection fields of `args` are not used.
int run_submit(client_link& link, const submit_args& args);

/// `caf-node job ID [--wait]`: a job's state and outputs as JSON.
int cmd_job(const connect_args& args, int64_t id, bool wait);

/// `caf-node drain --node NAME [--off]`: maintenance (until the shell offers it).
int cmd_drain(const connect_args& args, const std::string& node, bool on);

/// `caf-node cleanup run|history|leases --config T [--node N] [-n N]`: the
/// clean-up service from the command line (until the shell offers it). Works
/// on the database directly: no node needs to run.
/// `caf-node token create|list|revoke` (docs/api.md "Tokens").
struct token_args {
  std::string action;  ///< create, list, revoke
  std::string name;
  std::string scope = "read";
  std::string expires;  ///< a duration ("720h"); empty: never
  std::string config_file;
};
int cmd_token(const token_args& args);

int cmd_cleanup(const std::string& action, const std::string& config_file, const std::string& node,
                int limit);

/// `caf-node shell` (docs/shell.md): the actor inspection shell.
struct shell_args : connect_args {
  bool one_command = false;  ///< -c was given
  std::string command;       ///< -c CMD
  bool json = false;         ///< --json
  std::string history_file;  ///< --history; empty: ~/.weft_history
};
int cmd_shell(const shell_args& args);

/// `caf-node certs create-ca DIR | create-node DIR NAME [--host H]... | create-client DIR NAME`.
struct certs_args {
  std::string action;
  std::string dir;
  std::string name;
  std::vector<std::string> hosts;
  int days = 0;  ///< 0: the default (CA 10 years, others 2)
};
int cmd_certs(const certs_args& args);

/// `caf-node render`: one record through the template, no node needed.
struct render_args {
  std::string template_file;
  std::string data;
  std::string data_format;
  std::string data_encoding;   ///< as submit's; empty: UTF-8 (UTF-16 by its BOM)
  std::string csv_delimiter;   ///< as submit's; empty: auto
  std::string record_path;     ///< as submit's
  std::string format = "txt";  ///< decides the escaping of {{x}}: html/pdf escape, txt does not
  int64_t record = 1;
  std::string out;        ///< pdf: the preview file (else the merged text goes to stdout)
  std::string png;        ///< pdf: also the first page as a PNG image
  std::string resources;  ///< pdf: the directory images are taken from
  bool strict = false;    ///< pdf: anything outside the template subset is an error
};
int cmd_render(const render_args& args);

}  // namespace weft::runtime
