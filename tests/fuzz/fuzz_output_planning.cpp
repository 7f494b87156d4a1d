// Fuzzes output planning: the document library's output_plan (sort, group, split) and, when
// bit 0 of the first byte is set, the planning library's path through files (key_writer ->
// keys.ndjson -> plan_outputs -> plan files -> read_planned_segment) in a private temporary
// directory.
//
// Input: a flag byte, split_every (a byte; 0 = no limit), the sort_by field up to a newline,
// the group_by field up to a newline, then one record per line as JSON (a line that does not
// parse becomes {"text": LINE} with its non-ASCII bytes as '?': readers hand out UTF-8 only).

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/document/data_error.hpp"
#include "actors/document/output_plan.hpp"
#include "actors/planning/output_planning.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using weft::document::output_plan;

namespace {

void check(const output_plan& plan, std::size_t records, std::size_t split_every) {
  std::set<std::int64_t> seen;
  std::set<std::string> names;
  std::size_t index = 0;
  for (const auto& s : plan.segments()) {
    if (s.index != ++index || s.records.empty() || !names.insert(s.name).second) std::abort();
    if (split_every > 0 && s.records.size() > split_every) std::abort();
    for (auto r : s.records)
      if (!seen.insert(r).second) std::abort();
  }
  if (seen.size() != records) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::fuzz::input in(data, size);
  const auto flags = in.byte();
  weft::planning::job_options job;
  job.split_every = in.byte();
  job.sort_by = std::string(in.until('\n'));
  job.group_by = std::string(in.until('\n'));
  const auto opts = weft::planning::plan_options(job);

  std::vector<weft::document::record> records;
  while (!in.empty() && records.size() < 2000) {
    const std::string line(in.until('\n'));
    weft::document::record r;
    r.number = static_cast<std::int64_t>(records.size()) + 1;
    r.value = nlohmann::json::parse(line, nullptr, false);
    if (r.value.is_discarded()) {
      std::string ascii = line;
      for (auto& c : ascii)
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
      r.value = {{"text", ascii}};
    }
    records.push_back(std::move(r));
  }

  std::vector<output_plan::key> keys;
  for (const auto& r : records) keys.push_back(output_plan::key_of(r, opts));
  try {
    auto plan = output_plan::make(keys, opts);
    check(plan, records.size(), opts.split_every);
    for (const auto& s : plan.segments()) (void)output_plan::sanitize(s.group);
  } catch (const std::invalid_argument&) {  // sort_by or group_by absent from the first record
  }

  if (flags & 1) {
    const auto root = weft::fuzz::temp_dir().string();
    std::error_code ec;
    std::filesystem::remove_all(weft::fuzz::temp_dir() / "jobs", ec);
    try {
      weft::planning::key_writer writer(root, 1, job, "fuzz.ndjson");
      for (const auto& r : records) writer.add(r.number, r);
      writer.finish();
    } catch (const weft::document::data_error&) {
      return 0;
    }
    try {
      auto batches = weft::planning::plan_outputs(root, 1, job);
      std::size_t total = 0;
      for (std::size_t n = 0; n < batches.size(); ++n) {
        auto s = weft::planning::read_planned_segment(root, 1, static_cast<int>(n));
        if (static_cast<std::int64_t>(s.records.size()) != batches[n].last_seq) std::abort();
        total += s.records.size();
      }
      if (total != records.size()) std::abort();
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
