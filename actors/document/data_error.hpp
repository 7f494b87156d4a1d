#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace weft::document {

/// A data file that cannot be read: missing, malformed or over a limit.
///
/// what() reads like "data.csv: row 17 (line 19): 5 fields, header has 4". Errors that belong to
/// no data row (missing file, bad CSV header) have row 0: "data.csv: line 1: header: ...".
class data_error : public std::runtime_error {
 public:
  /// @param source  name of the data file as shown to users (usually its file name).
  /// @param row     1-based data row, 0 for the header or the file as a whole.
  /// @param line    1-based physical line where the row starts, 0 when unknown.
  data_error(std::string source, std::int64_t row, std::int64_t line, std::string reason);

  const std::string& source() const noexcept { return source_; }
  std::int64_t row() const noexcept { return row_; }
  std::int64_t line() const noexcept { return line_; }
  /// The reason alone, without file name and position.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string source_;
  std::int64_t row_;
  std::int64_t line_;
  std::string reason_;
};

/// The reason for a JSON number too large for a double, from nlohmann's out_of_range 406
/// text ("number overflow parsing '1e400'"): "number out of range: 1e400", the number cut
/// to 40 characters (a line may hold megabytes of digits). Used by the JSON readers.
std::string number_overflow_reason(const std::string& what);

}  // namespace weft::document
