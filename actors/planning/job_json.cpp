#include "actors/planning/job_json.hpp"

#include <nlohmann/json.hpp>

namespace weft::planning {

job_options parse_job_options(const std::string& options_json) {
  job_options o;
  if (options_json.empty()) return o;
  auto j = nlohmann::json::parse(options_json, nullptr, false);
  if (!j.is_object()) return o;
  o.name = j.value("name", o.name);
  o.sort_by = j.value("sort_by", "");
  o.group_by = j.value("group_by", "");
  o.split_every = j.value("split_every", int64_t{0});
  return o;
}

std::string to_json(const job_options& o) {
  nlohmann::json j{{"name", o.name},
                   {"sort_by", o.sort_by},
                   {"group_by", o.group_by},
                   {"split_every", o.split_every}};
  return j.dump();
}

std::string job_json(storage::job_store& store, int64_t id) {
  auto row = store.job(id);
  nlohmann::json j{{"id", row.id},
                   {"state", storage::to_string(row.state)},
                   {"class", row.job_class},
                   {"format", row.format},
                   {"records", row.record_count},
                   {"records_done", row.records_done},
                   {"batches", row.batch_count},
                   {"batches_done", row.batches_done},
                   {"error", row.error},
                   {"submitted_at", row.submitted_at},
                   {"started_at", row.started_at},
                   {"finished_at", row.finished_at}};
  auto merge = store.progress(id, storage::phase::merge);
  auto weave = store.progress(id, storage::phase::weave);
  j["merge"] = {{"done", merge.first}, {"total", merge.second}};
  j["weave"] = {{"done", weave.first}, {"total", weave.second}};
  auto outputs = nlohmann::json::array();
  for (const auto& o : store.outputs(id))
    outputs.push_back({{"segment", o.segment_no},
                       {"path", o.path},
                       {"format", o.format},
                       {"documents", o.documents},
                       {"pages", o.pages},
                       {"bytes", o.bytes}});
  j["outputs"] = outputs;
  // How the data was read and what mapping warns about (docs/jobs.md "Data").
  auto report = nlohmann::json::parse(store.mapping_report(id), nullptr, false);
  j["data"] = report.is_object() ? report.value("reader", "") : "";
  j["warnings"] = report.is_object() ? report.value("warnings", nlohmann::json::array())
                                     : nlohmann::json::array();
  return j.dump();
}

}  // namespace weft::planning
