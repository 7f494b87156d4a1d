// The key descriptor table (config/known_keys.hpp) against the code that consumes it: each
// documented default is what the loader gives when the key is left out, every settable key
// round-trips through `set`, every key of the table is read through a field, and a misspelt
// key anywhere gets a "did you mean".

#define BOOST_TEST_MODULE config_known_keys
#include "config/known_keys.hpp"

#include <toml++/toml.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "config/duration.hpp"
#include "config/runtime_settings.hpp"
#include "config/topology.hpp"
#include "tests/config/test_support.hpp"

using namespace weft::config;
using weft::config::test::scratch_dir;
using weft::config::test::scratch_topology;

namespace {

/// The smallest valid topology: only the required keys.
const std::string minimal = R"([cluster]
name        = "t"
secret_file = "secret"

[files]
root = "store"

[[node]]
name   = "m"
role   = "master"
listen = "127.0.0.1:4242"
)";

/// Every optional table present, but empty (the database only with its required url).
const std::string empty_tables = minimal + R"(
[database]
url = "mariadb://weft@10.0.0.5/weft"

[scheduler]
[scheduler.merge]
parallel_per_job = {}
reserved = {}
[scheduler.weaver]
[cleanup]
retain = {}
[log]
)";

settings load(const std::string& topology) {
  scratch_topology t(topology);
  return load_topology(t.path, std::nullopt);
}

/// The key's value in `s` through the descriptor's field (node keys: of the first node).
std::string value_in(const settings& s, const key_info& k) {
  if (k.type == key_type::table) return inline_table_text(s, k.dotted());
  if (k.node_field) return k.node_field->text(s.nodes.at(0));
  return k.field->text(s);
}

/// A misspelling of `key` that is one edit away from it.
std::string misspelt(std::string_view key) {
  if (key.back() == 's') return std::string(key.substr(0, key.size() - 1));
  return std::string(key) + "s";
}

/// A valid value of `k` other than `current` (its TOML text), one step away from it so that the
/// rules between keys still hold against the defaults.
std::string other_value(const key_info& k, const std::string& current) {
  switch (k.type) {
    case key_type::integer:
      return current.empty() ? "3" : std::to_string(std::stoll(current) + 1);
    case key_type::boolean:
      return current == "true" ? "false" : "true";
    case key_type::duration_string: {
      if (current.empty()) return "\"7m\"";
      const auto d = parse_duration(current.substr(1, current.size() - 2));
      BOOST_REQUIRE(d.has_value());
      return "\"" + format_duration(*d + std::chrono::seconds(1)) + "\"";
    }
    case key_type::cron:
      return "\"0 3 * * *\"";
    default:
      BOOST_FAIL("no other value for " << k.dotted());
  }
  return {};
}

bool schedule_or_interval(const std::string& key) {
  return key == "cleanup.schedule" || key == "cleanup.interval";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_table)

BOOST_AUTO_TEST_CASE(every_key_is_read_through_a_field_or_is_a_table) {
  for (const auto& k : known_keys()) {
    BOOST_TEST_INFO(k.dotted());
    const bool is_table = k.type == key_type::table || k.type == key_type::array_of_tables;
    if (is_table) {
      BOOST_TEST(!k.field);
      BOOST_TEST(!k.node_field);
    } else if (k.table == "node") {
      BOOST_TEST(!k.field);
      BOOST_TEST(k.node_field != nullptr);
    } else {
      BOOST_TEST(k.field != nullptr);
      BOOST_TEST(!k.node_field);
    }
    if (k.settable) BOOST_TEST(k.field != nullptr);
    if (k.has_typed_default()) BOOST_TEST(!k.default_text().empty());
    BOOST_TEST(find_key(k.table, k.key) == &k, "listed twice");
  }
}

BOOST_AUTO_TEST_CASE(every_default_is_what_a_topology_without_the_key_gives) {
  for (const auto& topology : {minimal, empty_tables}) {
    const auto s = load(topology);
    const auto described = describe(s);
    for (const auto& k : known_keys()) {
      if (!k.has_typed_default()) continue;
      BOOST_TEST_INFO(k.dotted() << " in\n" << topology);
      const auto value = value_in(s, k);
      BOOST_TEST(value == k.default_text());
      if (k.settable) BOOST_TEST(setting_value(s, k.dotted()) == k.default_text());
      // describe() shows the same text (keys of an inline table within its line).
      if (!is_inline_table(k.table))
        BOOST_TEST(described.find('\n' + std::string(k.key) + " = " + value + '\n') !=
                   std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_settable_key_round_trips_through_apply_setting) {
  const settings defaults;
  for (const auto& key : settable_keys()) {
    const auto* k = find_dotted_key(key);
    BOOST_REQUIRE(k != nullptr);
    BOOST_TEST_INFO(key);
    // Its own value changes nothing.
    auto s = defaults;
    const auto current = setting_value(s, key);
    if (!current.empty()) {
      BOOST_CHECK_NO_THROW(apply_setting(s, key, current));
      BOOST_TEST(setting_value(s, key) == current);
    }
    // Another value reads back as written, and changes no other key.
    const auto value = other_value(*k, current);
    BOOST_CHECK_NO_THROW(apply_setting(s, key, value));
    BOOST_TEST(setting_value(s, key) == value);
    for (const auto& other : settable_keys()) {
      if (other == key) continue;
      // cleanup.schedule and cleanup.interval exclude each other.
      if (schedule_or_interval(key) && schedule_or_interval(other)) continue;
      BOOST_TEST(setting_value(s, other) == setting_value(defaults, other), other);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_misspelt_key_gets_a_did_you_mean) {
  for (const auto& k : known_keys()) {
    auto document = toml::parse(minimal);
    toml::table* table = &document;
    std::string path;
    if (k.table == "node") {
      table = document["node"].as_array()->get(0)->as_table();
      path = "node[0]";
    } else if (!k.table.empty()) {
      std::string_view rest = k.table;
      while (!rest.empty()) {
        const auto dot = rest.find('.');
        const auto part = std::string(rest.substr(0, dot));
        table = table->insert(part, toml::table{}).first->second.as_table();
        rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      }
      path = std::string(k.table);
    }
    const auto wrong = misspelt(k.key);
    table->insert(wrong, 1);
    std::ostringstream text;
    text << document;
    scratch_topology t(text.str());
    BOOST_TEST_INFO(k.dotted() << " as " << wrong << " in\n" << text.str());
    try {
      load_topology(t.path, std::nullopt);
      BOOST_ERROR(k.dotted() << " misspelt as " << wrong << " was accepted");
    } catch (const config_error& e) {
      BOOST_TEST(e.key == (path.empty() ? wrong : path + "." + wrong));
      BOOST_TEST(e.reason.find("did you mean `" + std::string(k.key) + "`?") != std::string::npos,
                 e.what());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
