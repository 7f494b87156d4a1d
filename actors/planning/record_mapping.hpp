#pragma once

// Mapping a job's data file into its `records` rows: what the mapper (actors/mapper.cpp) does
// in chunks for any job, and what a submission does at once for a small one (map_inline), so
// that a one-record job needs no mapper thread and no round trip (issue 15, small jobs). No CAF.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actors/document/data_format.hpp"
#include "actors/document/field_usage.hpp"
#include "actors/document/reader_options.hpp"
#include "storage/job_store.hpp"

namespace weft::planning {

/// Turns a job's records, one after the other, into rows, counting the template fields they
/// fill. One per job mapping.
class record_mapper {
 public:
  /// `max_statement_bytes`: the most one SQL statement may carry (database::
  /// max_statement_bytes); a record that would not fit is a data_error naming it.
  record_mapper(const std::filesystem::path& template_path, const document::reader_options& options,
                std::size_t max_statement_bytes);

  /// The row of record number `seq` (from 1). @throws document::data_error
  storage::record_row row(int64_t seq, document::record& r);

  /// The job's mapping report (mapping_report) once every record went through row().
  nlohmann::json report(const std::string& reader_description) const;

 private:
  std::string source_name_;
  document::field_usage usage_;
  std::size_t max_statement_bytes_;
};

/// Logs a job's mapping as the mapper and a submission do: the reader's description of the
/// file, then each warning of the report.
void log_mapping(int64_t job, const std::string& source_name, const std::string& description,
                 const nlohmann::json& report);

/// A small data file mapped at submission: its rows and its mapping report.
struct inline_mapping {
  storage::job_store::mapped_records mapped;  ///< the rows and the report, for create_job
  std::string description;                    ///< the reader's, for log_mapping
  nlohmann::json report;                      ///< the report (mapped.report_json, parsed)
};

/// Data files up to this size are mapped at submission ...
constexpr std::uintmax_t inline_mapping_max_bytes = 64 * 1024;
/// ... when they hold at most this many records.
constexpr int64_t inline_mapping_max_records = 1000;

/// Maps `data_path` at once when it is small (inline_mapping_max_bytes, _records). Nothing when
/// it is larger, or when anything about it is wrong (a bad row, no record, a row too large for
/// one statement): the job is then mapped by the mapper as any other, which fails it naming
/// the row — the submission itself never fails for its data.
std::optional<inline_mapping> map_inline(const std::filesystem::path& data_path,
                                         document::data_format format,
                                         const document::reader_options& options,
                                         const std::filesystem::path& template_path,
                                         std::size_t max_statement_bytes);

}  // namespace weft::planning
