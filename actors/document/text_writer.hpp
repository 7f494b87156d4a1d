#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "actors/document/detail/part_file.hpp"
#include "actors/document/output_options.hpp"
#include "actors/document/output_writer.hpp"

namespace weft::document {

/// Plain text output: the documents one after another, each ending with a line break, separated
/// by a line holding a single form feed ("\f\n"). Streams to disk; memory use is constant.
class text_writer : public output_writer {
 public:
  /// @throws output_error when the ".part" file cannot be created.
  /// A document filling more than `options.max_document_pages` pages (form feeds) is refused.
  explicit text_writer(const std::filesystem::path& path, const output_options& options = {});

  void add_document(std::string_view text) override;
  output_stats finish() override;

 private:
  void write(std::string_view bytes);

  detail::part_file file_;
  std::ofstream out_;
  std::uint64_t documents_ = 0;
  std::uint64_t pages_ = 0;
  std::uint64_t max_document_pages_ = 0;
};

}  // namespace weft::document
