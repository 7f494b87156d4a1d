#pragma once

#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string_view>

#include "actors/document/data_options.hpp"
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// The formats a data file may have.
enum class data_format {
  csv,     ///< RFC 4180 and its dialects (csv_reader)
  ndjson,  ///< one JSON object per line (ndjson_reader)
  json,    ///< a JSON document holding an array of records (json_reader)
  xml,     ///< an XML document, records at a path (xml_reader)
};

/// The name stored with a job and accepted by parse_data_format(): "csv", "ndjson", "json", "xml".
const char* to_string(data_format format) noexcept;

/// "csv", "tsv", "ndjson", "jsonl", "json" or "xml" (case-sensitive); nullopt for anything else.
std::optional<data_format> parse_data_format(std::string_view name);

/// The format named by the file's extension: .csv, .tsv, .tab, .ndjson, .jsonl, .json or .xml
/// (any case); nullopt otherwise.
std::optional<data_format> data_format_from_extension(const std::filesystem::path& path);

/// `options` with the defaults the file's extension implies where the user left the choice
/// open: a .tsv or .tab file is separated by tabs unless a delimiter was named.
data_options with_extension_defaults(data_options options, const std::filesystem::path& path);

/// Opens a reader for `path`. The format is `format` when given, else the extension's; the
/// extension's defaults apply (with_extension_defaults()).
/// @throws data_error when the file cannot be opened or the format cannot be told.
std::unique_ptr<record_reader> open_record_reader(const std::filesystem::path& path,
                                                  std::optional<data_format> format = {},
                                                  const reader_options& options = {});

/// A reader of `format` over `in`, which must outlive it.
std::unique_ptr<record_reader> make_record_reader(std::istream& in, data_format format,
                                                  const reader_options& options = {});

}  // namespace weft::document
