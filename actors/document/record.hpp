#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace weft::document {

/// One data row, as read by a record_reader.
struct record {
  /// 1-based number of the data row (the CSV header row and blank lines do not count).
  std::int64_t number = 0;
  /// The row as a JSON object: CSV values are strings keyed by header names, NDJSON objects are
  /// kept as written (nested objects and arrays included).
  nlohmann::json value;
  /// The row's JSON text exactly as read, when the format has one (NDJSON); empty for CSV.
  /// Lets the mapper store a record without serialising `value` again.
  std::string text;
};

}  // namespace weft::document
