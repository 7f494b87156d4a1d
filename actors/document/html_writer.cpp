#include "actors/document/html_writer.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "actors/document/detail/html_escape.hpp"
#include "actors/document/output_error.hpp"

namespace weft::document {

html_writer::html_writer(const std::filesystem::path& path, const output_options& options)
    : file_(path), out_(file_.part_path(), std::ios::binary | std::ios::trunc) {
  if (!out_) {
    throw output_error("cannot create " + file_.part_path().string() + ": " + std::strerror(errno));
  }
  const std::string title = options.title.empty() ? path.stem().string() : options.title;
  write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  write(detail::escape_html(title));
  write(
      "</title>\n<style>\n"
      "article.document { margin: 2em auto; max-width: 50em; }\n"
      "@media print { article.document { break-after: page; } }\n"
      "</style>\n</head>\n<body>\n");
}

void html_writer::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw output_error("cannot write " + file_.part_path().string());
}

void html_writer::add_document(std::string_view text) {
  ++documents_;
  write("<article class=\"document\" id=\"document-" + std::to_string(documents_) + "\">\n");
  write(text);
  if (text.empty() || text.back() != '\n') write("\n");
  write("</article>\n");
}

output_stats html_writer::finish() {
  write("</body>\n</html>\n");
  out_.close();
  if (!out_) throw output_error("cannot write " + file_.part_path().string());
  output_stats stats;
  stats.documents = documents_;
  stats.pages = documents_;
  stats.bytes = file_.commit();
  stats.path = file_.final_path();
  return stats;
}

}  // namespace weft::document
