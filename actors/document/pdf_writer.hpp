#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actors/document/detail/part_file.hpp"
#include "actors/document/output_options.hpp"
#include "actors/document/output_writer.hpp"

namespace weft::document {

/// Paginated print output: each document is merged HTML in the template subset
/// (docs/templates.md), laid out by the layout engine (actors/document/layout) and painted on
/// one Cairo PDF surface per output file, so fonts are subset and images embedded once per file.
///
/// Each document starts on a new page, numbered from 1 (<page-number>, <page-count>), and gets an
/// outline entry named by its <title> (else "Document N"). Memory: one document is laid out,
/// painted and dropped before the next; Cairo keeps only the fonts' glyph sets until finish().
class pdf_writer : public output_writer {
 public:
  /// With options.template_path, checks the template's own text first (see output_options).
  /// @throws output_error when the file cannot be created or a font directory is unusable, or
  /// (strict) the template uses something outside the subset (naming its line:column).
  pdf_writer(const std::filesystem::path& path, const output_options& options);
  ~pdf_writer() override;

  /// @throws output_error for a document that cannot be laid out (its message names the element
  /// or resource and its line:column in the merged document).
  void add_document(std::string_view text) override;
  output_stats finish() override;
  const std::vector<std::string>& warnings() const override;
  std::size_t dropped_warnings() const override;
  void next_record(std::int64_t record) override;

  /// Pages written so far.
  std::uint64_t pages() const;

 private:
  struct state;
  detail::part_file file_;
  std::unique_ptr<state> s_;
};

/// `text` (a Mustache template) with every tag replaced by spaces of the same length (line
/// breaks kept), variable, unescaped and partial tags starting with U+E000, so that a check of
/// the HTML/CSS reports the template's own line:column. Empty when the template does not scan.
std::string blank_template_tags(const std::string& text);

}  // namespace weft::document
