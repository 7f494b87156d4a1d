#include "actors/document/text_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "actors/document/output_error.hpp"

namespace weft::document {

text_writer::text_writer(const std::filesystem::path& path, const output_options& options)
    : file_(path),
      out_(file_.part_path(), std::ios::binary | std::ios::trunc),
      max_document_pages_(options.max_document_pages) {
  if (!out_) {
    throw output_error("cannot create " + file_.part_path().string() + ": " + std::strerror(errno));
  }
}

void text_writer::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw output_error("cannot write " + file_.part_path().string());
}

void text_writer::add_document(std::string_view text) {
  const auto pages = 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\f'));
  if (max_document_pages_ > 0 && pages > max_document_pages_)
    throw output_error(too_many_pages(max_document_pages_));
  if (documents_ > 0) write("\f\n");
  write(text);
  if (text.empty() || text.back() != '\n') write("\n");
  ++documents_;
  pages_ += pages;
}

output_stats text_writer::finish() {
  out_.close();
  if (!out_) throw output_error("cannot write " + file_.part_path().string());
  output_stats stats;
  stats.documents = documents_;
  stats.pages = pages_;
  stats.bytes = file_.commit();
  stats.path = file_.final_path();
  return stats;
}

}  // namespace weft::document
