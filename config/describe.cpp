#include "config/describe.hpp"

#include <toml++/toml.h>

#include <sstream>
#include <vector>

#include "config/known_keys.hpp"

namespace weft::config {

namespace {

constexpr const char* redacted = "\"<redacted>\"";

/// A TOML basic string with the characters TOML requires escaped.
std::string quote(const std::string& text) {
  std::ostringstream out;
  out << toml::toml_formatter{toml::value<std::string>(text), toml::format_flags::none};
  return out.str();
}

/// Values that are not keys of the file but derived from them (or secret), shown after the key
/// `after` of their table ("" for the top of the table).
void derived_values(std::ostream& out, const settings& s, std::string_view after) {
  const auto& d = s.database;
  if (after == "cluster.secret_file") out << "secret = " << redacted << '\n';
  if (after == "database") {
    out << (d.embedded ? "embedded = true  # no [database] table: embedded SQLite\n"
                       : "embedded = false\n");
    if (d.embedded)
      out << "sqlite_path = " << quote(d.sqlite_path) << '\n'
          << "# url, user, host, port, name, password_file, password: not used by SQLite\n";
  }
  if (d.embedded) return;
  if (after == "database.url")
    out << "user = " << quote(d.user) << '\n'
        << "host = " << quote(d.host) << '\n'
        << "port = " << d.port << '\n'
        << "name = " << quote(d.name) << '\n';
  if (after == "database.password_file")
    out << "password = " << (d.password.empty() ? "\"\"  # none" : redacted) << '\n';
}

/// Writes `[table]` with every key the descriptor table lists for it, then its sub-tables
/// that are not written inline.
void table_text(std::ostream& out, const settings& s, std::string_view table) {
  out << "\n[" << table << "]\n";
  derived_values(out, s, table);
  std::vector<std::string> sections;
  for (const auto& k : known_keys()) {
    if (k.table != table) continue;
    if (k.type == key_type::table) {
      if (is_inline_table(k.dotted()))
        out << k.key << " = " << inline_table_text(s, k.dotted()) << '\n';
      else
        sections.push_back(k.dotted());
      continue;
    }
    if (!k.field) continue;
    auto text = k.field->text(s);
    if (text.empty() && k.when_unset) text = k.when_unset(s);
    if (!text.empty()) out << k.key << " = " << text << '\n';
    derived_values(out, s, k.dotted());
  }
  for (const auto& section : sections) table_text(out, s, section);
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
  for (const auto& k : known_keys()) {
    if (!k.table.empty() || k.type != key_type::table) continue;
    if (k.key == "tls" && s.tls.ca_file.empty())
      out << "\n[tls]  # absent: plain TCP (every node is on loopback)\n";
    else
      table_text(out, s, k.key);
  }
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    out << "\n[[node]]" << (i == s.self ? "  # this node (self)" : "") << '\n';
    for (const auto& k : known_keys())
      if (k.table == "node" && k.node_field) {
        auto text = k.node_field->text(s.nodes[i]);
        if (!text.empty()) out << k.key << " = " << text << '\n';
      }
  }
  return out.str();
}

}  // namespace weft::config
