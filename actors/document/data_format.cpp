#include "actors/document/data_format.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "actors/document/csv_reader.hpp"
#include "actors/document/data_error.hpp"
#include "actors/document/json_reader.hpp"
#include "actors/document/ndjson_reader.hpp"
#include "actors/document/xml_reader.hpp"

namespace weft::document {

namespace {

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext.empty() ? ext : ext.substr(1);
}

}  // namespace

const char* to_string(data_format format) noexcept {
  switch (format) {
    case data_format::csv:
      return "csv";
    case data_format::ndjson:
      return "ndjson";
    case data_format::json:
      return "json";
    case data_format::xml:
      return "xml";
  }
  return "csv";
}

std::optional<data_format> parse_data_format(std::string_view name) {
  if (name == "csv" || name == "tsv") return data_format::csv;
  if (name == "ndjson" || name == "jsonl") return data_format::ndjson;
  if (name == "json") return data_format::json;
  if (name == "xml") return data_format::xml;
  return std::nullopt;
}

std::optional<data_format> data_format_from_extension(const std::filesystem::path& path) {
  const std::string ext = lower_extension(path);
  if (ext.empty()) return std::nullopt;
  if (ext == "tab") return data_format::csv;
  return parse_data_format(ext);
}

data_options with_extension_defaults(data_options options, const std::filesystem::path& path) {
  const std::string ext = lower_extension(path);
  if (options.delimiter == '\0' && (ext == "tsv" || ext == "tab")) options.delimiter = '\t';
  return options;
}

std::unique_ptr<record_reader> open_record_reader(const std::filesystem::path& path,
                                                  std::optional<data_format> format,
                                                  const reader_options& options) {
  if (!format) format = data_format_from_extension(path);
  if (!format) {
    const std::string name =
        options.source_name.empty() ? path.filename().string() : options.source_name;
    throw data_error(name, 0, 0,
                     "cannot tell the data format from the extension (use .csv, .tsv, .ndjson, "
                     ".jsonl, .json or .xml, or name the format)");
  }
  reader_options o = options;
  o.data = with_extension_defaults(o.data, path);
  switch (*format) {
    case data_format::csv:
      return std::make_unique<csv_reader>(path, o);
    case data_format::ndjson:
      return std::make_unique<ndjson_reader>(path, o);
    case data_format::json:
      return std::make_unique<json_reader>(path, o);
    case data_format::xml:
      return std::make_unique<xml_reader>(path, o);
  }
  return nullptr;
}

std::unique_ptr<record_reader> make_record_reader(std::istream& in, data_format format,
                                                  const reader_options& options) {
  switch (format) {
    case data_format::csv:
      return std::make_unique<csv_reader>(in, options);
    case data_format::ndjson:
      return std::make_unique<ndjson_reader>(in, options);
    case data_format::json:
      return std::make_unique<json_reader>(in, options);
    case data_format::xml:
      return std::make_unique<xml_reader>(in, options);
  }
  return nullptr;
}

}  // namespace weft::document
