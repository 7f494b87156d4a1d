#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "actors/document/reader_options.hpp"

namespace weft::document::detail {

/// Opens a data file for a reader. @throws data_error naming the file when it cannot be read.
std::unique_ptr<std::ifstream> open_data_file(const std::filesystem::path& path,
                                              const reader_options& options);

/// `options` with `source_name` set to `fallback` when it is empty (the name errors use).
/// @throws data_error naming the source when options.data is inconsistent.
reader_options prepared(reader_options options, const std::string& fallback);

/// For an invalid-UTF-8 message: which encoding was assumed and how to name another.
std::string encoding_hint(const std::string& encoding);

}  // namespace weft::document::detail
