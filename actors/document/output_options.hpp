#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::document {

/// Options of the output writers. Fields a format does not use are ignored.
struct output_options {
  /// HTML <title> and PDF title metadata; empty means the output file's stem.
  std::string title;
  /// PDF author metadata; empty: the first document's <meta name="author">, if any.
  std::string author;
  /// PDF and txt: most pages one document may fill (`jobs.max_document_pages`); a document
  /// that would fill more is refused with an output_error. 0: no limit.
  std::uint64_t max_document_pages = 0;
  /// The folder a template's images and fonts are read from (`<img src="logo.png">` is
  /// resources_dir/logo.png): the job's own resources, else the cluster's resource folder
  /// (planning::resources_dir_of). Empty: none.
  std::filesystem::path resources_dir;
  /// PDF: largest image file accepted (`jobs.max_image_bytes`).
  std::uint64_t max_image_bytes = 10 * 1024 * 1024;
  /// PDF: font directories added to fontconfig's (`[fonts].dirs`).
  std::vector<std::string> font_dirs;
  /// PDF: what lies outside the template subset is an error, not a warning.
  bool strict = false;
  /// PDF: the job's template file. When given, its own text is checked once (tags blanked)
  /// before the documents, so warnings name the template's line:column (docs/templates.md
  /// "Outside the subset"). Empty: warnings name positions in the merged documents.
  std::filesystem::path template_path;
  /// PDF: most distinct warnings kept per output file (`jobs.max_warnings`); 0: no limit.
  std::size_t max_warnings = 0;
};

}  // namespace weft::document
