#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/document/data_error.hpp"
#include "actors/document/detail/byte_source.hpp"
#include "actors/document/detail/utf8_validator.hpp"
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// Reads RFC 4180 CSV with a header row, streaming.
///
/// * The first row names the columns; names must be non-empty and unique.
/// * Fields may be quoted ("a, b", doubled quotes "" inside, line breaks inside).
///   A quote inside an unquoted field is kept as a literal character.
/// * UTF-8 with or without a BOM; CRLF, LF or lone CR line ends; the last line may lack one.
/// * Empty lines between rows are skipped.
/// * Every data row must have exactly as many fields as the header.
/// Each record is a JSON object of strings keyed by column name.
class csv_reader : public record_reader {
 public:
  /// Reads from `in`, which must outlive the reader.
  csv_reader(std::istream& in, reader_options options = {});
  /// Opens `path`. @throws data_error when it cannot be opened.
  explicit csv_reader(const std::filesystem::path& path, reader_options options = {});

  bool next(record& out) override;

  /// Column names, once the header has been read (after the first next()).
  const std::vector<std::string>& header() const { return header_; }

 private:
  void read_header();
  /// Reads one row into fields_ (n_fields_ of them stored). False at the end of the input.
  bool read_row(std::size_t store_limit);
  int next_byte();
  void append(std::string& field, int c);
  [[noreturn]] void fail(std::int64_t row, std::int64_t line, std::string reason);

  std::unique_ptr<std::ifstream> file_;
  reader_options options_;
  detail::byte_source in_;
  detail::utf8_validator utf8_;
  std::vector<std::string> header_;
  std::vector<std::string> fields_;
  std::string discard_;  // fields past the header's count are read into this one
  std::size_t n_fields_ = 0;
  bool header_read_ = false;
  std::int64_t line_ = 1;
  std::int64_t row_line_ = 1;
  std::int64_t row_ = 0;
  std::uint64_t row_offset_ = 0;
  std::optional<data_error> failed_;
};

}  // namespace weft::document
