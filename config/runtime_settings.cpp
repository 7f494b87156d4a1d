#include "config/runtime_settings.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string_view>

#include "config/detail/section_readers.hpp"
#include "config/detail/table_reader.hpp"
#include "config/duration.hpp"
#include "config/known_keys.hpp"

namespace weft::config {

namespace {

/// The file name in the errors of apply_setting: the change came from `set`, not a file.
const std::string set_file = "set";

bool under(std::string_view table, std::string_view top) {
  return table == top || (table.size() > top.size() && table.substr(0, top.size()) == top &&
                          table[top.size()] == '.');
}

std::string dotted(const key_info& k) {
  return k.table.empty() ? std::string(k.key) : std::string(k.table) + "." + std::string(k.key);
}

bool runtime_table(std::string_view table) {
  return under(table, "scheduler") || under(table, "cleanup");
}

const std::vector<std::string>& settable() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& k : known_keys())
      if (runtime_table(k.table) && k.type != "table") out.push_back(dotted(k));
    std::sort(out.begin(), out.end());
    return out;
  }();
  return keys;
}

/// A TOML basic string ("..."), escaped as TOML requires.
std::string toml_string(const std::string& text) {
  std::ostringstream out;
  // No format flags: no 'literal' or multi-line strings, always "..." with escapes.
  out << toml::toml_formatter{toml::value<std::string>(text), toml::format_flags::none};
  return out.str();
}

std::string toml_duration(duration d) { return toml_string(format_duration(d)); }

std::string toml_optional(const std::optional<int>& v) {
  return v ? std::to_string(*v) : std::string();
}

using value_text = std::function<std::string(const settings&)>;

void add_engine_getters(std::map<std::string, value_text>& m, const std::string& engine,
                        engine_scheduling scheduler_settings::*which) {
  const std::string t = "scheduler." + engine + ".";
  auto get = [which](auto field) {
    return [which, field](const settings& s) { return std::to_string(s.scheduler.*which.*field); };
  };
  m[t + "expected_remote"] = [which](const settings& s) {
    return toml_optional((s.scheduler.*which).expected_remote);
  };
  m[t + "parallel_per_job.medium"] = get(&engine_scheduling::parallel_medium);
  m[t + "parallel_per_job.large"] = get(&engine_scheduling::parallel_large);
  m[t + "reserved.small"] = get(&engine_scheduling::reserved_small);
  m[t + "reserved.medium"] = get(&engine_scheduling::reserved_medium);
  m[t + "reserved.large"] = get(&engine_scheduling::reserved_large);
  m[t + "additional_engine_every"] = get(&engine_scheduling::additional_engine_every);
}

/// How each settable key is read from the settings struct.
const std::map<std::string, value_text>& getters() {
  static const std::map<std::string, value_text> m = [] {
    std::map<std::string, value_text> g;
    g["scheduler.max_records_small"] = [](const settings& s) {
      return std::to_string(s.scheduler.max_records_small);
    };
    g["scheduler.min_records_large"] = [](const settings& s) {
      return std::to_string(s.scheduler.min_records_large);
    };
    g["scheduler.min_batch_size"] = [](const settings& s) {
      return std::to_string(s.scheduler.min_batch_size);
    };
    g["scheduler.max_batch_size"] = [](const settings& s) {
      return std::to_string(s.scheduler.max_batch_size);
    };
    g["scheduler.batches_per_engine"] = [](const settings& s) {
      return std::to_string(s.scheduler.batches_per_engine);
    };
    add_engine_getters(g, "merge", &scheduler_settings::merge);
    add_engine_getters(g, "weaver", &scheduler_settings::weaver);
    g["cleanup.schedule"] = [](const settings& s) {
      return s.cleanup.schedule.empty() ? std::string() : toml_string(s.cleanup.schedule);
    };
    g["cleanup.interval"] = [](const settings& s) {
      return s.cleanup.interval ? toml_duration(*s.cleanup.interval) : std::string();
    };
    g["cleanup.run_at_startup"] = [](const settings& s) {
      return std::string(s.cleanup.run_at_startup ? "true" : "false");
    };
    g["cleanup.lock_at_most"] = [](const settings& s) {
      return toml_duration(s.cleanup.lock_at_most);
    };
    g["cleanup.lock_at_least"] = [](const settings& s) {
      return toml_duration(s.cleanup.lock_at_least);
    };
    g["cleanup.batch_size"] = [](const settings& s) {
      return std::to_string(s.cleanup.batch_size);
    };
    g["cleanup.retain.jobs"] = [](const settings& s) {
      return toml_duration(s.cleanup.retain_jobs);
    };
    g["cleanup.retain.content"] = [](const settings& s) {
      return toml_duration(s.cleanup.retain_content);
    };
    g["cleanup.retain.outputs"] = [](const settings& s) {
      return toml_duration(s.cleanup.retain_outputs);
    };
    g["cleanup.pause_percent"] = [](const settings& s) {
      return std::to_string(s.cleanup.pause_percent);
    };
    g["cleanup.orphan_min_age"] = [](const settings& s) {
      return toml_duration(s.cleanup.orphan_min_age);
    };
    return g;
  }();
  return m;
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
  for (const auto& k : known_keys()) {
    if (dotted(k) != generic) continue;
    if (runtime_table(k.table) || (k.table.empty() && runtime_table(k.key))) {
      std::vector<std::string> inside;
      for (const auto& name : settable())
        if (name.rfind(generic + ".", 0) == 0) inside.push_back(name);
      throw config_error(set_file, 0, 0, key,
                         "is a table, not a key; set one of its keys: " + list(inside));
    }
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
  const auto it = getters().find(key);
  // Every settable key has a getter (tests/config/runtime_settings_test.cpp checks it).
  if (it == getters().end())
    throw config_error(set_file, 0, 0, key, "has no run-time value (a Weft bug)");
  return it->second(s);
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
  try {
    if (under(key, "scheduler")) {
      auto scheduler = s.scheduler;
      detail::read_scheduler(root, scheduler);
      s.scheduler = scheduler;
    } else {
      auto cleanup = s.cleanup;
      detail::read_cleanup(root, cleanup);
      s.cleanup = cleanup;
    }
  } catch (const config_error& e) {
    // The fragment's lines and columns mean nothing to the operator.
    throw config_error(set_file, 0, 0, e.key, e.reason);
  }
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
