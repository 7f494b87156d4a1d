#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace weft::shell {

/// The few colours the shell uses (ANSI escapes, only when wanted).
enum class colour { none, green, red, yellow, cyan, dim, bold };

/// `text` wrapped in the escape sequence of `c` when `enabled`, else as is.
std::string paint(std::string_view text, colour c, bool enabled);

/// Whether to colour what goes to stdout: it is a terminal and NO_COLOR
/// (https://no-color.org) is unset or empty.
bool colour_wanted();

/// Display width of UTF-8 text: its code points (the shell prints no wide
/// characters of its own).
std::size_t display_width(std::string_view text);

/// A table printed with aligned columns: each column as wide as its widest
/// cell or header, two blanks between columns, the last column unpadded.
/// Colours do not count towards the widths.
class table {
 public:
  enum class align { left, right };

  struct cell {
    cell(std::string t = {}, colour c = colour::none) : text(std::move(t)), paint(c) {}
    cell(const char* t, colour c = colour::none) : text(t), paint(c) {}
    std::string text;
    colour paint;
  };

  /// Adds a column; call before the first row. An `optional` column (ERROR,
  /// NOTE) is left out when no row has text in it.
  table& column(std::string header, align a = align::left, bool optional = false);
  /// Adds a row; missing cells print empty, extra cells are an error (asserted).
  table& row(std::vector<cell> cells);

  bool empty() const { return rows_.empty(); }

  /// Prints the header (bold with colour) and the rows, one line each.
  void print(std::ostream& out, bool colour_enabled) const;

 private:
  std::vector<std::string> headers_;
  std::vector<align> aligns_;
  std::vector<bool> optional_;
  std::vector<std::vector<cell>> rows_;
};

}  // namespace weft::shell
