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
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// Reads a JSON document that holds the records as one array, streaming: either the document is
/// the array (`[{...}, {...}]`), or it is an object and options.data.record_path names the
/// array inside it (`/data/items` for `{"data": {"items": [...]}}`).
///
/// The document is scanned incrementally; only one record's text is held at a time, and each
/// record is parsed on its own (nlohmann's SAX parser behind json::parse) once its end is found.
/// Members beside the path are skipped without being kept. Every record must be an object; a
/// record longer than max_field_bytes or nested deeper than max_depth is refused before it is
/// parsed, like an NDJSON line. A document that ends early, has text after its end, or is
/// malformed fails with the record number and the line and column.
class json_reader : public record_reader {
 public:
  /// Reads from `in`, which must outlive the reader.
  json_reader(std::istream& in, reader_options options = {});
  /// Opens `path`. @throws data_error when it cannot be opened.
  explicit json_reader(const std::filesystem::path& path, reader_options options = {});

  bool next(record& out) override;
  std::string describe() const override;

 private:
  /// Finds the array of records: follows the record path from the top of the document.
  void open();
  /// After the array: skips the rest of the enclosing objects and checks the document ends.
  void close();
  int get();
  int peek();
  void skip_space();
  void expect(char c, const char* what);
  /// Reads a string (the opening quote already consumed) into `out` when given, as written.
  void scan_string(std::string* out);
  /// Reads one value of any kind into `out` when given, checking brackets and limits.
  void scan_value(std::string* out);
  std::string where() const;
  std::string at_path(std::size_t depth) const;
  [[noreturn]] void fail(std::string reason);
  [[noreturn]] void fail_at(std::string reason);

  std::unique_ptr<std::ifstream> file_;
  reader_options options_;
  detail::byte_source in_;
  std::vector<std::string> path_;
  bool opened_ = false;
  bool done_ = false;
  bool first_ = true;
  std::int64_t line_ = 1;
  std::int64_t column_ = 0;
  std::int64_t array_line_ = 0;
  std::int64_t row_ = 0;
  std::int64_t row_line_ = 0;
  std::string text_;
  std::string key_;
  std::optional<data_error> failed_;
};

}  // namespace weft::document
