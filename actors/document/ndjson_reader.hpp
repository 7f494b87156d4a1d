#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "actors/document/data_error.hpp"
#include "actors/document/detail/byte_source.hpp"
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// Reads NDJSON (JSON Lines): one JSON object per line, streaming.
///
/// Blank lines are skipped (they are not rows); CRLF or LF line ends; an optional UTF-8 BOM.
/// Nested objects and arrays are kept. A line that is not valid JSON, not an object, not valid
/// UTF-8, contains a NUL byte, is longer than max_field_bytes or nests deeper than max_depth
/// fails with its row and line.
class ndjson_reader : public record_reader {
 public:
  /// Reads from `in`, which must outlive the reader.
  ndjson_reader(std::istream& in, reader_options options = {});
  /// Opens `path`. @throws data_error when it cannot be opened.
  explicit ndjson_reader(const std::filesystem::path& path, reader_options options = {});

  bool next(record& out) override;
  std::string describe() const override;

 private:
  /// Reads the next physical line into line_ (without its end). False at the end of the input.
  bool read_line();
  void check_line();
  [[noreturn]] void fail(std::string reason);

  std::unique_ptr<std::ifstream> file_;
  reader_options options_;
  detail::byte_source in_;
  std::string line_;
  std::int64_t line_number_ = 0;
  std::int64_t row_ = 0;
  std::optional<data_error> failed_;
};

}  // namespace weft::document
