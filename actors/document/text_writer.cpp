#include "actors/document/text_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "actors/document/output_error.hpp"

namespace weft::document {

text_writer::text_writer(const std::filesystem::path& path)
    : file_(path), out_(file_.part_path(), std::ios::binary | std::ios::trunc) {
  if (!out_) {
    throw output_error("cannot create " + file_.part_path().string() + ": " + std::strerror(errno));
  }
}

void text_writer::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw output_error("cannot write " + file_.part_path().string());
}

void text_writer::add_document(std::string_view text) {
  if (documents_ > 0) write("\f\n");
  write(text);
  if (text.empty() || text.back() != '\n') write("\n");
  ++documents_;
  pages_ += 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\f'));
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
