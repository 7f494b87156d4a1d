#include "actors/planning/job_json.hpp"

#include <algorithm>
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
  const auto outputs_rows = store.outputs(id);
  for (const auto& o : outputs_rows)
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
  // Layout warnings (docs/templates.md "Outside the subset"): each output file's, merged. An
  // output woven again replaced its row, so a retried batch does not repeat them.
  std::vector<std::string> layout;
  std::size_t max = 0, dropped = 0;
  for (const auto& o : outputs_rows) {
    if (o.warnings.empty()) continue;
    auto w = nlohmann::json::parse(o.warnings, nullptr, false);
    if (!w.is_object()) continue;
    max = std::max<std::size_t>(max, w.value("max", std::size_t{0}));
    dropped += w.value("dropped", std::size_t{0});
    for (const auto& one : w.value("warnings", nlohmann::json::array())) {
      if (!one.is_string()) continue;
      auto text = one.get<std::string>();
      if (std::find(layout.begin(), layout.end(), text) != layout.end()) continue;
      if (max > 0 && layout.size() >= max) {
        ++dropped;
        continue;
      }
      layout.push_back(std::move(text));
    }
  }
  for (auto& w : layout) j["warnings"].push_back(std::move(w));
  if (dropped > 0)
    j["warnings"].push_back("more layout warnings were not kept (at most " + std::to_string(max) +
                            " per job, jobs.max_warnings)");
  return j.dump();
}

nlohmann::json layout_warnings_json(const std::vector<std::string>& warnings, std::size_t dropped,
                                    std::size_t max_warnings) {
  if (warnings.empty() && dropped == 0) return nullptr;
  return {{"warnings", warnings}, {"dropped", dropped}, {"max", max_warnings}};
}

}  // namespace weft::planning
