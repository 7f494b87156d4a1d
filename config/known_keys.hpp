#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace weft::config {

/// One key of the topology file. The list returned by known_keys() is the single source of
/// truth for which keys exist: the loader rejects every other key, and docs/configuration.md
/// documents exactly these (a test checks both directions).
struct key_info {
  /// Dotted table the key lives in: "" for the top level, "cluster", "scheduler.merge",
  /// "scheduler.merge.parallel_per_job", "node" for each `[[node]]`.
  std::string_view table;
  std::string_view key;
  /// As documented: string, integer, boolean, duration, HOST:PORT, path, cron, table,
  /// array of tables.
  std::string_view type;
  /// "required", or the default as written in docs (TOML spelling where it applies).
  std::string_view default_value;
  std::string_view meaning;
  std::string_view example;
};

/// Every key the topology file may contain, grouped by table, in documentation order.
const std::vector<key_info>& known_keys();

/// The key names allowed in `table` (see key_info::table); empty for an unknown table.
std::vector<std::string_view> keys_of(std::string_view table);

/// The candidate closest to `unknown` by edit distance, if it is close enough to be a
/// plausible typo (at most 2 edits, or a third of the longer name).
std::optional<std::string_view> closest_key(std::string_view unknown,
                                            const std::vector<std::string_view>& candidates);

}  // namespace weft::config
