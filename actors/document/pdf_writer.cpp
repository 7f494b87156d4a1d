#include "actors/document/pdf_writer.hpp"

#include <hpdf.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "actors/document/detail/winansi.hpp"
#include "actors/document/output_error.hpp"

namespace weft::document {

namespace {

constexpr double page_width = 595.276;  // A4 in points
constexpr double page_height = 841.89;
constexpr double line_spacing = 1.25;
constexpr double heading_scale = 1.3;
constexpr double footer_size = 8.0;

struct placed_line {
  std::string text;  // WinAnsi
  bool bold;
  double size;
  double y;  // baseline
};

using page_lines = std::vector<placed_line>;

/// The first error libharu reported; its error callback must not throw (it is called from C).
struct hpdf_error {
  HPDF_STATUS error = HPDF_OK;
  HPDF_STATUS detail = 0;
};

void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user) {
  auto* e = static_cast<hpdf_error*>(user);
  if (e->error == HPDF_OK) {
    e->error = error_no;
    e->detail = detail_no;
  }
}

}  // namespace

struct pdf_writer::state {
  HPDF_Doc pdf = nullptr;
  HPDF_Font regular = nullptr;
  HPDF_Font bold = nullptr;
  std::array<double, 256> regular_width{};  // glyph widths in 1/1000 of the font size
  std::array<double, 256> bold_width{};
  output_options options;
  std::uint64_t documents = 0;
  std::uint64_t pages = 0;
  hpdf_error last_error;
  bool finished = false;

  void check(const char* what) {
    if (last_error.error == HPDF_OK) return;
    char code[64];
    std::snprintf(code, sizeof code, " (libharu error 0x%04X, detail %u)",
                  static_cast<unsigned>(last_error.error),
                  static_cast<unsigned>(last_error.detail));
    last_error = {};
    throw output_error(std::string("PDF: ") + what + code);
  }

  double width(const std::string& s, bool is_bold, double size) const {
    const auto& w = is_bold ? bold_width : regular_width;
    double total = 0;
    for (char c : s) total += w[static_cast<unsigned char>(c)];
    return total * size / 1000.0;
  }
};

namespace {

void fill_widths(HPDF_Font font, std::array<double, 256>& widths) {
  for (int c = 1; c < 256; ++c) {
    const auto byte = static_cast<HPDF_BYTE>(c);
    widths[static_cast<std::size_t>(c)] = HPDF_Font_TextWidth(font, &byte, 1).width;
  }
}

/// Splits `line` (WinAnsi) into pieces no wider than `avail`: at the last space that fits, or
/// inside a word that is wider than a line on its own.
template <typename Width>
std::vector<std::string> wrap(const std::string& line, double avail, Width width_of) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < line.size()) {
    double w = 0;
    std::size_t i = start;
    std::size_t last_space = std::string::npos;
    for (; i < line.size(); ++i) {
      w += width_of(line[i]);
      if (w > avail) break;
      if (line[i] == ' ') last_space = i;
    }
    if (i == line.size()) {
      out.push_back(line.substr(start));
      break;
    }
    if (last_space != std::string::npos && last_space > start) {
      out.push_back(line.substr(start, last_space - start));
      start = last_space + 1;
    } else {
      const std::size_t stop = i > start ? i : start + 1;
      out.push_back(line.substr(start, stop - start));
      start = stop;
    }
  }
  if (out.empty()) out.emplace_back();
  return out;
}

}  // namespace

pdf_writer::pdf_writer(const std::filesystem::path& path, const output_options& options)
    : file_(path), s_(std::make_unique<state>()) {
  s_->options = options;
  std::string bold_name;
  if (options.font == "Helvetica") {
    bold_name = "Helvetica-Bold";
  } else if (options.font == "Courier") {
    bold_name = "Courier-Bold";
  } else if (options.font == "Times-Roman") {
    bold_name = "Times-Bold";
  } else {
    throw output_error("PDF: unknown font \"" + options.font +
                       "\" (use Helvetica, Courier or Times-Roman)");
  }
  if (!(options.font_size >= 4 && options.font_size <= 72)) {
    throw output_error("PDF: font size must be between 4 and 72 points");
  }
  if (!(options.margin >= 0 && options.margin <= 200)) {
    throw output_error("PDF: margin must be between 0 and 200 points");
  }
  s_->pdf = HPDF_New(on_error, &s_->last_error);
  if (s_->pdf == nullptr) throw output_error("PDF: libharu could not start (out of memory?)");
  HPDF_SetCompressionMode(s_->pdf, options.compress ? HPDF_COMP_ALL : HPDF_COMP_NONE);
  const std::string title =
      detail::utf8_to_winansi(options.title.empty() ? path.stem().string() : options.title);
  HPDF_SetInfoAttr(s_->pdf, HPDF_INFO_TITLE, title.c_str());
  HPDF_SetInfoAttr(s_->pdf, HPDF_INFO_CREATOR, "Weft");
  s_->regular = HPDF_GetFont(s_->pdf, options.font.c_str(), "WinAnsiEncoding");
  s_->bold = HPDF_GetFont(s_->pdf, bold_name.c_str(), "WinAnsiEncoding");
  s_->check("cannot load the fonts");
  fill_widths(s_->regular, s_->regular_width);
  fill_widths(s_->bold, s_->bold_width);
}

pdf_writer::~pdf_writer() {
  if (s_ && s_->pdf != nullptr) HPDF_Free(s_->pdf);
}

std::uint64_t pdf_writer::pages() const { return s_->pages; }

void pdf_writer::add_document(std::string_view text) {
  if (s_->finished) throw output_error("PDF: add_document() after finish()");
  state& s = *s_;
  const double margin = s.options.margin;
  const double body = s.options.font_size;
  const double heading = body * heading_scale;
  const double top = page_height - margin;
  const double avail = page_width - 2 * margin;

  // Lay the whole document out first, so the footer can say "page i of n".
  std::vector<page_lines> pages(1);
  double cursor = top;
  const auto new_page = [&] {
    // Refused while laying out: a record of form feeds made 20,001 pages, each a page object
    // in memory until the file is saved.
    if (s.options.max_document_pages > 0 && pages.size() >= s.options.max_document_pages)
      throw output_error(too_many_pages(s.options.max_document_pages));
    pages.emplace_back();
    cursor = top;
  };
  const auto place = [&](std::string line, bool bold, double size) {
    if (cursor - size < margin && cursor < top) new_page();
    pages.back().push_back({std::move(line), bold, size, cursor - size});
    cursor -= size * line_spacing;
  };

  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t stop = pos;
    while (stop < text.size() && text[stop] != '\n' && text[stop] != '\f') ++stop;
    std::string_view raw = text.substr(pos, stop - pos);
    const bool form_feed = stop < text.size() && text[stop] == '\f';
    const bool last = stop >= text.size();
    if (!(last && raw.empty() && pos > 0 && text[pos - 1] == '\n')) {
      // (a final line break does not start another line)
      const bool is_heading = raw.size() >= 2 && raw[0] == '#' && raw[1] == ' ';
      if (is_heading) raw.remove_prefix(2);
      std::string line = detail::utf8_to_winansi(raw);
      std::string expanded;
      expanded.reserve(line.size());
      for (char c : line) {
        if (c == '\t') {
          expanded += "    ";
        } else {
          expanded.push_back(c);
        }
      }
      if (!(form_feed && expanded.empty())) {
        const double size = is_heading ? heading : body;
        if (is_heading && cursor < top) cursor -= body * 0.5;
        const auto& widths = is_heading ? s.bold_width : s.regular_width;
        const auto width_of = [&](char c) {
          return widths[static_cast<unsigned char>(c)] * size / 1000.0;
        };
        for (auto& piece : wrap(expanded, avail, width_of))
          place(std::move(piece), is_heading, size);
      }
    }
    if (form_feed && !(pages.back().empty() && cursor == top)) new_page();
    if (last) break;
    pos = stop + 1;
  }

  const std::size_t n = pages.size();
  for (std::size_t i = 0; i < n; ++i) {
    HPDF_Page page = HPDF_AddPage(s.pdf);
    s.check("cannot add a page");
    HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(page_width));
    HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(page_height));
    HPDF_Page_BeginText(page);
    HPDF_Font current = nullptr;
    double current_size = 0;
    for (const placed_line& l : pages[i]) {
      if (l.text.empty()) continue;
      HPDF_Font font = l.bold ? s.bold : s.regular;
      if (font != current || l.size != current_size) {
        HPDF_Page_SetFontAndSize(page, font, static_cast<HPDF_REAL>(l.size));
        current = font;
        current_size = l.size;
      }
      HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(margin), static_cast<HPDF_REAL>(l.y),
                        l.text.c_str());
    }
    const std::string footer = "page " + std::to_string(i + 1) + " of " + std::to_string(n);
    HPDF_Page_SetFontAndSize(page, s.regular, static_cast<HPDF_REAL>(footer_size));
    const double fw = s.width(footer, false, footer_size);
    HPDF_Page_TextOut(page, static_cast<HPDF_REAL>((page_width - fw) / 2),
                      static_cast<HPDF_REAL>(margin / 2), footer.c_str());
    HPDF_Page_EndText(page);
    s.check("cannot write a page");
    ++s.pages;
  }
  ++s.documents;
}

output_stats pdf_writer::finish() {
  if (s_->finished) throw output_error("PDF: finish() called twice");
  s_->finished = true;
  HPDF_SaveToFile(s_->pdf, file_.part_path().c_str());
  s_->check(("cannot save " + file_.part_path().string()).c_str());
  HPDF_Free(s_->pdf);
  s_->pdf = nullptr;
  output_stats stats;
  stats.documents = s_->documents;
  stats.pages = s_->pages;
  stats.bytes = file_.commit();
  stats.path = file_.final_path();
  return stats;
}

}  // namespace weft::document
