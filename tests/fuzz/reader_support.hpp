#pragma once

// Reader options chosen by the input's first bytes, and reading a whole stream, for the data
// reader harnesses (fuzz_csv, fuzz_ndjson, fuzz_json_xml).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/reader_options.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace weft::fuzz {

/// Encoding, limits and buffer size from two bytes: small buffers and limits reach the paths
/// where a field, a line or a multi-byte character crosses a buffer boundary or a limit.
inline document::reader_options reader_options_from(input& in) {
  static const char* encodings[] = {"",          "utf-8",    "windows-1252", "iso-8859-1",
                                    "iso-8859-15", "utf-16", "utf-16le",     "utf-16be"};
  document::reader_options o;
  const auto a = in.byte();
  const auto b = in.byte();
  o.data.encoding = encodings[a & 7];
  if (a & 8) o.max_field_bytes = 1 + (b & 63);
  if (a & 16) o.max_columns = 1 + (b >> 4);
  if (a & 32) o.max_depth = b & 15;
  o.buffer_bytes = (a & 64) ? 1 + (b & 31) : 4096;
  o.source_name = "fuzz";
  return o;
}

/// Reads every record of `text` in `format`; a data_error ends it. Each record must be an
/// object with a positive, increasing number.
inline void read_all(const std::string& text, document::data_format format,
                     const document::reader_options& options) {
  std::istringstream stream(text);
  std::unique_ptr<document::record_reader> reader;
  try {
    reader = document::make_record_reader(stream, format, options);
  } catch (const document::data_error&) {  // inconsistent options
    return;
  }
  document::record r;
  try {
    std::int64_t last = 0;
    for (int n = 0; n < 100000 && reader->next(r); ++n) {
      if (!r.value.is_object() || r.number <= last) std::abort();
      last = r.number;
      (void)r.value.dump();
    }
    (void)reader->describe();
  } catch (const document::data_error& e) {
    // A spent reader throws the same error again.
    try {
      reader->next(r);
    } catch (const document::data_error& again) {
      if (std::string(again.what()) != e.what()) std::abort();
      return;
    }
    std::abort();
  }
}

}  // namespace weft::fuzz
