#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/job_store.hpp"

namespace weft::planning {

/// Output options of a job as stored in `jobs.options` (JSON).
struct job_options {
  std::string name = "job";  ///< base name of the output files
  std::string sort_by;
  std::string group_by;
  int64_t split_every = 0;  ///< 0: the default cap (docs/jobs.md)
  /// Called when the job ends (docs/operations.md "Webhooks"); "" for none. Checked at submit.
  std::string callback_url;
};

/// The options in `options_json`; defaults for empty text, text that is not JSON or not an
/// object, and absent or null fields.
/// @throws std::invalid_argument naming the field when one has the wrong type (`name`,
///         `sort_by`, `group_by` are strings; `split_every` an integer >= 0).
job_options parse_job_options(const std::string& options_json);
std::string to_json(const job_options& options);
inline int64_t split_every_of(const std::string& options_json) {
  return parse_job_options(options_json).split_every;
}

/// The layout warnings of one output file as stored in `outputs.warnings`: null when there are
/// none, else {"warnings": [...], "dropped": N, "max": max_warnings}.
nlohmann::json layout_warnings_json(const std::vector<std::string>& warnings, std::size_t dropped,
                                    std::size_t max_warnings);

/// A job as the clients see it (`submit --wait`, `job ID`): state, counts,
/// timings, error and outputs, as JSON text. `warnings` lists the mapping's warnings, then
/// the layout warnings of its outputs, each once, at most `max` of them (a last line says
/// when more were not kept). Blocks on the database.
/// @throws storage_error
std::string job_json(storage::job_store& store, int64_t id);

}  // namespace weft::planning
