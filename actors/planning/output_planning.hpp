#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "actors/document/output_plan.hpp"
#include "actors/planning/job_json.hpp"
#include "storage/job_store.hpp"

namespace weft::planning {

/// Whether a job's outputs depend on all records (sort_by, group_by) and so
/// are planned after merging; otherwise they are consecutive record ranges
/// planned when mapping ends.
inline bool planned_after_merge(const job_options& o) {
  return !o.sort_by.empty() || !o.group_by.empty();
}

/// The output options as the document library's planner takes them.
document::output_plan::options plan_options(const job_options& o);

/// Writes the sort/group keys of a job's records while it is mapped, to
/// `<job>/keys.ndjson`, one line per record. The first record must have the
/// fields (an unknown sort_by/group_by field fails the job with its name).
class key_writer {
 public:
  /// `source` names the data file in error messages.
  key_writer(const std::string& files_root, int64_t job, const job_options& options,
             std::string source);
  /// @throws document::data_error for a field the first record lacks.
  void add(int64_t seq, const document::record& r);
  void finish();

 private:
  std::string source_;
  document::output_plan::options options_;
  std::string path_;
  std::ofstream out_;
  bool first_ = true;
};

/// Plans a sorted/grouped job's outputs from its keys file: writes one plan
/// file per segment (`<job>/plan/<n>.txt`: the segment's name, then its
/// record numbers in output order) and returns the weave segments (first_seq
/// 1, last_seq = documents). Holds the job's keys in memory (docs/jobs.md).
/// @throws std::runtime_error when the keys cannot be read or planned.
std::vector<storage::batch_row> plan_outputs(const std::string& files_root, int64_t job,
                                             const job_options& options);

/// One planned segment, as the weaver reads it.
struct planned_segment {
  std::string name;  ///< "0003" or "0003-acme": part of the output file's name
  std::vector<int64_t> records;
};
planned_segment read_planned_segment(const std::string& files_root, int64_t job, int segment);

}  // namespace weft::planning
