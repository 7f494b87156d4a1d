// Fuzzes template compilation and rendering (actors/document: template_engine,
// compiled_template, field_usage).
//
// Input: a flag byte, then NUL-separated pieces: the template, the record as JSON (a fixed
// record when it does not parse), then partials written "NAME\nBODY". Bit 0 of the flag byte
// picks the escape mode.
//
// Deep section nesting and doubling partials are known (issue 11, job limits) and fixed in the
// template engine separately; run this harness with -max_len=4096 so it looks for other bugs.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "actors/document/data_error.hpp"
#include "actors/document/field_usage.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace weft::document;

namespace {

const nlohmann::json& default_record() {
  static const nlohmann::json r = nlohmann::json::parse(R"({
    "name": "Ada <&>", "total": 12.5, "paid": false, "n": 3, "empty": "", "none": null,
    "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}],
    "customer": {"name": "Acme", "address": {"city": "Köln"}}, "list": [1, 2, 3], "a.b": "dot"})");
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::fuzz::input in(data, size);
  const auto flags = in.byte();
  const std::string text(in.until('\0'));
  const auto record_text = in.until('\0');
  std::map<std::string, std::string> partials;
  while (!in.empty() && partials.size() < 8) {
    auto piece = in.until('\0');
    auto nl = piece.find('\n');
    if (nl == std::string_view::npos) continue;
    partials[std::string(piece.substr(0, nl))] = std::string(piece.substr(nl + 1));
  }
  auto record = nlohmann::json::parse(record_text, nullptr, false);
  if (record.is_discarded()) record = default_record();

  template_engine engine((flags & 1) ? escape_mode::none : escape_mode::html);
  auto loader = [&](const std::string& name) -> std::optional<std::string> {
    auto it = partials.find(name);
    if (it == partials.end()) return std::nullopt;
    return it->second;
  };
  try {
    auto tpl = engine.compile(text, "fuzz.mustache", loader);
    (void)tpl.partials();
    std::string out;
    tpl.render(record, out);
    // A compiled template renders many records: the second must match the first.
    if (tpl.render(record) != out) std::abort();
  } catch (const template_error&) {
    return 0;  // submit refuses the job: nothing else sees the template
  } catch (const std::invalid_argument&) {  // a record nested deeper than 512 levels
  }
  // What the mapper does with a template that compiles: which fields it uses, the report.
  try {
    field_usage usage(fields_of_template_text(text), (flags & 2) != 0);
    weft::document::record r;
    r.number = 1;
    r.value = record;
    usage.add(r, "fuzz.csv");
    (void)mapping_report("fuzz", usage).dump();
  } catch (const template_error&) {
  } catch (const data_error&) {
  }
  return 0;
}
