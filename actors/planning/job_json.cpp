#include "actors/planning/job_json.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace weft::planning {

job_options parse_job_options(const std::string& options_json) {
  job_options o;
  if (options_json.empty()) return o;
  auto j = nlohmann::json::parse(options_json, nullptr, false);
  if (!j.is_object()) return o;
  auto text = [&](const char* key, std::string& field) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_string())
      throw std::invalid_argument(std::string("job options: '") + key + "' must be a string, not " +
                                  it->type_name());
    field = it->get<std::string>();
  };
  text("name", o.name);
  text("sort_by", o.sort_by);
  text("group_by", o.group_by);
  text("callback_url", o.callback_url);
  if (auto it = j.find("split_every"); it != j.end() && !it->is_null()) {
    // A float (1e300) or an unsigned beyond int64 would not convert; a negative count is no cap.
    if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX) ||
        it->get<int64_t>() < 0)
      throw std::invalid_argument("job options: 'split_every' must be an integer >= 0, not " +
                                  (it->is_number() ? it->dump() : it->type_name()));
    o.split_every = it->get<int64_t>();
  }
  return o;
}

std::string to_json(const job_options& o) {
  nlohmann::json j{{"name", o.name},
                   {"sort_by", o.sort_by},
                   {"group_by", o.group_by},
                   {"split_every", o.split_every}};
  if (!o.callback_url.empty()) j["callback_url"] = o.callback_url;
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
