#include "actors/planning/job_submission.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "actors/planning/callback_url.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/output_planning.hpp"
#include "actors/planning/record_mapping.hpp"
#include "storage/filestore/directory.hpp"
#include "storage/filestore/layout.hpp"

namespace weft::planning {

namespace {

namespace fs = std::filesystem;

/// Why the spec's fields have the wrong types ("" if none): text fields must
/// be strings, `split_every` an integer; unknown fields are left alone.
std::string spec_type_problem(const nlohmann::json& spec) {
  for (const char* key :
       {"data", "template", "format", "data_format", "sort_by", "group_by", "name", "callback_url"})
    if (spec.contains(key) && !spec[key].is_string())
      return std::string{"submit: field '"} + key + "' must be a string, not " +
             spec[key].type_name();
  if (spec.contains("split_every") && !spec["split_every"].is_number_integer())
    return std::string{"submit: field 'split_every' must be an integer, not "} +
           spec["split_every"].type_name();
  return {};
}

document::template_limits template_limits(const config::jobs_settings& jobs) {
  document::template_limits limits;
  limits.max_section_depth = static_cast<std::size_t>(jobs.max_section_depth);
  limits.max_partial_depth = static_cast<std::size_t>(jobs.max_partial_depth);
  limits.max_record_output = static_cast<std::size_t>(jobs.max_record_output);
  return limits;
}

}  // namespace

bool safe_upload_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

submission submit_job(const config::settings& settings, storage::job_store& store,
                      const std::string& upload_dir, const nlohmann::json& spec,
                      const std::string& webhook_signing, bool map_small) {
  using refused = submission_refused;
  if (!spec.is_object()) throw refused("submit: the job spec is not a JSON object");
  if (auto problem = spec_type_problem(spec); !problem.empty()) throw refused(problem);
  auto data_name = spec.value("data", "");
  auto template_name = spec.value("template", "");
  auto data_path = fs::path(upload_dir) / data_name;
  auto template_path = fs::path(upload_dir) / template_name;
  if (!safe_upload_name(data_name) || !fs::is_regular_file(data_path))
    throw refused("submit: no data file was uploaded");
  if (!safe_upload_name(template_name) || !fs::is_regular_file(template_path))
    throw refused("submit: no template was uploaded");
  auto format_name = spec.value("format", "pdf");
  auto format = document::parse_output_format(format_name);
  if (!format) throw refused("unknown format '" + format_name + "' (use pdf, txt or html)");
  auto data_format_name = spec.value("data_format", "");
  std::optional<document::data_format> data_format =
      data_format_name.empty() ? document::data_format_from_extension(data_name)
                               : document::parse_data_format(data_format_name);
  if (!data_format)
    throw refused(data_name +
                  ": unknown data format (use .csv, .tsv, .ndjson, .jsonl, .json or .xml, or "
                  "--data-format)");
  if (fs::file_size(data_path) == 0) throw refused(data_name + ": the data file is empty");
  document::data_options data;
  try {
    auto given = spec.find("data_options");
    if (given != spec.end()) data = document::data_options_from_json(*given);
  } catch (const std::invalid_argument& e) {
    throw refused(std::string{"submit: "} + e.what());
  }
  if (auto problem = document::check_data_options(data); !problem.empty())
    throw refused(data_name + ": " + problem);
  try {
    document::template_engine engine(document::template_escape_for(*format),
                                     template_limits(settings.jobs));
    engine.compile_file(template_path);
  } catch (const document::template_error& e) {
    throw refused(e.what());
  }
  job_options options;
  options.name = spec.value("name", fs::path(template_name).stem().string());
  if (!safe_upload_name(options.name)) options.name = "job";
  options.sort_by = spec.value("sort_by", "");
  options.group_by = spec.value("group_by", "");
  options.split_every = spec.value("split_every", int64_t{0});
  if (options.split_every < 0) throw refused("split_every must be positive");
  options.callback_url = spec.value("callback_url", "");
  if (!options.callback_url.empty())
    if (auto problem = callback_url_problem(options.callback_url, settings.webhooks.allowed_hosts);
        !problem.empty())
      throw refused("submit: " + problem);
  storage::new_job job;
  job.format = std::string{document::to_string(*format)};
  job.data_format = document::to_string(*data_format);
  // The data options ride along in the job's options, under "data" (the mapper reads them).
  auto stored = nlohmann::json::parse(to_json(options));
  stored["data"] = document::to_json(data);
  job.options_json = stored.dump();
  if (!options.callback_url.empty()) job.webhook_signing = webhook_signing;
  // A small data file is mapped now, read where it was uploaded: no mapper thread, no round
  // trip (docs/jobs.md "Small jobs"). Sorted or grouped jobs plan their outputs while mapping:
  // the mapper does those.
  std::optional<inline_mapping> mapped;
  if (map_small && !planned_after_merge(options)) {
    document::reader_options reading;
    reading.source_name = data_name;
    reading.data = data;
    mapped =
        map_inline(data_path, *data_format, reading, template_path, store.max_statement_bytes());
  }
  // The row, the inputs moved into the job's folder (and its resources, submit --resources,
  // checked as they were uploaded) and their paths commit together: no scheduler can take
  // a job whose inputs are not in place yet (storage/job_store.hpp, issue 15).
  const auto& root = settings.files.root;
  const fs::path uploaded_resources =
      filestore::upload_resources_dir(root, fs::path(upload_dir).filename().string());
  std::vector<fs::path> inputs;  // where each uploaded file is now
  for (const auto& entry : fs::directory_iterator(upload_dir))
    if (entry.path() != uploaded_resources) inputs.push_back(entry.path());
  fs::path resources_at = fs::is_directory(uploaded_resources) ? uploaded_resources : fs::path{};
  auto place = [&](int64_t id) {
    // One component at a time, never through a link planted below the root.
    filestore::make_directories(root, filestore::input_dir_below_root(id));
    const fs::path input = filestore::input_dir(root, id);
    for (auto& from : inputs) {
      auto to = input / from.filename();
      if (from != to) fs::rename(from, to);
      from = to;
    }
    if (!resources_at.empty()) {
      fs::path to = filestore::resources_dir(root, id);
      if (resources_at != to) fs::rename(resources_at, to);
      resources_at = to;
    }
    return storage::job_store::input_paths{(input / template_name).string(),
                                           (input / data_name).string()};
  };
  int64_t id = 0;
  try {
    id = store.create_job(job, place, mapped ? &mapped->mapped : nullptr);
  } catch (...) {
    // Nothing was created: the inputs go back to the upload area for another try.
    std::error_code ec;
    for (const auto& at : inputs)
      if (at.parent_path() != fs::path(upload_dir))
        fs::rename(at, fs::path(upload_dir) / at.filename(), ec);
    if (!resources_at.empty() && resources_at != uploaded_resources)
      fs::rename(resources_at, uploaded_resources, ec);
    throw;
  }
  submission out{id, job.options_json, job.format, data_name};
  if (mapped) {
    out.mapped_records = static_cast<int64_t>(mapped->mapped.records.size());
    log_mapping(id, data_name, mapped->description, mapped->report);
  }
  return out;
}

}  // namespace weft::planning
