#include "config/topology.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "config/detail/section_readers.hpp"
#include "config/detail/table_reader.hpp"
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
  if (c.retry_prolonged < c.retry_initial)
    t->fail(t->find("retry_prolonged") ? "retry_prolonged" : "retry_initial",
            "retry_prolonged (" + format_duration(c.retry_prolonged) +
                ") must not be shorter than retry_initial (" + format_duration(c.retry_initial) +
                ")");
  s.cluster.secret = read_private_file(*t, "secret_file", c.secret_file);
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

void read_log(const table_reader& root, settings& s) {
  auto t = root.get_table("log", "log");
  if (!t) return;
  t->reject_unknown_keys();
  detail::read_keys(*t, s);
}

void read_jobs(const table_reader& root, settings& s) {
  auto t = root.get_table("jobs", "jobs");
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
      if (master)
        e.reader.fail("role", "two masters: \"" + entries[*master].settings.name + "\" and \"" +
                                  n.name + "\"; a cluster has exactly one master");
      master = i;
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
    throw config_error(entries.front().reader.file(), static_cast<int>(first.line),
                       static_cast<int>(first.column), "node",
                       "no node has role = \"master\"; a cluster has exactly one master (nodes: " +
                           known_names(nodes) + ")");
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
  read_log(root, s);
  read_jobs(root, s);

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
    return s;
  }
  s.self = select_node(path, s.nodes, node_name);

  // An extension dials the master's advertised address: it must be one another machine
  // can reach.
  if (s.this_node().role == node_role::extension) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (e.settings.role != node_role::master) continue;
      if (!is_wildcard_host(e.settings.advertise.host)) break;
      const auto& m = e.settings;
      const auto reason =
          "extension \"" + s.this_node().name + "\" cannot reach the master \"" + m.name + "\": " +
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
