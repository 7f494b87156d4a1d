#pragma once

// The key descriptor table: every key of the topology file, once, with its type, check,
// default, meaning, example and whether `set` may change it on a running cluster.
//
// Everything that handles keys reads this table: the loader (config/topology.cpp) reads each
// key through its descriptor and rejects keys the table does not list; describe() prints the
// effective value of every key through the same descriptors; run-time `set`
// (config/runtime_settings.cpp) finds the settable keys, their values and their checks here;
// docs/configuration.md documents the table (config_docs_test compares names, types and
// defaults in both directions).
//
// A key's default is written once: as the initial value of its field in config/settings.hpp.
// The descriptor holds member pointers to that field and renders the default from a
// default-constructed `settings` (or `node_settings`), so the documented default text cannot
// disagree with the value the program uses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace weft::config {

namespace detail {
class table_reader;
}

/// How a key is written in TOML, and so how it is read and documented.
enum class key_type {
  table,            ///< `[a.b]` or an inline table
  array_of_tables,  ///< `[[node]]`
  string,
  path,             ///< a string; relative paths resolve against the topology file's directory
  cron,             ///< a string checked by check_cron
  integer,          ///< within [min, max]
  boolean,          ///< true or false, never a string or a number
  duration_string,  ///< a string such as "250ms", at least `min` milliseconds
  address,          ///< a string "HOST:PORT"
  path_list,        ///< an array of paths (each resolved like `path`), documented "array of paths"
};

struct key_info;

/// Where a key's value lives in a `Root` (`settings`, or `node_settings` for the keys of
/// `[[node]]`) and how it is read and written. One instance per member-pointer path, defined
/// in known_keys.cpp.
template <class Root>
class key_field {
 public:
  virtual ~key_field() = default;
  /// Reads `k.key` of `t` into `r` with the type and checks of `k`. An absent key leaves `r`
  /// unchanged, or throws when `k.required`.
  /// @throws config_error naming the key and its line.
  virtual void read(const detail::table_reader& t, const key_info& k, Root& r) const = 0;
  /// The value in `r` as TOML value text: `4`, `true`, `"15m"`, `"master"`. An unset optional
  /// and an empty string give "" (empty text, not a quoted empty string).
  virtual std::string text(const Root& r) const = 0;
};

/// A string check: nullopt when `value` is good, else what is wrong with it.
using string_check = std::optional<std::string> (*)(std::string_view value);

/// One key of the topology file: the descriptor every consumer reads.
struct key_info {
  /// Dotted table the key lives in: "" for the top level, "cluster", "scheduler.merge",
  /// "scheduler.merge.parallel_per_job", "node" for each `[[node]]`.
  std::string_view table;
  std::string_view key;
  key_type type = key_type::string;
  /// integer: the allowed range; duration: `min` is the least value in milliseconds (1: "> 0").
  int64_t min = 0;
  int64_t max = 0;
  /// A rule against another key, checked by the table's reader after all its keys are read,
  /// and documented as the type (`> heartbeat` gives "duration > heartbeat").
  std::string_view relation;
  /// Extra check of a string, path or cron value (cron: check_cron).
  string_check check = nullptr;
  /// The key must be present (and, for strings, not empty).
  bool required = false;
  /// Documented instead of the typed default when that is derived or absent ("none (stderr
  /// only)", "`listen`"); for tables, "all defaults" and the like.
  std::string_view default_note;
  /// `set KEY VALUE` may change it on a running cluster (docs/configuration.md).
  bool settable = false;
  /// The field of `settings` the key reads into (every key of a table other than `[[node]]`
  /// that is not a table); null otherwise.
  const key_field<settings>* field = nullptr;
  /// The field of `node_settings` (keys of `[[node]]`); null otherwise.
  const key_field<node_settings>* node_field = nullptr;
  /// What describe() shows when the field is unset (empty text); null: the key is left out.
  std::string (*when_unset)(const settings& s) = nullptr;
  std::string_view meaning;
  std::string_view example;

  /// "cluster.heartbeat", "scheduler.merge.reserved.small", "node.name", "cluster".
  std::string dotted() const;
  /// As documented: "duration > 0", "integer 1..1000", "integer >= min_batch_size", "path",
  /// "HOST:PORT", "table", "array of tables".
  std::string type_text() const;
  /// Whether the default is the typed value of the field in a default-constructed settings
  /// (no note, not required).
  bool has_typed_default() const;
  /// As documented: "required", the note, or the typed default as TOML text (`"250ms"`, `4`,
  /// `{ medium = 2, large = 8 }` for a table of such keys).
  std::string default_text() const;
};

/// Every key the topology file may contain, grouped by table, in documentation order.
const std::vector<key_info>& known_keys();

/// The descriptor of `key` in `table`, or nullptr.
const key_info* find_key(std::string_view table, std::string_view key);

/// The descriptor named by its full dotted name ("cleanup.retain.jobs"), or nullptr.
const key_info* find_dotted_key(std::string_view dotted);

/// The key names allowed in `table` (see key_info::table); empty for an unknown table.
std::vector<std::string_view> keys_of(std::string_view table);

/// Whether `table` is written inline in the effective settings (`retain = { jobs = ... }`):
/// a table whose keys are all values, not tables, below the top level.
bool is_inline_table(std::string_view table);

/// The value of the inline table `table` in `s` as TOML text: `{ medium = 2, large = 8 }`.
std::string inline_table_text(const settings& s, std::string_view table);

/// The candidate closest to `unknown` by edit distance, if it is close enough to be a
/// plausible typo (at most 2 edits, or a third of the longer name).
std::optional<std::string_view> closest_key(std::string_view unknown,
                                            const std::vector<std::string_view>& candidates);

namespace detail {

/// Reads every key of `t` (its schema names the table) that has a field into `s` (or `n` for
/// `[[node]]`), in table order, through the descriptors; descends into the sub-tables the
/// table lists, rejecting unknown keys there. Keys without a field and rules between keys are
/// left to the caller. @throws config_error at the first problem.
void read_keys(const table_reader& t, settings& s);
void read_keys(const table_reader& t, node_settings& n);

}  // namespace detail

}  // namespace weft::config
