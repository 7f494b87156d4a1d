#include "actors/document/data_format.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "actors/document/csv_reader.hpp"
#include "actors/document/data_error.hpp"
#include "actors/document/ndjson_reader.hpp"

namespace weft::document {

std::optional<data_format> parse_data_format(std::string_view name) {
  if (name == "csv") return data_format::csv;
  if (name == "ndjson" || name == "jsonl") return data_format::ndjson;
  return std::nullopt;
}

std::optional<data_format> data_format_from_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext.empty()) return std::nullopt;
  return parse_data_format(std::string_view(ext).substr(1));
}

std::unique_ptr<record_reader> open_record_reader(const std::filesystem::path& path,
                                                  std::optional<data_format> format,
                                                  const reader_options& options) {
  if (!format) format = data_format_from_extension(path);
  if (!format) {
    const std::string name =
        options.source_name.empty() ? path.filename().string() : options.source_name;
    throw data_error(name, 0, 0,
                     "cannot tell the data format from the extension (use .csv, .ndjson or "
                     ".jsonl, or name the format)");
  }
  if (*format == data_format::csv) return std::make_unique<csv_reader>(path, options);
  return std::make_unique<ndjson_reader>(path, options);
}

std::unique_ptr<record_reader> make_record_reader(std::istream& in, data_format format,
                                                  const reader_options& options) {
  if (format == data_format::csv) return std::make_unique<csv_reader>(in, options);
  return std::make_unique<ndjson_reader>(in, options);
}

}  // namespace weft::document
