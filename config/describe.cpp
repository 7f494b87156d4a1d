#include "config/describe.hpp"

#include <cstdio>
#include <sstream>

#include "config/duration.hpp"

namespace weft::config {

namespace {

constexpr const char* redacted = "\"<redacted>\"";

/// A TOML basic string with the characters TOML requires escaped.
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string dur(duration d) { return quote(format_duration(d)); }

const char* boolean(bool b) { return b ? "true" : "false"; }

void engine_scheduling_text(std::ostream& out, const char* name, const engine_scheduling& e,
                            int extension_sum, const char* engine_key) {
  out << "\n[scheduler." << name << "]\n";
  if (e.expected_remote) {
    out << "expected_remote = " << *e.expected_remote << '\n';
  } else {
    out << "expected_remote = " << extension_sum << "  # not set: sum of the extensions' "
        << engine_key << '\n';
  }
  out << "parallel_per_job = { medium = " << e.parallel_medium << ", large = " << e.parallel_large
      << " }\n";
  out << "reserved = { small = " << e.reserved_small << ", medium = " << e.reserved_medium
      << ", large = " << e.reserved_large << " }\n";
  out << "additional_engine_every = " << e.additional_engine_every << '\n';
}

}  // namespace

std::string describe(const settings& s) {
  std::ostringstream out;
  const auto& self = s.this_node();
  out << "# Effective settings of node \"" << self.name << "\" ("
      << (self.role == node_role::master ? "master" : "extension") << ")";
  if (!s.source_file.empty()) out << " from " << s.source_file;
  out << ".\n# Defaults included; secrets and passwords redacted.\n";
  out << "self = " << quote(self.name) << '\n';

  const auto& c = s.cluster;
  out << "\n[cluster]\n"
      << "name = " << quote(c.name) << '\n'
      << "secret_file = " << quote(c.secret_file) << '\n'
      << "secret = " << redacted << '\n'
      << "heartbeat = " << dur(c.heartbeat) << '\n'
      << "node_timeout = " << dur(c.node_timeout) << '\n'
      << "retry_initial = " << dur(c.retry_initial) << '\n'
      << "retry_threshold = " << c.retry_threshold << '\n'
      << "retry_prolonged = " << dur(c.retry_prolonged) << '\n'
      << "request_timeout = " << dur(c.request_timeout) << '\n';

  const auto& d = s.database;
  out << "\n[database]\n";
  if (d.embedded) {
    out << "embedded = true  # no [database] table: embedded SQLite\n"
        << "sqlite_path = " << quote(d.sqlite_path) << '\n'
        << "# url, user, host, port, name, password_file, password: not used by SQLite\n";
  } else {
    out << "embedded = false\n"
        << "url = " << quote(d.url) << '\n'
        << "user = " << quote(d.user) << '\n'
        << "host = " << quote(d.host) << '\n'
        << "port = " << d.port << '\n'
        << "name = " << quote(d.name) << '\n'
        << "password_file = " << quote(d.password_file) << '\n'
        << "password = " << (d.password.empty() ? "\"\"  # none" : redacted) << '\n';
  }
  out << "pool_size = " << d.pool_size << '\n'
      << "connect_timeout = " << dur(d.connect_timeout) << '\n';

  out << "\n[files]\nroot = " << quote(s.files.root) << '\n';

  const auto& sc = s.scheduler;
  out << "\n[scheduler]\n"
      << "max_records_small = " << sc.max_records_small << '\n'
      << "min_records_large = " << sc.min_records_large << '\n'
      << "min_batch_size = " << sc.min_batch_size << '\n'
      << "max_batch_size = " << sc.max_batch_size << '\n'
      << "batches_per_engine = " << sc.batches_per_engine << '\n';
  engine_scheduling_text(out, "merge", sc.merge, s.extension_merge_engines(), "merge_engines");
  engine_scheduling_text(out, "weaver", sc.weaver, s.extension_weaver_engines(), "weaver_engines");

  const auto& cl = s.cleanup;
  out << "\n[cleanup]\n";
  if (cl.interval)
    out << "interval = " << dur(*cl.interval) << '\n';
  else
    out << "schedule = " << quote(cl.schedule) << '\n';
  out << "run_at_startup = " << boolean(cl.run_at_startup) << '\n'
      << "lock_at_most = " << dur(cl.lock_at_most) << '\n'
      << "lock_at_least = " << dur(cl.lock_at_least) << '\n'
      << "batch_size = " << cl.batch_size << '\n'
      << "pause_percent = " << cl.pause_percent << '\n'
      << "retain = { jobs = " << dur(cl.retain_jobs) << ", content = " << dur(cl.retain_content)
      << ", outputs = " << dur(cl.retain_outputs) << " }\n"
      << "orphan_min_age = " << dur(cl.orphan_min_age) << '\n';

  out << "\n[log]\nlevel = " << quote(s.log.level) << '\n';
  if (s.log.file.empty())
    out << "file = \"\"  # stderr only\n";
  else
    out << "file = " << quote(s.log.file) << '\n';

  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    const auto& n = s.nodes[i];
    out << "\n[[node]]" << (i == s.self ? "  # this node (self)" : "") << '\n'
        << "name = " << quote(n.name) << '\n'
        << "role = " << (n.role == node_role::master ? "\"master\"" : "\"extension\"") << '\n'
        << "listen = " << quote(n.listen.to_string()) << '\n'
        << "advertise = " << quote(n.advertise.to_string()) << '\n'
        << "merge_engines = " << n.merge_engines << '\n'
        << "weaver_engines = " << n.weaver_engines << '\n'
        << "database_sweep = " << boolean(n.database_sweep) << '\n';
  }
  return out.str();
}

}  // namespace weft::config
