#include "config/runtime_settings.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <utility>

#include "config/detail/section_readers.hpp"
#include "config/detail/table_reader.hpp"
#include "config/known_keys.hpp"

namespace weft::config {

namespace {

/// The file name in the errors of apply_setting: the change came from `set`, not a file.
const std::string set_file = "set";

bool under(std::string_view table, std::string_view top) {
  return table == top || (table.size() > top.size() && table.substr(0, top.size()) == top &&
                          table[top.size()] == '.');
}

const std::vector<std::string>& settable() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& k : known_keys())
      if (k.settable) out.push_back(k.dotted());
    std::sort(out.begin(), out.end());
    return out;
  }();
  return keys;
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// Throws the config_error for a key that `set` may not change, saying why and what to do.
[[noreturn]] void refuse(const std::string& key) {
  // `node[2].merge_engines` names a key of the `node` table.
  std::string generic = key;
  if (const auto close = key.find(']'); key.rfind("node[", 0) == 0 && close != std::string::npos)
    generic = "node" + key.substr(close + 1);
  if (find_dotted_key(generic) != nullptr) {
    std::vector<std::string> inside;
    for (const auto& name : settable())
      if (name.rfind(generic + ".", 0) == 0) inside.push_back(name);
    if (!inside.empty())
      throw config_error(set_file, 0, 0, key,
                         "is a table, not a key; set one of its keys: " + list(inside));
    throw config_error(set_file, 0, 0, key,
                       "cannot be changed on a running cluster: only the keys of [scheduler] "
                       "and [cleanup] can; change the topology file and restart the nodes");
  }
  const auto& names = settable();
  const std::vector<std::string_view> candidates(names.begin(), names.end());
  if (auto suggestion = closest_key(key, candidates))
    throw config_error(set_file, 0, 0, key,
                       "unknown key; did you mean `" + std::string(*suggestion) + "`?");
  throw config_error(set_file, 0, 0, key, "unknown key; the keys that can be set: " + list(names));
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

/// Inserts `value` under `leaf` of `t`: the TOML value it spells when it is exactly one, else
/// the text itself as a string (a bare `15m` or `*/5 * * * *`).
void insert_value(toml::table& t, const std::string& leaf, const std::string& value) {
  const auto text = trim(value);
  try {
    const auto parsed = toml::parse("v = " + text);
    if (const auto* node = parsed.get("v"); node != nullptr && parsed.size() == 1) {
      t.insert(leaf, *node);
      return;
    }
  } catch (const toml::parse_error&) {
    // Not a TOML value: a bare word.
  }
  t.insert(leaf, text);
}

}  // namespace

std::vector<std::string> settable_keys() { return settable(); }

bool is_settable(const std::string& key) {
  const auto& keys = settable();
  return std::binary_search(keys.begin(), keys.end(), key);
}

std::string setting_value(const settings& s, const std::string& key) {
  if (!is_settable(key)) refuse(key);
  const auto* k = find_dotted_key(key);
  // Every settable key has a field (tests/config/runtime_settings_test.cpp checks it).
  if (k == nullptr || k->field == nullptr)
    throw config_error(set_file, 0, 0, key, "has no run-time value (a Weft bug)");
  return k->field->text(s);
}

void apply_setting(settings& s, const std::string& key, const std::string& value) {
  if (!is_settable(key)) refuse(key);
  // The change as a topology fragment: `a.b.c = VALUE` as the tables [a.b] with c = VALUE.
  toml::table document;
  toml::table* table = &document;
  std::size_t begin = 0;
  for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', begin)) {
    table = table->insert(key.substr(begin, dot - begin), toml::table{}).first->second.as_table();
    begin = dot + 1;
  }
  insert_value(*table, key.substr(begin), value);

  const detail::table_reader root(set_file, document, "", "");
  // Read into a copy: `s` changes only when the value is accepted.
  auto changed = s;
  try {
    if (under(key, "scheduler")) {
      detail::read_scheduler(root, changed);
    } else if (under(key, "cleanup")) {
      detail::read_cleanup(root, changed);
    } else {
      throw config_error(set_file, 0, 0, key, "has no run-time reader (a Weft bug)");
    }
  } catch (const config_error& e) {
    // The fragment's lines and columns mean nothing to the operator.
    throw config_error(set_file, 0, 0, e.key, e.reason);
  }
  s = std::move(changed);
}

std::string topology_source(const std::string& file, const std::string& key) {
  if (!is_settable(key)) refuse(key);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw config_error(file, 0, 0, "", "cannot read the topology file: no such file");
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw config_error(file, static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column), "",
                       "TOML syntax error: " + std::string(e.description()));
  }
  auto sets = [&](const std::string& k) { return static_cast<bool>(toml::at_path(root, k)); };
  bool set = sets(key);
  if (key == "cleanup.schedule" || key == "cleanup.interval")
    set = sets("cleanup.schedule") || sets("cleanup.interval");
  return set ? "topology" : "default";
}

}  // namespace weft::config
