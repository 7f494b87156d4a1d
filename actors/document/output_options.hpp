#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace weft::document {

/// Options of the output writers. Fields a format does not use are ignored.
struct output_options {
  /// PDF base-14 font family: "Helvetica", "Courier" or "Times-Roman".
  std::string font = "Helvetica";
  /// PDF body font size in points (headings are 1.3 times larger).
  double font_size = 10.0;
  /// PDF page margins in points on all sides (56.7 pt = 20 mm).
  double margin = 56.7;
  /// PDF: deflate page contents. Off is about 2.5 times faster to write (zlib's per-stream set-up
  /// dominates) but makes files about 4 times larger.
  bool compress = true;
  /// HTML <title> and PDF title; empty means the output file's stem.
  std::string title;
  /// PDF and txt: most pages one document may fill (`jobs.max_document_pages`); a document
  /// that would fill more is refused with an output_error. 0: no limit.
  std::uint64_t max_document_pages = 0;
  /// The folder a template's images and fonts are read from (`<img src="logo.png">` is
  /// resources_dir/logo.png): the job's own resources, else the cluster's resource folder
  /// (planning::resources_dir_of). Empty: none.
  std::filesystem::path resources_dir;
};

}  // namespace weft::document
