#pragma once

#include <cstddef>
#include <string>

#include "actors/document/data_options.hpp"

namespace weft::document {

/// Limits, naming and the user's data options for record readers. The defaults suit real jobs;
/// tests lower them.
struct reader_options {
  /// Longest CSV field, or longest NDJSON line, in bytes. A longer one is refused as soon as the
  /// limit is crossed, before the rest is read.
  std::size_t max_field_bytes = 16u * 1024u * 1024u;
  /// Most columns a CSV header may have.
  std::size_t max_columns = 4096;
  /// Deepest nesting of arrays/objects in an NDJSON record.
  std::size_t max_depth = 64;
  /// Size of the read buffer in bytes.
  std::size_t buffer_bytes = 64u * 1024u;
  /// What the user said about the file: CSV dialect, encoding, record path.
  data_options data;
  /// Name used in error messages; empty means the file name of the path (or "data" for streams).
  std::string source_name;
};

}  // namespace weft::document
