#pragma once

#include <filesystem>
#include <memory>

#include "actors/document/detail/part_file.hpp"
#include "actors/document/output_options.hpp"
#include "actors/document/output_writer.hpp"

namespace weft::document {

/// Paginated print output with libharu: A4 portrait, a base-14 font in WinAnsi encoding.
///
/// Layout of each document: it starts on a new page; lines longer than the text width are
/// word-wrapped (words longer than a line are cut); a line starting with "# " is a bold heading;
/// a form feed forces a page break; the footer shows "page i of n" counted per document.
/// Characters outside WinAnsi print as '?'.
///
/// Memory: libharu keeps the whole document until finish(); about 2 KB per page of text (see
/// docs/templates.md for the measurement), so callers cap the documents per file.
class pdf_writer : public output_writer {
 public:
  /// @throws output_error for an unknown font or when libharu cannot start.
  pdf_writer(const std::filesystem::path& path, const output_options& options);
  ~pdf_writer() override;

  void add_document(std::string_view text) override;
  output_stats finish() override;

  /// Pages written so far.
  std::uint64_t pages() const;

 private:
  struct state;
  detail::part_file file_;
  std::unique_ptr<state> s_;
};

}  // namespace weft::document
