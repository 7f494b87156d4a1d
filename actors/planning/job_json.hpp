#pragma once

#include <cstdint>
#include <string>

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

/// A job as the clients see it (`submit --wait`, `job ID`): state, counts,
/// timings, error and outputs, as JSON text. Blocks on the database.
/// @throws storage_error
std::string job_json(storage::job_store& store, int64_t id);

}  // namespace weft::planning
