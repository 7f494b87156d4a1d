#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/document/output_format.hpp"
#include "actors/document/output_options.hpp"
#include "actors/document/output_stats.hpp"

namespace weft::document {

/// Writes rendered documents into one output file.
///
/// The file is written as `path + ".part"` and renamed to `path` by finish(), so a reader never
/// sees half a file under the final name. A writer destroyed without finish() removes its
/// ".part" file. Not thread-safe.
class output_writer {
 public:
  virtual ~output_writer() = default;

  /// Appends one document (the text a template rendered for one record).
  /// @throws output_error when writing fails.
  virtual void add_document(std::string_view text) = 0;

  /// Completes the file, renames it into place and reports what was written. Call once.
  /// @throws output_error when writing or renaming fails.
  virtual output_stats finish() = 0;

  /// What the documents used that the format does not support (PDF: elements, CSS properties or
  /// values outside the subset, fonts not installed), each once, with its line:column.
  virtual const std::vector<std::string>& warnings() const {
    static const std::vector<std::string> none;
    return none;
  }

  /// Distinct warnings not kept in warnings() (`output_options::max_warnings` reached).
  virtual std::size_t dropped_warnings() const { return 0; }

  /// The record number (1-based) of the next document, named in the warnings it causes.
  virtual void next_record(std::int64_t /*record*/) {}
};

/// A writer of `format` producing `path`.
/// @throws output_error when the ".part" file cannot be created or an option is invalid.
std::unique_ptr<output_writer> make_output_writer(output_format format,
                                                  const std::filesystem::path& path,
                                                  const output_options& options = {});

}  // namespace weft::document
