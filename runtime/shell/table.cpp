#include "runtime/shell/table.hpp"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>

namespace weft::shell {

std::string paint(std::string_view text, colour c, bool enabled) {
  const char* code = nullptr;
  switch (c) {
    case colour::none:
      break;
    case colour::green:
      code = "\033[32m";
      break;
    case colour::red:
      code = "\033[31m";
      break;
    case colour::yellow:
      code = "\033[33m";
      break;
    case colour::cyan:
      code = "\033[36m";
      break;
    case colour::dim:
      code = "\033[2m";
      break;
    case colour::bold:
      code = "\033[1m";
      break;
  }
  if (!enabled || code == nullptr || text.empty()) return std::string{text};
  return code + std::string{text} + "\033[0m";
}

bool colour_wanted() {
  const char* no_colour = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) != 0 && (no_colour == nullptr || *no_colour == '\0');
}

std::size_t display_width(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

table& table::column(std::string header, align a, bool optional) {
  assert(rows_.empty());
  headers_.push_back(std::move(header));
  aligns_.push_back(a);
  optional_.push_back(optional);
  return *this;
}

table& table::row(std::vector<cell> cells) {
  assert(cells.size() <= headers_.size());
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
  return *this;
}

void table::print(std::ostream& out, bool colour_enabled) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = display_width(headers_[i]);
  for (const auto& r : rows_)
    for (std::size_t i = 0; i < r.size(); ++i)
      widths[i] = std::max(widths[i], display_width(r[i].text));

  std::vector<bool> shown(headers_.size(), true);
  for (std::size_t i = 0; i < headers_.size(); ++i)
    if (optional_[i])
      shown[i] =
          std::any_of(rows_.begin(), rows_.end(), [&](auto& r) { return !r[i].text.empty(); });

  auto line = [&](const std::vector<cell>& cells) {
    std::string text;
    bool first = true;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (!shown[i]) continue;
      bool last = i + 1 == cells.size();
      std::size_t pad = widths[i] - display_width(cells[i].text);
      if (!first) text += "  ";
      first = false;
      if (aligns_[i] == align::right) text.append(pad, ' ');
      text += paint(cells[i].text, cells[i].paint, colour_enabled);
      if (aligns_[i] == align::left && !last) text.append(pad, ' ');
    }
    // A left-aligned last column leaves no padding; trailing blanks of empty
    // cells before it would otherwise remain.
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  std::vector<cell> header;
  for (const auto& h : headers_) header.emplace_back(h, colour::bold);
  line(header);
  for (const auto& r : rows_) line(r);
}

}  // namespace weft::shell
