#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace weft::document {

/// A template that does not compile (or a partial it names that is missing or broken).
///
/// what() reads like "invoice.mustache:12:5: unclosed section \"items\"". Line and column are
/// 1-based; the column counts characters (UTF-8 code points), not bytes.
class template_error : public std::runtime_error {
 public:
  template_error(std::string template_name, std::size_t line, std::size_t column,
                 std::string reason);

  /// The template or partial file the problem is in.
  const std::string& template_name() const noexcept { return template_name_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  /// The reason alone, without name and position.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string template_name_;
  std::size_t line_;
  std::size_t column_;
  std::string reason_;
};

}  // namespace weft::document
