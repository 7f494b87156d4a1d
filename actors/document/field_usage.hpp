#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "actors/document/record.hpp"

namespace weft::document {

/// The data a template asks for, as far as mapping can check it.
struct template_fields {
  /// Variables ({{x}}, {{{x}}}, {{& x}}) outside every section, with their dotted names: each
  /// must come from the record itself, so a record without it renders a blank.
  std::set<std::string> top_level;
  /// First steps of every name the template looks up anywhere (variables and sections,
  /// partials included): a record field not among them is used by no variable.
  std::set<std::string> roots;
};

/// Reads the template at `path` and the partials it includes (`name.mustache` beside it).
/// A partial included inside a section counts as inside it.
/// @throws template_error when a file cannot be read or does not scan.
template_fields fields_of_template(const std::filesystem::path& path);
/// The same for template text whose partials are not available.
template_fields fields_of_template_text(const std::string& text);

/// Counts, over the records of a job, which template variables come out blank and which record
/// fields no variable uses ("no silent blanks"). Memory is bounded by the number of variables
/// and of distinct field names (at most max_fields are remembered).
class field_usage {
 public:
  static constexpr std::size_t max_fields = 1000;

  explicit field_usage(template_fields fields, bool strict = false);

  /// Counts one record.
  /// @throws data_error naming the record (in `source`) when strict and a top-level variable is
  ///         missing from it (absent or null).
  void add(const record& r, const std::string& source);

  /// The findings as JSON: records, blank variables (with how many records and the first),
  /// unused fields.
  nlohmann::json report() const;

  /// One line per finding, for people: "{{name}} is empty in 100 % of records (3 of 3) — is the
  /// delimiter right?", "fields no template variable uses: city, note". Empty when all is well.
  std::vector<std::string> warnings() const;

 private:
  struct blank_count {
    std::int64_t missing = 0;  // absent or null
    std::int64_t empty = 0;    // an empty string
    std::int64_t first = 0;    // number of the first record where it was blank
  };

  template_fields fields_;
  bool strict_;
  std::int64_t records_ = 0;
  std::map<std::string, blank_count> blanks_;
  std::set<std::string> seen_fields_;
  /// Records whose only field's name holds a separator: a CSV read with the wrong delimiter.
  std::int64_t one_joined_column_ = 0;
};

/// What mapping tells about a job's data, as stored with the job: {"reader": how the data was
/// read (record_reader::describe()), "warnings": [lines], "usage": field_usage::report()}.
nlohmann::json mapping_report(const std::string& reader_description, const field_usage& usage);

/// "100 %", "37 %", "0.4 %", "< 0.1 %": the share `part` of `whole` as shown in warnings.
std::string share_text(std::int64_t part, std::int64_t whole);

}  // namespace weft::document
