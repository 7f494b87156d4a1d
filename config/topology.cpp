#include "config/topology.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "config/detail/section_readers.hpp"
#include "config/detail/table_reader.hpp"
#include "config/endpoint.hpp"
#include "config/known_keys.hpp"
#include "config/secret_file.hpp"

namespace weft::config {

namespace {

namespace fs = std::filesystem;
using detail::table_reader;

/// Reads the secret or password file named by `key` of `r` (see read_secret_file), reporting
/// a problem at the key's line.
std::string read_private_file(const table_reader& r, std::string_view key,
                              const std::string& path) {
  try {
    return read_secret_file(path);
  } catch (const config_error& e) {
    r.fail(key, e.reason);
  }
}

void read_cluster(const table_reader& root, settings& s) {
  auto t = root.get_table("cluster", "cluster");
  if (!t) root.fail("cluster", "the [cluster] table is required (name, secret_file)");
  t->reject_unknown_keys();
  detail::read_keys(*t, s);
  const auto& c = s.cluster;
  if (c.node_timeout <= c.heartbeat)
    t->fail(t->find("node_timeout") ? "node_timeout" : "heartbeat",
            "node_timeout (" + format_duration(c.node_timeout) +
                ") must be longer than heartbeat (" + format_duration(c.heartbeat) + ")");
  if (c.master_lease.count() > 0 && c.master_lease <= 2 * c.heartbeat)
    t->fail("master_lease", "master_lease (" + format_duration(c.master_lease) +
                                ") must be longer than 2 × heartbeat (" +
                                format_duration(c.heartbeat) +
                                "): the active master renews it every heartbeat");
  if (c.retry_prolonged < c.retry_initial)
    t->fail(t->find("retry_prolonged") ? "retry_prolonged" : "retry_initial",
            "retry_prolonged (" + format_duration(c.retry_prolonged) +
                ") must not be shorter than retry_initial (" + format_duration(c.retry_initial) +
                ")");
  s.cluster.secret = read_private_file(*t, "secret_file", c.secret_file);
  if (s.cluster.secret.size() < min_cluster_secret_size)
    t->fail("secret_file", c.secret_file + " holds " + std::to_string(s.cluster.secret.size()) +
                               " bytes; a cluster secret needs at least " +
                               std::to_string(min_cluster_secret_size) +
                               " (e.g. head -c 32 /dev/urandom | base64 > " + c.secret_file + ")");
}

/// Splits `mariadb://USER@HOST[:PORT]/DB` (or mysql://) into `db`; returns what is wrong.
std::optional<std::string> parse_database_url(const std::string& url, database_settings& db) {
  const std::string form = "expected mariadb://USER@HOST[:PORT]/DB (or mysql://...)";
  std::string_view rest = url;
  if (rest.rfind("mariadb://", 0) == 0) {
    rest.remove_prefix(10);
  } else if (rest.rfind("mysql://", 0) == 0) {
    rest.remove_prefix(8);
  } else {
    return "unsupported database URL `" + url + "`: " + form;
  }
  const auto at = rest.find('@');
  if (at == std::string_view::npos || at == 0) return "the URL names no USER: " + form;
  const auto user = rest.substr(0, at);
  if (user.find(':') != std::string_view::npos)
    return "the URL must not contain a password (it would be shown in logs); put it in "
           "database.password_file";
  rest.remove_prefix(at + 1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return "the URL names no database: " + form;
  const auto address = rest.substr(0, slash);
  const auto name = rest.substr(slash + 1);
  if (name.empty() || name.find_first_of("/?#@: ") != std::string_view::npos)
    return "bad database name `" + std::string(name) + "`: " + form;
  std::string host_port(address);
  const bool has_port =
      !address.empty() && address.back() != ']' && address.find(':') != std::string_view::npos;
  if (!has_port) host_port += ":3306";
  try {
    const auto ep = parse_endpoint(host_port);
    db.host = ep.host;
    db.port = ep.port;
  } catch (const config_error& e) {
    return "bad host or port in the URL: " + e.reason;
  }
  db.url = url;
  db.user = std::string(user);
  db.name = std::string(name);
  return std::nullopt;
}

/// The newest OpenSSL error as text ("no certificate or crl found"), or `fallback`.
std::string openssl_reason(const char* fallback) {
  unsigned long last = 0;
  while (auto e = ERR_get_error()) last = e;
  const char* reason = last ? ERR_reason_error_string(last) : nullptr;
  return reason ? reason : fallback;
}

/// A certificate (chain) or CA file: a readable regular file OpenSSL can load.
std::optional<std::string> certificate_problem(const std::string& path, bool is_ca) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "cannot read " + path + ": no such file";
  if (!fs::is_regular_file(path, ec)) return path + " is not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return "cannot read " + path + ": permission denied";
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!ctx) return "cannot create an OpenSSL context";
  ERR_clear_error();
  const int ok = is_ca ? SSL_CTX_load_verify_locations(ctx.get(), path.c_str(), nullptr)
                       : SSL_CTX_use_certificate_chain_file(ctx.get(), path.c_str());
  if (ok != 1)
    return path + " holds no usable PEM certificate (" + openssl_reason("unreadable") + ")";
  return std::nullopt;
}

/// A private key: private like a secret file (mode 600), and the key of `cert_path`.
std::optional<std::string> key_problem(const std::string& path, const std::string& cert_path) {
  try {
    read_secret_file(path);
  } catch (const config_error& e) {
    return e.reason;
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!ctx) return "cannot create an OpenSSL context";
  ERR_clear_error();
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), path.c_str(), SSL_FILETYPE_PEM) != 1)
    return path + " holds no usable PEM private key (" + openssl_reason("unreadable") + ")";
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_path.c_str()) == 1 &&
      SSL_CTX_check_private_key(ctx.get()) != 1)
    return path + " is not the private key of " + cert_path;
  ERR_clear_error();
  return std::nullopt;
}

void read_database(const table_reader& root, settings& s) {
  auto& db = s.database;
  auto t = root.get_table("database", "database");
  if (!t) {
    db.embedded = true;
    db.sqlite_path = (fs::path(s.files.root) / "weft.db").string();
    return;
  }
  t->reject_unknown_keys();
  db.embedded = false;
  db.sqlite_path.clear();
  detail::read_keys(*t, s);
  const auto url = db.url;
  if (auto problem = parse_database_url(url, db)) t->fail("url", *problem);
  if (!db.password_file.empty())
    db.password = read_private_file(*t, "password_file", db.password_file);
  if (db.tls_cert_file.empty() != db.tls_key_file.empty())
    t->fail(db.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file",
            "tls_cert_file and tls_key_file go together (a client certificate and its key)");
  if (!db.tls_cert_file.empty() && db.tls_ca_file.empty())
    t->fail("tls_cert_file", "a client certificate needs tls_ca_file (TLS to the server)");
  // The same checks as [tls]'s files: loadable by OpenSSL, the key private and the cert's.
  if (!db.tls_ca_file.empty())
    if (auto problem = certificate_problem(db.tls_ca_file, true)) t->fail("tls_ca_file", *problem);
  if (!db.tls_cert_file.empty()) {
    if (auto problem = certificate_problem(db.tls_cert_file, false))
      t->fail("tls_cert_file", *problem);
    if (auto problem = key_problem(db.tls_key_file, db.tls_cert_file))
      t->fail("tls_key_file", *problem);
  }
}

void read_tls(const table_reader& root, settings& s) {
  auto t = root.get_table("tls", "tls");
  if (!t) return;
  t->reject_unknown_keys();
  detail::read_keys(*t, s);
  if (auto problem = certificate_problem(s.tls.ca_file, true)) t->fail("ca_file", *problem);
}

void read_files(const table_reader& root, settings& s) {
  auto t = root.get_table("files", "files");
  if (!t) root.fail("files", "the [files] table is required (root)");
  t->reject_unknown_keys();
  detail::read_keys(*t, s);
}

}  // namespace

namespace detail {

void read_scheduler(const table_reader& root, settings& all) {
  auto t = root.get_table("scheduler", "scheduler");
  if (!t) return;
  t->reject_unknown_keys();
  read_keys(*t, all);
  const auto& s = all.scheduler;
  if (s.max_records_small >= s.min_records_large)
    t->fail(t->find("min_records_large") ? "min_records_large" : "max_records_small",
            "max_records_small (" + std::to_string(s.max_records_small) +
                ") must be less than min_records_large (" + std::to_string(s.min_records_large) +
                ")");
  if (s.max_batch_size < s.min_batch_size)
    t->fail(t->find("max_batch_size") ? "max_batch_size" : "min_batch_size",
            "max_batch_size (" + std::to_string(s.max_batch_size) +
                ") must not be less than min_batch_size (" + std::to_string(s.min_batch_size) +
                ")");
}

void read_cleanup(const table_reader& root, settings& s) {
  auto t = root.get_table("cleanup", "cleanup");
  if (!t) return;
  t->reject_unknown_keys();
  read_keys(*t, s);
  auto& c = s.cleanup;
  const bool schedule = t->find("schedule") != nullptr;
  const bool interval = t->find("interval") != nullptr;
  if (schedule && interval) t->fail("interval", "set either schedule (cron) or interval, not both");
  if (schedule) c.interval.reset();
  if (interval) c.schedule.clear();
  if (c.lock_at_least > c.lock_at_most)
    t->fail(t->find("lock_at_least") ? "lock_at_least" : "lock_at_most",
            "lock_at_least (" + format_duration(c.lock_at_least) +
                ") must not be longer than lock_at_most (" + format_duration(c.lock_at_most) + ")");
}

}  // namespace detail

namespace {

/// An optional table whose keys need no rule across tables ([log], [limits], [jobs]).
void read_plain_table(const table_reader& root, settings& s, const char* name) {
  auto t = root.get_table(name, name);
  if (!t) return;
  t->reject_unknown_keys();
  detail::read_keys(*t, s);
}

/// A node as read, with the readers needed to point cross-node errors at the right line.
struct node_entry {
  node_settings settings;
  table_reader reader;
  bool advertise_set = false;
  bool sweep_set = false;
};

node_entry read_node(const table_reader& r) {
  r.reject_unknown_keys();
  node_entry e{node_settings{}, r};
  detail::read_keys(r, e.settings);
  e.advertise_set = r.find("advertise") != nullptr;
  if (!e.advertise_set) e.settings.advertise = e.settings.listen;
  e.sweep_set = r.find("database_sweep") != nullptr;
  return e;
}

std::vector<node_entry> read_nodes(const table_reader& root) {
  const auto* node = root.find("node");
  if (!node) root.fail("node", "the topology has no [[node]] entries; add at least the master");
  if (node->is_table())
    root.fail("node", "write each node as [[node]] (an array of tables), not [node]");
  const auto* array = node->as_array();
  if (!array) root.fail("node", "expected [[node]] tables, found " + detail::describe_value(*node));
  if (array->empty())
    root.fail("node", "the topology has no [[node]] entries; add at least the master");
  std::vector<node_entry> entries;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = *array->get(i);
    const std::string key = "node[" + std::to_string(i) + "]";
    const auto* t = element.as_table();
    if (!t)
      root.fail_at(element.source(), key,
                   "expected a [[node]] table, found " + detail::describe_value(element));
    entries.push_back(read_node(table_reader(root.file(), *t, key, "node")));
  }
  return entries;
}

std::string known_names(const std::vector<node_settings>& nodes) {
  std::string out;
  for (const auto& n : nodes) out += (out.empty() ? "" : ", ") + n.name;
  return out;
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof(buffer) - 1) != 0) return {};
  return buffer;
}

void check_nodes(const std::vector<node_entry>& entries) {
  std::map<std::string, std::size_t> names;
  std::optional<std::size_t> master;
  std::vector<std::size_t> candidates;
  std::optional<std::size_t> sweeper;
  std::map<std::string, std::size_t> addresses;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const auto& n = e.settings;
    if (auto [it, fresh] = names.emplace(n.name, i); !fresh)
      e.reader.fail(
          "name", "duplicate node name \"" + n.name + "\" (also node[" +
                      std::to_string(it->second) + "], line " +
                      std::to_string(entries[it->second].reader.find("name")->source().begin.line) +
                      ")");
    if (n.role == node_role::master) {
      // Several candidates: one at a time holds the scheduler lease (docs/cluster.md).
      for (std::size_t j : candidates) {
        const auto& other = entries[j];
        if (other.settings.master_priority != n.master_priority) continue;
        e.reader.fail(e.reader.find("master_priority") ? "master_priority" : "role",
                      "master candidates \"" + other.settings.name + "\" and \"" + n.name +
                          "\" have the same master_priority (" + std::to_string(n.master_priority) +
                          "); give each candidate its own, the higher takes over first");
      }
      candidates.push_back(i);
      if (!master) master = i;
    } else if (e.reader.find("master_priority")) {
      e.reader.fail("master_priority", "node \"" + n.name +
                                           "\" is an extension; master_priority is for "
                                           "role = \"master\" candidates only");
    }
    if (n.database_sweep) {
      if (sweeper)
        e.reader.fail("database_sweep", "database_sweep = true on both \"" +
                                            entries[*sweeper].settings.name + "\" and \"" + n.name +
                                            "\"; at most one node runs the database sweep");
      sweeper = i;
    }
    // Two nodes dialled at the same address cannot both be reached.
    if (!is_wildcard_host(n.advertise.host)) {
      const auto address = n.advertise.to_string();
      if (auto [it, fresh] = addresses.emplace(address, i); !fresh)
        e.reader.fail(e.advertise_set ? "advertise" : "listen",
                      "node \"" + entries[it->second].settings.name + "\" already advertises " +
                          address + "; every node needs its own address");
    }
  }
  if (!master) {
    std::vector<node_settings> nodes;
    for (const auto& e : entries) nodes.push_back(e.settings);
    const auto& first = entries.front().reader.table().source().begin;
    throw config_error(
        entries.front().reader.file(), static_cast<int>(first.line), static_cast<int>(first.column),
        "node",
        "no node has role = \"master\"; a cluster needs at least one master (nodes: " +
            known_names(nodes) + ")");
  }
}

/// TLS is required as soon as one node listens or is dialled on a non-loopback address; with
/// `[tls]`, every node needs a certificate and a key, and the files of the node this process
/// runs as (`node_name`, when given or the only node) must be usable here.
void check_tls(const table_reader& root, const settings& s, const std::vector<node_entry>& entries,
               const std::optional<std::string>& node_name) {
  const bool tls = !s.tls.ca_file.empty();
  for (const auto& e : entries) {
    const auto& n = e.settings;
    // The REST API (docs/api.md): plain HTTP leaves loopback only when the operator says so.
    if (!tls && n.http_listen.port != 0 && !is_loopback_host(n.http_listen.host) &&
        !s.http.allow_plain_remote)
      e.reader.fail("http_listen",
                    "node \"" + n.name + "\" serves its HTTP API on " + n.http_listen.to_string() +
                        ", which is not a loopback address, without [tls]: bearer tokens would "
                        "cross the network readable; add [tls] (the API then speaks HTTPS with "
                        "the node's certificate) or set [http] allow_plain_remote = true");
    if (!tls) {
      const bool listen_ok = is_loopback_host(n.listen.host);
      if (listen_ok && is_loopback_host(n.advertise.host)) continue;
      const char* key = listen_ok ? "advertise" : "listen";
      const auto& address = listen_ok ? n.advertise : n.listen;
      e.reader.fail(key, "node \"" + n.name + "\" " + (listen_ok ? "advertises " : "listens on ") +
                             address.to_string() +
                             ", which is not a loopback address: a cluster reachable from other "
                             "machines needs mutual TLS; add a [tls] table (ca_file, cert_file, "
                             "key_file) with certificates from `caf-node certs` "
                             "(docs/cluster.md, \"TLS and certificates\")");
    }
    const auto files = s.node_tls(n);
    if (files.cert_file.empty() || files.key_file.empty()) {
      const char* missing = files.cert_file.empty() ? "cert_file" : "key_file";
      root.get_table("tls", "tls")
          ->fail(missing, "[tls] has no " + std::string(missing) + " and node \"" + n.name +
                              "\" sets no tls_" + missing + " of its own");
    }
    const bool mine = node_name && n.name == *node_name;
    if (!mine) continue;
    const bool own_cert = !n.tls_cert_file.empty();
    const bool own_key = !n.tls_key_file.empty();
    auto fail = [&](bool own, const char* key, const std::string& problem) {
      if (own) e.reader.fail(std::string("tls_") + key, problem);
      root.get_table("tls", "tls")->fail(key, problem);
    };
    if (auto problem = certificate_problem(files.cert_file, false))
      fail(own_cert, "cert_file", *problem);
    if (auto problem = key_problem(files.key_file, files.cert_file))
      fail(own_key, "key_file", *problem);
  }
}

std::size_t select_node(const std::string& file, const std::vector<node_settings>& nodes,
                        const std::optional<std::string>& node_name) {
  if (node_name) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].name == *node_name) return i;
    throw config_error(file, 0, 0, "node",
                       "no node named \"" + *node_name + "\"; known nodes: " + known_names(nodes));
  }
  if (nodes.size() == 1) return 0;
  const auto host = host_name();
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (!host.empty() && nodes[i].name == host) return i;
  throw config_error(file, 0, 0, "node",
                     "the topology has " + std::to_string(nodes.size()) +
                         " nodes and none is named after this host (\"" + host +
                         "\"); choose one with --node NAME (known nodes: " + known_names(nodes) +
                         ")");
}

}  // namespace

namespace {

settings load(const std::string& path, const std::optional<std::string>& node_name,
              bool for_client) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw config_error(path, 0, 0, "",
                       fs::exists(path, ec) ? "the topology is not a regular file"
                                            : "cannot read the topology file: no such file");
  toml::table root_table;
  try {
    root_table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw config_error(path, static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column), "",
                       "TOML syntax error: " + std::string(e.description()));
  }
  const table_reader root(path, root_table, "", "");
  root.reject_unknown_keys();

  settings s;
  s.source_file = path;
  read_cluster(root, s);
  read_files(root, s);
  read_database(root, s);
  detail::read_scheduler(root, s);
  detail::read_cleanup(root, s);
  read_plain_table(root, s, "log");
  read_plain_table(root, s, "limits");
  read_plain_table(root, s, "jobs");
  read_plain_table(root, s, "http");
  read_plain_table(root, s, "webhooks");
  read_plain_table(root, s, "fonts");
  read_tls(root, s);

  const auto entries = read_nodes(root);
  check_nodes(entries);
  for (const auto& e : entries) s.nodes.push_back(e.settings);
  bool any_sweeper = false;
  for (const auto& n : s.nodes) any_sweeper = any_sweeper || n.database_sweep;
  if (!any_sweeper)
    for (auto& n : s.nodes)
      if (n.role == node_role::master) n.database_sweep = true;

  if (for_client) {
    for (std::size_t i = 0; i < s.nodes.size(); ++i)
      if (s.nodes[i].role == node_role::master) s.self = i;
    check_tls(root, s, entries, std::nullopt);
    return s;
  }
  s.self = select_node(path, s.nodes, node_name);

  // An extension dials the master's advertised address: it must be one another machine
  // can reach.
  // With several candidates, every node (a standby candidate included) may dial any of
  // them: each needs such an address.
  if (s.this_node().role == node_role::extension || s.has_standby_masters()) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (e.settings.role != node_role::master || i == s.self) continue;
      if (!is_wildcard_host(e.settings.advertise.host)) continue;
      const auto& m = e.settings;
      const auto reason =
          "node \"" + s.this_node().name + "\" cannot reach the master candidate \"" + m.name +
          "\": " +
          (e.advertise_set
               ? "its advertise address " + m.advertise.to_string() + " is a wildcard"
               : "it listens on " + m.listen.to_string() + " and has no advertise address") +
          "; set node[" + std::to_string(i) +
          "].advertise to an address the extensions can dial, e.g. \"10.0.0.10:" +
          std::to_string(m.listen.port) + "\"";
      const auto* where = e.reader.find(e.advertise_set ? "advertise" : "listen");
      e.reader.fail_at(where->source(), "advertise", reason);
    }
  }
  check_tls(root, s, entries, s.this_node().name);
  return s;
}

}  // namespace

settings load_topology(const std::string& path, const std::optional<std::string>& node_name) {
  return load(path, node_name, false);
}

settings load_topology_for_client(const std::string& path) {
  return load(path, std::nullopt, true);
}

}  // namespace weft::config
