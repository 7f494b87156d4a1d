#pragma once

#include <cstdint>
#include <filesystem>

namespace weft::document {

/// What an output writer produced, returned by output_writer::finish().
struct output_stats {
  std::uint64_t documents = 0;
  /// PDF: pages written. txt: documents plus form feeds inside them. html: documents.
  std::uint64_t pages = 0;
  /// Size of the final file.
  std::uint64_t bytes = 0;
  /// The final file (without ".part").
  std::filesystem::path path;
};

}  // namespace weft::document
