#include "actors/document/field_usage.hpp"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "actors/document/data_error.hpp"
#include "actors/document/detail/template_scanner.hpp"
#include "actors/document/template_error.hpp"

namespace weft::document {

namespace {

using detail::template_token;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw template_error(path.filename().string(), 0, 0, "cannot read the template");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_step(const std::string& name) { return name.substr(0, name.find('.')); }

/// Walks the tokens of one template text; partials are followed through `load` (nullptr: not).
class collector {
 public:
  collector(template_fields& out, const std::filesystem::path* dir) : out_(out), dir_(dir) {}

  void walk(const std::string& text, const std::string& name, std::size_t sections,
            int partial_depth) {
    const auto tokens = detail::scan_template(text, name);
    std::size_t depth = sections;
    for (const auto& t : tokens) {
      switch (t.type) {
        case template_token::kind::variable:
        case template_token::kind::unescaped:
          if (t.name == ".") break;
          out_.roots.insert(first_step(t.name));
          if (depth == 0) out_.top_level.insert(t.name);
          break;
        case template_token::kind::section:
        case template_token::kind::inverted:
          if (t.name != ".") out_.roots.insert(first_step(t.name));
          ++depth;
          break;
        case template_token::kind::close:
          if (depth > sections) --depth;
          break;
        case template_token::kind::partial:
          // Partials may include themselves (recursive lists): look a few levels deep only,
          // and into each partial once per kind of place (top level or in a section), so
          // that partials including others many times over cannot multiply the walk.
          if (dir_ != nullptr && partial_depth < 8 && walked_.insert({t.name, depth == 0}).second) {
            const auto path = *dir_ / (t.name + ".mustache");
            std::error_code ec;
            if (std::filesystem::is_regular_file(path, ec))
              walk(read_text(path), t.name, depth, partial_depth + 1);
          }
          break;
        default:
          break;
      }
    }
  }

 private:
  template_fields& out_;
  const std::filesystem::path* dir_;
  std::set<std::pair<std::string, bool>> walked_;
};

/// The value `name` resolves to in `record`, step by step as the template resolves it (a key
/// with a dot in it is never matched whole), or nullptr when it does not.
const nlohmann::json* lookup(const nlohmann::json& record, const std::string& name) {
  if (!record.is_object()) return nullptr;
  const nlohmann::json* at = &record;
  std::size_t begin = 0;
  for (;;) {
    const auto dot = name.find('.', begin);
    const auto step = name.substr(begin, dot == std::string::npos ? dot : dot - begin);
    if (!at->is_object()) return nullptr;
    auto next = at->find(step);
    if (next == at->end()) return nullptr;
    at = &*next;
    if (dot == std::string::npos) return at;
    begin = dot + 1;
  }
}

bool looks_joined(const std::string& name) {
  return name.find_first_of(";,\t|") != std::string::npos;
}

}  // namespace

template_fields fields_of_template(const std::filesystem::path& path) {
  template_fields out;
  const auto dir = path.parent_path();
  collector(out, &dir).walk(read_text(path), path.filename().string(), 0, 0);
  return out;
}

template_fields fields_of_template_text(const std::string& text) {
  template_fields out;
  collector(out, nullptr).walk(text, "template", 0, 0);
  return out;
}

nlohmann::json mapping_report(const std::string& reader_description, const field_usage& usage) {
  return {
      {"reader", reader_description}, {"warnings", usage.warnings()}, {"usage", usage.report()}};
}

std::string share_text(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "0 %";
  const double pct = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  char buf[32];
  if (part == whole) return "100 %";
  if (pct >= 1.0) {
    std::snprintf(buf, sizeof buf, "%.0f %%", pct >= 99.0 ? 99.0 : pct);
  } else if (pct >= 0.1) {
    std::snprintf(buf, sizeof buf, "%.1f %%", pct);
  } else {
    return "< 0.1 %";
  }
  return buf;
}

field_usage::field_usage(template_fields fields, bool strict)
    : fields_(std::move(fields)), strict_(strict) {
  for (const auto& name : fields_.top_level) blanks_[name];
}

void field_usage::add(const record& r, const std::string& source) {
  ++records_;
  for (auto& [name, count] : blanks_) {
    const nlohmann::json* v = lookup(r.value, name);
    const bool missing = v == nullptr || v->is_null();
    const bool empty = !missing && v->is_string() && v->get_ref<const std::string&>().empty();
    if (!missing && !empty) continue;
    if (missing && strict_) {
      throw data_error(source, r.number, 0,
                       "{{" + name + "}} is missing from this record (--strict)");
    }
    if (count.missing + count.empty == 0) count.first = r.number;
    ++(missing ? count.missing : count.empty);
  }
  if (r.value.is_object()) {
    if (r.value.size() == 1 && looks_joined(r.value.begin().key())) ++one_joined_column_;
    for (auto it = r.value.begin(); it != r.value.end(); ++it) {
      if (seen_fields_.size() >= max_fields) break;
      seen_fields_.insert(it.key());
    }
  }
}

nlohmann::json field_usage::report() const {
  nlohmann::json blanks = nlohmann::json::array();
  for (const auto& [name, count] : blanks_) {
    if (count.missing + count.empty == 0) continue;
    blanks.push_back({{"variable", name},
                      {"missing", count.missing},
                      {"empty", count.empty},
                      {"first_record", count.first}});
  }
  nlohmann::json unused = nlohmann::json::array();
  for (const auto& field : seen_fields_) {
    if (!fields_.roots.count(field) && !fields_.roots.count(first_step(field)))
      unused.push_back(field);
  }
  return {{"records", records_}, {"blank_variables", blanks}, {"unused_fields", unused}};
}

std::vector<std::string> field_usage::warnings() const {
  std::vector<std::string> lines;
  const bool joined = records_ > 0 && one_joined_column_ == records_;
  for (const auto& [name, count] : blanks_) {
    const auto blank = count.missing + count.empty;
    if (blank == 0) continue;
    std::string line = "{{" + name + "}} is empty in " + share_text(blank, records_) +
                       " of records (" + std::to_string(blank) + " of " + std::to_string(records_) +
                       ", first record " + std::to_string(count.first) + ")";
    if (joined) line += " — is the delimiter right?";
    lines.push_back(std::move(line));
  }
  std::string unused;
  std::size_t n = 0;
  for (const auto& field : seen_fields_) {
    if (fields_.roots.count(field) || fields_.roots.count(first_step(field))) continue;
    if (++n > 20) continue;
    unused += (unused.empty() ? "" : ", ") + field;
  }
  if (n > 20) unused += " and " + std::to_string(n - 20) + " more";
  if (n > 0) lines.push_back("data fields no template variable uses: " + unused);
  return lines;
}

}  // namespace weft::document
