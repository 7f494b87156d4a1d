#include "actors/document/pdf_writer.hpp"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "actors/document/detail/template_scanner.hpp"
#include "actors/document/layout/document_layout.hpp"
#include "actors/document/output_error.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"

namespace weft::document {

namespace {

layout::layout_options to_layout(const output_options& o) {
  layout::layout_options l;
  l.resources_dir = o.resources_dir;
  l.max_image_bytes = o.max_image_bytes;
  l.max_document_pages = o.max_document_pages;
  for (const auto& d : o.font_dirs) l.font_dirs.emplace_back(d);
  l.strict = o.strict;
  l.max_warnings = o.max_warnings;
  return l;
}

/// U+E000 (private use): starts a blanked variable tag in check_template()'s text.
const std::string blank_marker = "\xEE\x80\x80";

}  // namespace

std::string blank_template_tags(const std::string& text) {
  std::vector<detail::template_token> tokens;
  try {
    tokens = detail::scan_template(text, "template");
  } catch (const template_error&) {
    return {};  // compiled at submit; a template that does not scan is not checked here
  }
  std::string out = text;
  using kind = detail::template_token::kind;
  for (const auto& t : tokens) {
    if (t.type == kind::text) continue;
    // A value goes here: mark it, so that what depends on it is left to the documents.
    const bool value =
        t.type == kind::variable || t.type == kind::unescaped || t.type == kind::partial;
    // Sections, inverted sections, comments and delimiter changes become tabs: whitespace to
    // HTML and CSS like the spaces of a value, but an attribute that holds one is known to be
    // made per record (`src="{{#dark}}a.png{{/dark}}"`), never checked as written.
    const char blank = value ? ' ' : '\t';
    for (std::size_t i = t.begin; i < t.end && i < out.size(); ++i)
      if (out[i] != '\n' && out[i] != '\r') out[i] = blank;
    if (value && t.end - t.begin >= blank_marker.size() &&
        out.compare(t.begin, blank_marker.size(), std::string(blank_marker.size(), ' ')) == 0)
      out.replace(t.begin, blank_marker.size(), blank_marker);
  }
  return out;
}

namespace {

/// The partials `text` names, in order, each once.
std::vector<std::string> partial_names(const std::string& text) {
  std::vector<std::string> names;
  std::vector<detail::template_token> tokens;
  try {
    tokens = detail::scan_template(text, "template");
  } catch (const template_error&) {
    return names;
  }
  for (const auto& t : tokens)
    if (t.type == detail::template_token::kind::partial &&
        std::find(names.begin(), names.end(), t.name) == names.end())
      names.push_back(t.name);
  return names;
}

}  // namespace

struct pdf_writer::state {
  output_options options;
  std::unique_ptr<layout::layout_engine> engine;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  std::uint64_t documents = 0;
  std::uint64_t pages = 0;
  bool finished = false;
  bool author_set = false;

  ~state() {
    if (cr) cairo_destroy(cr);
    if (surface) cairo_surface_destroy(surface);
  }

  void check(const char* what) {
    cairo_status_t status = cr ? cairo_status(cr) : cairo_surface_status(surface);
    if (status == CAIRO_STATUS_SUCCESS && surface) status = cairo_surface_status(surface);
    if (status != CAIRO_STATUS_SUCCESS)
      throw output_error(std::string("PDF: ") + what + ": " + cairo_status_to_string(status));
  }
};

pdf_writer::pdf_writer(const std::filesystem::path& path, const output_options& options)
    : file_(path), s_(std::make_unique<state>()) {
  s_->options = options;
  try {
    s_->engine = std::make_unique<layout::layout_engine>(to_layout(options));
  } catch (const layout::layout_error& e) {
    throw output_error(std::string("PDF: ") + e.what());
  }
  if (!options.template_path.empty()) {
    std::ifstream in(options.template_path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string blanked = in ? blank_template_tags(text) : std::string{};
    try {
      if (!blanked.empty()) s_->engine->check_template(blanked, blank_marker);
      // Then every partial reachable from it (each once, breadth first), in its own lines:
      // what a partial's text puts outside the subset is named in the partial, not in the
      // merged documents.
      const auto load = template_engine::directory_partials(options.template_path.parent_path());
      std::vector<std::string> queue = in ? partial_names(text) : std::vector<std::string>{};
      std::set<std::string> seen(queue.begin(), queue.end());
      for (std::size_t i = 0; i < queue.size(); ++i) {
        const std::string name = queue[i];
        const auto source = load(name);
        if (!source) continue;  // a missing partial fails the job when the template compiles
        const std::string partial = blank_template_tags(*source);
        if (!partial.empty()) s_->engine->check_partial(name, partial, blank_marker);
        for (auto& next : partial_names(*source))
          if (seen.insert(next).second) queue.push_back(std::move(next));
      }
    } catch (const layout::template_resource_error& e) {
      throw output_error(e.what());  // a missing or bad resource: strict or not
    } catch (const layout::layout_error& e) {
      throw output_error(std::string(e.what()) +
                         (options.strict ? " (strict: outside the template subset)" : ""));
    }
  }
  s_->surface = cairo_pdf_surface_create(file_.part_path().c_str(), 595.276, 841.89);
  s_->check(("cannot create " + file_.part_path().string()).c_str());
  cairo_pdf_surface_set_metadata(s_->surface, CAIRO_PDF_METADATA_CREATOR, "Weft");
  const std::string title = options.title.empty() ? path.stem().string() : options.title;
  cairo_pdf_surface_set_metadata(s_->surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
  if (!options.author.empty()) {
    cairo_pdf_surface_set_metadata(s_->surface, CAIRO_PDF_METADATA_AUTHOR, options.author.c_str());
    s_->author_set = true;
  }
  s_->cr = cairo_create(s_->surface);
  s_->check("cannot start drawing");
}

pdf_writer::~pdf_writer() = default;

std::uint64_t pdf_writer::pages() const { return s_->pages; }

const std::vector<std::string>& pdf_writer::warnings() const { return s_->engine->warnings(); }

std::size_t pdf_writer::dropped_warnings() const { return s_->engine->dropped_warnings(); }

void pdf_writer::next_record(std::int64_t record) {
  s_->engine->set_document_label("record " + std::to_string(record) + ": ",
                                 " of its merged document");
}

void pdf_writer::add_document(std::string_view text) {
  state& s = *s_;
  if (s.finished) throw output_error("PDF: add_document() after finish()");
  std::optional<layout::laid_out_document> doc;
  try {
    doc.emplace(s.engine->layout(text));
  } catch (const layout::layout_error& e) {
    throw output_error(e.what());
  }
  ++s.documents;
  if (!s.author_set && !doc->author().empty()) {
    cairo_pdf_surface_set_metadata(s.surface, CAIRO_PDF_METADATA_AUTHOR, doc->author().c_str());
    s.author_set = true;
  }
  const std::string title =
      doc->title().empty() ? "Document " + std::to_string(s.documents) : doc->title();
  for (std::size_t i = 0; i < doc->page_count(); ++i) {
    cairo_pdf_surface_set_size(s.surface, doc->page_width(), doc->page_height());
    if (i == 0) {
      const std::string link = "page=" + std::to_string(s.pages + 1);
      cairo_pdf_surface_add_outline(s.surface, CAIRO_PDF_OUTLINE_ROOT, title.c_str(), link.c_str(),
                                    static_cast<cairo_pdf_outline_flags_t>(0));
    }
    cairo_save(s.cr);
    s.engine->paint(s.cr, *doc, i);
    cairo_restore(s.cr);
    cairo_show_page(s.cr);
    s.check("cannot write a page");
    ++s.pages;
  }
}

output_stats pdf_writer::finish() {
  if (s_->finished) throw output_error("PDF: finish() called twice");
  s_->finished = true;
  if (s_->pages == 0) {
    // a PDF needs a page: an output with no documents gets one empty A4 page
    cairo_show_page(s_->cr);
  }
  cairo_destroy(s_->cr);
  s_->cr = nullptr;
  cairo_surface_finish(s_->surface);
  s_->check(("cannot save " + file_.part_path().string()).c_str());
  cairo_surface_destroy(s_->surface);
  s_->surface = nullptr;
  output_stats stats;
  stats.documents = s_->documents;
  stats.pages = s_->pages;
  stats.bytes = file_.commit();
  stats.path = file_.final_path();
  return stats;
}

}  // namespace weft::document
