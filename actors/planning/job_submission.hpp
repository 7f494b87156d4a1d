#pragma once

// Turning uploaded files and a job spec into a queued job: the one place that
// checks a submission (the session's `submit`, the REST API's POST /v1/jobs).
// No CAF: the caller tells the master's scheduler (or leaves the queued row
// for it to adopt).

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>

#include "config/settings.hpp"
#include "storage/job_store.hpp"

namespace weft::planning {

/// The client's fault: a missing file, a bad option, a broken template. The
/// message names what was wrong.
class submission_refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct submission {
  int64_t id = 0;
  std::string options_json;  ///< as stored in the job's row
  std::string format;
  std::string data_name;
  /// Records mapped at submission (a small data file, when asked: map_small); 0: the job
  /// is to be mapped by the mapper.
  int64_t mapped_records = 0;
};

/// Checks `spec` (fields `data`, `template` — file names in `upload_dir` —
/// and the optional `format`, `data_format`, `data_options`, `sort_by`,
/// `group_by`, `split_every`, `name`; docs/jobs.md), compiles the template,
/// creates the job row (queued) and moves every file of `upload_dir` into the
/// job's input folder. Blocks on the database and the file store. A job with a
/// `callback_url` is registered for its webhook, signed with `webhook_signing`'s key
/// ("cluster": the cluster-derived key; "token:ID": that API token's secret).
/// With `map_small` (where a scheduler is told of the job at once: the master), a small data
/// file (record_mapping.hpp map_inline) is mapped here, its records stored with the row, and
/// the submission says how many (mapped_records): the scheduler plans the job without a
/// mapper.
/// @throws submission_refused, storage::storage_error, std::exception
submission submit_job(const config::settings& settings, storage::job_store& store,
                      const std::string& upload_dir, const nlohmann::json& spec,
                      const std::string& webhook_signing = "cluster", bool map_small = false);

/// Whether `name` may be a file in an upload area or a job's base name:
/// letters, digits, '.', '-', '_'; not starting with '.'; at most 200 characters.
bool safe_upload_name(const std::string& name);

}  // namespace weft::planning
