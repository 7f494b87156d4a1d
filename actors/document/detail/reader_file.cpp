#include "actors/document/detail/reader_file.hpp"

#include <cerrno>
#include <cstring>

#include "actors/document/data_error.hpp"

namespace weft::document::detail {

std::unique_ptr<std::ifstream> open_data_file(const std::filesystem::path& path,
                                              const reader_options& options) {
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file) {
    const std::string name =
        options.source_name.empty() ? path.filename().string() : options.source_name;
    throw data_error(name, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  }
  return file;
}

reader_options prepared(reader_options options, const std::string& fallback) {
  if (options.source_name.empty()) options.source_name = fallback;
  auto problem = check_data_options(options.data);
  if (!problem.empty()) throw data_error(options.source_name, 0, 0, problem);
  return options;
}

std::string encoding_hint(const std::string& encoding) {
  if (encoding != "utf-8") return " (read as " + encoding + ")";
  return " (read as utf-8; name the file's encoding with --data-encoding, e.g. windows-1252)";
}

}  // namespace weft::document::detail
