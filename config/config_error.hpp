#pragma once

#include <stdexcept>
#include <string>

namespace weft::config {

/// A problem with the topology file: syntax, unknown key, wrong type, bad value, or an
/// inconsistent cluster. Every problem the loader finds is reported as one of these.
///
/// `what()` reads "FILE:LINE:COLUMN: KEY: REASON"; parts that are unknown (an empty file
/// or key, a line or column of 0) are left out together with their separator.
struct config_error : std::runtime_error {
  /// @param file    the topology file (as given to load_topology), or empty
  /// @param line    1-based line of the offending key or value, 0 when unknown
  /// @param column  1-based column, 0 when unknown
  /// @param key     dotted key, e.g. `node[2].merge_engines`, or empty
  /// @param reason  what is wrong and, where possible, how to fix it
  config_error(std::string file, int line, int column, std::string key, std::string reason);

  std::string file;
  int line = 0;
  int column = 0;
  std::string key;
  std::string reason;

  /// Formats the parts as `what()` does.
  static std::string format(const std::string& file, int line, int column, const std::string& key,
                            const std::string& reason);
};

}  // namespace weft::config
