#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace weft::config::detail {

/// Reads the keys of one TOML table with explicit type and range checks. Every problem is
/// thrown as a config_error naming the file, the line and column of the offending key or
/// value, and its dotted key. Never falls back to a default on a wrong type: an absent key
/// gives nullopt, a present key of the wrong type is an error.
///
/// The reader refers to the file name and the table; both must outlive it.
class table_reader {
 public:
  /// @param file    file name for messages
  /// @param table   the table to read
  /// @param path    dotted path of the table for messages: "" (top level), "cluster", "node[2]"
  /// @param schema  the table's name in known_keys(): "", "cluster", "node", ...
  table_reader(const std::string& file, const toml::table& table, std::string path,
               std::string schema);

  /// Throws for the first key that known_keys() does not list for this table, suggesting
  /// the closest known key.
  void reject_unknown_keys() const;

  /// The value of `key`, or nullptr.
  const toml::node* find(std::string_view key) const;

  /// "path.key", or "key" at the top level.
  std::string key_path(std::string_view key) const;

  std::optional<std::string> get_string(std::string_view key) const;
  /// A string that must be present and not empty.
  std::string required_string(std::string_view key) const;
  std::optional<int64_t> get_integer(std::string_view key, int64_t min, int64_t max) const;
  std::optional<int> get_int(std::string_view key, int min, int max) const;
  std::optional<bool> get_boolean(std::string_view key) const;
  /// A duration string ("250ms", "15m"); values below `min` are an error.
  std::optional<duration> get_duration(std::string_view key, duration min) const;
  std::optional<endpoint> get_endpoint(std::string_view key) const;
  /// A sub-table (`[a.b]` or an inline table), read with `schema` as its known-key table.
  std::optional<table_reader> get_table(std::string_view key, std::string schema) const;

  /// Throws a config_error for `key`, at the key's value if it is present, else at the
  /// table.
  [[noreturn]] void fail(std::string_view key, const std::string& reason) const;
  /// Throws a config_error for `key` at `where`.
  [[noreturn]] void fail_at(const toml::source_region& where, std::string_view key,
                            const std::string& reason) const;
  /// Throws "required key `KEY` is missing in [TABLE]" at the table.
  [[noreturn]] void fail_missing(std::string_view key) const;

  const toml::table& table() const { return *table_; }
  const std::string& path() const { return path_; }
  const std::string& schema() const { return schema_; }
  const std::string& file() const { return *file_; }

  /// "in [cluster]", "in [[node]]" or "at the top level", for messages.
  std::string where() const;

 private:
  const std::string* file_;
  const toml::table* table_;
  std::string path_;
  std::string schema_;
};

/// "a string (\"4242\")", "an integer (42)", "a table", ... for messages.
std::string describe_value(const toml::node& node);

}  // namespace weft::config::detail
