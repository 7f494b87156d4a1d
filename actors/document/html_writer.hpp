#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "actors/document/detail/part_file.hpp"
#include "actors/document/output_options.hpp"
#include "actors/document/output_writer.hpp"

namespace weft::document {

/// HTML output: one HTML5 page; each document is inserted as it is (templates escape values)
/// inside `<article class="document" id="document-N">`. Streams to disk.
class html_writer : public output_writer {
 public:
  /// @throws output_error when the ".part" file cannot be created.
  html_writer(const std::filesystem::path& path, const output_options& options);

  void add_document(std::string_view text) override;
  output_stats finish() override;

 private:
  void write(std::string_view bytes);

  detail::part_file file_;
  std::ofstream out_;
  std::uint64_t documents_ = 0;
};

}  // namespace weft::document
