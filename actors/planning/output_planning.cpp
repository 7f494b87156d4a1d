#include "actors/planning/output_planning.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "actors/document/data_error.hpp"
#include "storage/filestore/layout.hpp"

namespace weft::planning {

namespace fs = std::filesystem;

document::output_plan::options plan_options(const job_options& o) {
  document::output_plan::options p;
  p.sort_by = o.sort_by;
  p.group_by = o.group_by;
  p.split_every = static_cast<std::size_t>(o.split_every);
  return p;
}

key_writer::key_writer(const std::string& files_root, int64_t job, const job_options& options,
                       std::string source)
    : source_(std::move(source)),
      options_(plan_options(options)),
      path_(filestore::keys_path(files_root, job)) {
  fs::create_directories(fs::path(path_).parent_path());
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write " + path_);
}

void key_writer::add(int64_t seq, const document::record& r) {
  auto k = document::output_plan::key_of(r, options_);
  if (first_) {
    first_ = false;
    auto fields = [&] {
      std::string names;
      if (r.value.is_object())
        for (const auto& [name, v] : r.value.items()) names += (names.empty() ? "" : ", ") + name;
      return names;
    };
    if (!options_.sort_by.empty() && !k.sort_value)
      throw document::data_error(source_, r.number, 0,
                                 "unknown sort_by field '" + options_.sort_by +
                                     "' (the first record has: " + fields() + ")");
    if (!options_.group_by.empty() && !k.group_value)
      throw document::data_error(source_, r.number, 0,
                                 "unknown group_by field '" + options_.group_by +
                                     "' (the first record has: " + fields() + ")");
  }
  nlohmann::json line{{"r", seq}};
  if (k.sort_value) line["s"] = *k.sort_value;
  if (k.group_value) line["g"] = *k.group_value;
  out_ << line.dump() << '\n';
}

void key_writer::finish() {
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write " + path_);
  out_.close();
}

std::vector<storage::batch_row> plan_outputs(const std::string& files_root, int64_t job,
                                             const job_options& options) {
  const auto keys_path = filestore::keys_path(files_root, job);
  std::ifstream in(keys_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + keys_path);
  std::vector<document::output_plan::key> keys;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    document::output_plan::key k;
    k.record = j.at("r").get<int64_t>();
    if (j.contains("s")) k.sort_value = j["s"];
    if (j.contains("g")) k.group_value = j["g"];
    keys.push_back(std::move(k));
  }
  auto plan = document::output_plan::make(std::move(keys), plan_options(options));
  fs::create_directories(filestore::plan_dir(files_root, job));
  std::vector<storage::batch_row> rows;
  for (const auto& seg : plan.segments()) {
    auto n = static_cast<int>(rows.size());
    std::ofstream out(filestore::plan_path(files_root, job, n), std::ios::trunc);
    out << seg.name << '\n';
    for (auto r : seg.records) out << r << '\n';
    out.close();
    if (!out) throw std::runtime_error("cannot write the plan of job " + std::to_string(job));
    storage::batch_row b;
    b.job_id = job;
    b.phase = storage::phase::weave;
    b.batch_no = n;
    b.first_seq = 1;
    b.last_seq = static_cast<int64_t>(seg.records.size());
    b.attempt = 1;
    rows.push_back(b);
  }
  return rows;
}

planned_segment read_planned_segment(const std::string& files_root, int64_t job, int segment) {
  auto path = filestore::plan_path(files_root, job, segment);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  planned_segment s;
  std::getline(in, s.name);
  int64_t r = 0;
  while (in >> r) s.records.push_back(r);
  return s;
}

}  // namespace weft::planning
