#include "config/detail/table_reader.hpp"

#include <limits>
#include <utility>

#include "config/config_error.hpp"
#include "config/duration.hpp"
#include "config/endpoint.hpp"
#include "config/known_keys.hpp"

namespace weft::config::detail {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (out.size() > 40) return out + "...\"";
    out += c;
  }
  return out + "\"";
}

std::string range_text(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max() || max == std::numeric_limits<int>::max())
    return "must be at least " + std::to_string(min);
  return "must be between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

std::string describe_value(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string (" + quoted(**node.as_string()) + ")";
    case toml::node_type::integer:
      return "an integer (" + std::to_string(**node.as_integer()) + ")";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return std::string("a boolean (") + (**node.as_boolean() ? "true" : "false") + ")";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

table_reader::table_reader(const std::string& file, const toml::table& table, std::string path,
                           std::string schema)
    : file_(&file), table_(&table), path_(std::move(path)), schema_(std::move(schema)) {}

std::string table_reader::where() const {
  if (path_.empty()) return "at the top level";
  if (schema_ == "node") return "in [[node]]";
  return "in [" + path_ + "]";
}

void table_reader::reject_unknown_keys() const {
  const auto known = keys_of(schema_);
  for (auto&& [k, v] : *table_) {
    const std::string_view name = k.str();
    bool ok = false;
    for (auto candidate : known) ok = ok || candidate == name;
    if (ok) continue;
    std::string reason = "unknown key `" + std::string(name) + "` " + where();
    if (auto suggestion = closest_key(name, known)) {
      reason += "; did you mean `" + std::string(*suggestion) + "`?";
    } else {
      reason += "; known keys:";
      for (std::size_t i = 0; i < known.size(); ++i)
        reason += (i ? ", " : " ") + std::string(known[i]);
    }
    fail_at(k.source(), name, reason);
  }
}

const toml::node* table_reader::find(std::string_view key) const { return table_->get(key); }

std::string table_reader::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void table_reader::fail_at(const toml::source_region& where, std::string_view key,
                           const std::string& reason) const {
  throw config_error(*file_, static_cast<int>(where.begin.line),
                     static_cast<int>(where.begin.column), key_path(key), reason);
}

void table_reader::fail(std::string_view key, const std::string& reason) const {
  if (const auto* node = find(key)) fail_at(node->source(), key, reason);
  fail_at(table_->source(), key, reason);
}

void table_reader::fail_missing(std::string_view key) const {
  fail(key, "required key `" + std::string(key) + "` is missing " + where());
}

std::optional<std::string> table_reader::get_string(std::string_view key) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  if (const auto* s = node->as_string()) return **s;
  fail(key, "expected a string, found " + describe_value(*node));
}

std::string table_reader::required_string(std::string_view key) const {
  auto value = get_string(key);
  if (!value) fail_missing(key);
  if (value->empty()) fail(key, "must not be empty");
  return *value;
}

std::optional<int64_t> table_reader::get_integer(std::string_view key, int64_t min,
                                                 int64_t max) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* i = node->as_integer();
  if (!i) fail(key, "expected an integer, found " + describe_value(*node));
  const int64_t value = **i;
  if (value < min || value > max)
    fail(key, range_text(min, max) + ", found " + std::to_string(value));
  return value;
}

std::optional<int> table_reader::get_int(std::string_view key, int min, int max) const {
  if (auto v = get_integer(key, min, max)) return static_cast<int>(*v);
  return std::nullopt;
}

std::optional<bool> table_reader::get_boolean(std::string_view key) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  if (const auto* b = node->as_boolean()) return **b;
  fail(key, "expected a boolean (true or false), found " + describe_value(*node));
}

std::optional<duration> table_reader::get_duration(std::string_view key, duration min) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s)
    fail(key,
         "expected a duration string such as \"250ms\", \"15s\", \"15m\", \"24h\" or "
         "\"2d\", found " +
             describe_value(*node));
  auto value = parse_duration(**s);
  if (!value)
    fail(key, "bad duration " + quoted(**s) +
                  ": write a whole number and a unit (ms, s, m, h, d), e.g. \"250ms\" or \"15m\"");
  if (*value < min) {
    if (min == duration{1}) fail(key, "must be longer than 0");
    fail(key, "must be at least " + format_duration(min) + ", found " + quoted(**s));
  }
  return value;
}

std::optional<endpoint> table_reader::get_endpoint(std::string_view key) const {
  auto text = get_string(key);
  if (!text) return std::nullopt;
  try {
    return parse_endpoint(*text);
  } catch (const config_error& e) {
    fail(key, e.reason);
  }
}

std::optional<table_reader> table_reader::get_table(std::string_view key,
                                                    std::string schema) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* t = node->as_table();
  if (!t) fail(key, "expected a table, found " + describe_value(*node));
  return table_reader(*file_, *t, key_path(key), std::move(schema));
}

}  // namespace weft::config::detail
