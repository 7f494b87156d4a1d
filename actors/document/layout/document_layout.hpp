#pragma once

// The layout engine of PDF output: a merged HTML document (the template subset in
// docs/templates.md) → styled boxes → pages of positioned drawing operations → Cairo.
// No CAF. One `layout_engine` per output file (or preview): it owns the Pango context, the
// fonts found, the images loaded (each loaded and embedded once) and the warnings.

#include <cairo.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/document/layout/layout_error.hpp"
#include "actors/document/layout/style.hpp"

namespace weft::document::layout {

struct layout_options {
  /// Where <img src> files are looked up; a src that leaves this directory is refused.
  /// Empty: images are refused. Font files in it (.ttf, .otf, .ttc, .woff, .woff2, at any
  /// depth) are added to the engine's fonts: a job's own fonts come with its resources.
  std::filesystem::path resources_dir;
  /// Largest image file accepted, in bytes (`jobs.max_image_bytes`).
  std::uint64_t max_image_bytes = 10 * 1024 * 1024;
  /// Most pages one document may fill; 0: no limit (`jobs.max_document_pages`).
  std::uint64_t max_document_pages = 0;
  /// Extra font directories (`[fonts].dirs`), added to fontconfig's.
  std::vector<std::filesystem::path> font_dirs;
  /// Anything outside the subset is an error instead of a warning (`--strict`).
  bool strict = false;
  /// Most distinct warnings kept (`jobs.max_warnings`); 0: no limit. More are counted only.
  std::size_t max_warnings = 0;
};

/// One document laid out: its pages, ready to paint. Opaque.
class laid_out_document {
 public:
  struct impl;
  explicit laid_out_document(std::unique_ptr<impl> p);
  laid_out_document(laid_out_document&&) noexcept;
  ~laid_out_document();
  std::size_t page_count() const;
  double page_width() const;
  double page_height() const;
  /// The document's <title> text, empty when it has none.
  const std::string& title() const;
  /// <meta name="author" content="…">, empty when absent.
  const std::string& author() const;
  impl& get() const { return *p_; }

 private:
  std::unique_ptr<impl> p_;
};

class layout_engine {
 public:
  /// @throws layout_error when a font directory cannot be added.
  explicit layout_engine(layout_options options);
  ~layout_engine();
  layout_engine(const layout_engine&) = delete;
  layout_engine& operator=(const layout_engine&) = delete;

  /// Parses and lays out one merged document. Warnings go to warnings().
  /// @throws layout_error for a bad resource or barcode value, too many pages, or (strict)
  /// anything outside the subset.
  laid_out_document layout(std::string_view html);

  /// Paints page `index` (from 0) of `doc` on `cr`, whose user space is points with the origin
  /// at the page's top left corner.
  void paint(cairo_t* cr, const laid_out_document& doc, std::size_t index);

  /// Checks a template's own text before any document: `blanked` is the template with every
  /// Mustache tag replaced by blanks of the same length (line breaks kept): variable tags
  /// by `marker` and spaces, sections and comments by tabs. A static <img src> and a barcode
  /// whose start tag holds neither are loaded and encoded here: a bad one throws
  /// template_resource_error naming the template's line. What lies outside the subset is warned as
  /// "template line L:C: …" (the template's own positions) and not again for the documents; a
  /// warning that involves a blanked variable (its text holds `marker`) is left to the documents.
  /// @throws layout_error in strict mode (naming the template line:col).
  void check_template(std::string_view blanked, const std::string& marker);

  /// check_template() for the partial `name` (its own text, blanked the same way): warnings
  /// read "partial "name" line L:C: …" in the partial's own lines and columns, and are not
  /// repeated for the documents. The text is parsed as an HTML fragment in the context its
  /// first tag implies (<tr> in a table body, <td> in a row, <li> in a list, else the body).
  void check_partial(const std::string& name, std::string_view blanked, const std::string& marker);

  /// Label of the warnings of the documents laid out from now on, e.g. "record 17: " with the
  /// suffix " of the merged document" after "line L:C".
  void set_document_label(std::string label, std::string where_suffix);

  /// What was outside the subset (each once), with line:column.
  const std::vector<std::string>& warnings() const;
  /// Distinct warnings not kept in warnings() because max_warnings were kept.
  std::size_t dropped_warnings() const;

  struct state;  ///< internal (public for the implementation's helpers)

 private:
  void check_template_text(std::string_view blanked, const std::string& marker, std::string label,
                           bool fragment);

  std::unique_ptr<state> s_;
};

}  // namespace weft::document::layout
