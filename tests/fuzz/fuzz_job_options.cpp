// Fuzzes a job's options as stored in `jobs.options` and read back by the scheduler, engines,
// mapper and inspector (actors/planning/job_json: parse_job_options) and the data options
// inside them (actors/document/data_options). The input is the options' JSON text, which a
// client shapes through its submit spec.
//
// Options that parse must survive the trip through to_json() unchanged.

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "actors/document/data_options.hpp"
#include "actors/planning/job_json.hpp"

using namespace weft;

namespace {

bool same(const document::data_options& a, const document::data_options& b) {
  return a.delimiter == b.delimiter && a.quote == b.quote && a.header == b.header &&
         a.columns == b.columns && a.skip_lines == b.skip_lines && a.encoding == b.encoding &&
         a.record_path == b.record_path && a.strict == b.strict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto o = planning::parse_job_options(text);
    auto back = planning::parse_job_options(planning::to_json(o));
    if (back.name != o.name || back.sort_by != o.sort_by || back.group_by != o.group_by ||
        back.split_every != o.split_every)
      std::abort();
  } catch (const std::invalid_argument&) {
  }
  try {
    auto d = document::data_options_of_job(text);
    (void)document::check_data_options(d);
    auto back = document::data_options_from_json(document::to_json(d));
    if (!same(d, back)) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
