#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/document/data_error.hpp"
#include "actors/document/detail/byte_source.hpp"
#include "actors/document/detail/utf8_validator.hpp"
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// Reads CSV (RFC 4180 and its common dialects), streaming.
///
/// * The dialect comes from options.data: the delimiter (`,` `;` tab `|`, or auto: sniffed from
///   the first lines, see sniff_delimiter()), the quote character, lines to skip before the
///   header, and whether there is a header row at all (else options.data.columns names them).
/// * Header names must be non-empty and unique.
/// * Fields may be quoted ("a, b", doubled quotes "" inside, line breaks inside).
///   A quote inside an unquoted field is kept as a literal character.
/// * UTF-8 with or without a BOM, or another encoding converted while streaming;
///   CRLF, LF or lone CR line ends; the last line may lack one.
/// * Empty lines between rows are skipped.
/// * Every data row must have exactly as many fields as there are columns.
/// Each record is a JSON object of strings keyed by column name. A column whose name has dots
/// ("customer.name") is nested ({"customer": {"name": …}}), since Mustache resolves a dotted
/// name step by step and never as one key; it stays a literal key when it cannot be nested (an
/// empty step, or another column already holds a value at one of its steps: "customer" and
/// "customer.name", or "a.b" and "a.b.c").
class csv_reader : public record_reader {
 public:
  /// Reads from `in`, which must outlive the reader.
  /// @throws data_error when options.data is inconsistent (check_data_options()).
  csv_reader(std::istream& in, reader_options options = {});
  /// Opens `path`. @throws data_error when it cannot be opened.
  explicit csv_reader(const std::filesystem::path& path, reader_options options = {});

  bool next(record& out) override;
  std::string describe() const override;

  /// Column names, once the header has been read (after the first next()).
  const std::vector<std::string>& header() const { return header_; }
  /// The delimiter in use: the one given, or after the first next() the one sniffed.
  char delimiter() const { return delimiter_; }

 private:
  void read_header();
  void skip_lines();
  /// Reads one row into fields_ (n_fields_ of them stored). False at the end of the input.
  bool read_row(std::size_t store_limit);
  int next_byte();
  void append(std::string& field, int c);
  [[noreturn]] void fail(std::int64_t row, std::int64_t line, std::string reason);
  [[noreturn]] void fail_input(std::int64_t row, std::int64_t line);

  std::unique_ptr<std::ifstream> file_;
  reader_options options_;
  detail::byte_source in_;
  detail::utf8_validator utf8_;
  char delimiter_;
  char quote_;
  std::string sniffed_;  // how the delimiter was chosen, when it was sniffed
  std::vector<std::string> header_;
  /// Per column: the steps of a nested column, empty for a column stored under its name.
  std::vector<std::vector<std::string>> paths_;
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

/// Picks the delimiter of the CSV text that starts with `sample` (the header line and the
/// first rows): among `,` `;` tab `|`, the one that splits the first line into the most
/// columns (more than one) and every complete row of the sample into as many; failing that,
/// the one giving the first line the most columns; `,` when none splits it at all.
/// `at_end` says the sample holds the whole file (its last row is then complete too).
/// `why` receives a short account for the log, e.g. "3 columns in 20 rows".
char sniff_delimiter(std::string_view sample, char quote, bool at_end, std::string& why);

}  // namespace weft::document
