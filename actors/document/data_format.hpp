#pragma once

#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string_view>

#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// The formats a data file may have.
enum class data_format {
  csv,     ///< RFC 4180 with a header row (csv_reader)
  ndjson,  ///< one JSON object per line (ndjson_reader)
};

/// "csv", "ndjson" or "jsonl" (case-sensitive); nullopt for anything else.
std::optional<data_format> parse_data_format(std::string_view name);

/// The format named by the file's extension: .csv, .ndjson or .jsonl (any case); nullopt otherwise.
std::optional<data_format> data_format_from_extension(const std::filesystem::path& path);

/// Opens a reader for `path`. The format is `format` when given, else the extension's.
/// @throws data_error when the file cannot be opened or the format cannot be told.
std::unique_ptr<record_reader> open_record_reader(const std::filesystem::path& path,
                                                  std::optional<data_format> format = {},
                                                  const reader_options& options = {});

/// A reader of `format` over `in`, which must outlive it.
std::unique_ptr<record_reader> make_record_reader(std::istream& in, data_format format,
                                                  const reader_options& options = {});

}  // namespace weft::document
