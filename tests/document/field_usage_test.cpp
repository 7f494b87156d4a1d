// No silent blanks: which template variables come out blank in which share of records, which
// fields no variable uses, and --strict refusing a record without a variable.
#define BOOST_TEST_MODULE document_field_usage
#include "actors/document/field_usage.hpp"

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/csv_reader.hpp"
#include "actors/document/data_error.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::read_all;

namespace {

std::vector<record> csv(const std::string& text, char delimiter) {
  reader_options o;
  o.source_name = "customers.csv";
  o.data.delimiter = delimiter;
  std::istringstream in(text);
  csv_reader reader(in, o);
  return read_all(reader);
}

bool has_line(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines)
    if (l.find(what) != std::string::npos) return true;
  BOOST_TEST_MESSAGE("lines:");
  for (const auto& l : lines) BOOST_TEST_MESSAGE("  " << l);
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_template_names_top_level_variables_and_every_root) {
  const auto f = fields_of_template_text(
      "{{name}} {{{address.city}}} {{& note}}{{! comment}}\n"
      "{{#lines}}{{qty}} x {{sku}}{{/lines}}{{^paid}}unpaid{{/paid}}{{.}}");
  BOOST_TEST(f.top_level == (std::set<std::string>{"name", "address.city", "note"}));
  BOOST_TEST(f.roots ==
             (std::set<std::string>{"name", "address", "note", "lines", "qty", "sku", "paid"}));
}

BOOST_AUTO_TEST_CASE(partials_count_where_they_are_included) {
  weft::document::test::temp_dir dir("usage");
  weft::document::test::write_file(dir / "main.mustache",
                                   "{{> head}}{{#items}}{{> item}}{{/items}}");
  weft::document::test::write_file(dir / "head.mustache", "{{title}}");
  weft::document::test::write_file(dir / "item.mustache", "{{label}}");
  const auto f = fields_of_template(dir / "main.mustache");
  BOOST_TEST(f.top_level == (std::set<std::string>{"title"}));
  BOOST_TEST(f.roots.count("label") == 1u);
}

BOOST_AUTO_TEST_CASE(a_semicolon_file_read_with_commas_warns_about_every_variable) {
  const auto rows = csv("name;city;note\nAda;London;x\nGrace;NYC;y\n", ',');
  field_usage usage(fields_of_template_text("Dear {{name}} of {{city}}"));
  for (const auto& r : rows) usage.add(r, "customers.csv");
  const auto lines = usage.warnings();
  BOOST_TEST(has_line(lines, "{{name}} is empty in 100 % of records (2 of 2, first record 1)"));
  BOOST_TEST(has_line(lines, "is the delimiter right?"));
  BOOST_TEST(has_line(lines, "data fields no template variable uses: name;city;note"));
  const auto report = usage.report();
  BOOST_TEST(report.at("records") == 2);
  BOOST_TEST(report.at("blank_variables").size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_well_read_file_warns_only_about_what_is_really_blank_or_unused) {
  const auto rows = csv("name;city;note\nAda;London;x\nGrace;;y\nLin;Oslo;z\nBo;Rome;w\n", ';');
  field_usage usage(fields_of_template_text("Dear {{name}} of {{city}}"));
  for (const auto& r : rows) usage.add(r, "customers.csv");
  const auto lines = usage.warnings();
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(has_line(lines, "{{city}} is empty in 25 % of records (1 of 4, first record 2)"));
  BOOST_TEST(!has_line(lines, "delimiter"));
  BOOST_TEST(has_line(lines, "data fields no template variable uses: note"));
}

BOOST_AUTO_TEST_CASE(nothing_to_say_when_every_variable_is_filled_and_every_field_used) {
  const auto rows = csv("name,city\nAda,London\n", ',');
  field_usage usage(fields_of_template_text("{{name}}{{#city}}{{city}}{{/city}}"));
  for (const auto& r : rows) usage.add(r, "customers.csv");
  BOOST_TEST(usage.warnings().empty());
}

BOOST_AUTO_TEST_CASE(dotted_names_look_into_nested_records_never_at_literal_keys) {
  record r;
  r.number = 1;
  r.value = {{"customer", {{"name", "Ada"}}}, {"a.b", "literal"}};
  field_usage usage(fields_of_template_text("{{customer.name}} {{a.b}} {{customer.city}}"));
  usage.add(r, "x.json");
  const auto lines = usage.warnings();
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(has_line(lines, "{{customer.city}} is empty in 100 %"));
  // As in the template (the Mustache specification): a key "a.b" is not what {{a.b}} names.
  BOOST_TEST(has_line(lines, "{{a.b}} is empty in 100 %"));
}

BOOST_AUTO_TEST_CASE(dotted_csv_columns_are_found_by_dotted_names) {
  const auto rows = csv("id,customer.name,customer.city\n7,Ada,London\n", ',');
  field_usage usage(fields_of_template_text("{{id}} {{customer.name}} {{customer.city}}"));
  for (const auto& r : rows) usage.add(r, "customers.csv");
  BOOST_TEST(usage.warnings().empty());
}

BOOST_AUTO_TEST_CASE(strict_refuses_the_first_record_without_a_variable) {
  const auto rows = csv("name;city\nAda;London\nGrace;NYC\n", ',');
  field_usage usage(fields_of_template_text("Dear {{name}}"), true);
  try {
    for (const auto& r : rows) usage.add(r, "customers.csv");
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_TEST(e.row() == 1);
    BOOST_TEST(std::string(e.what()) ==
               "customers.csv: row 1: {{name}} is missing from this record (--strict)");
  }
  // An empty value is there: strict lets it through (the warning still counts it).
  const auto filled = csv("name\n\"\"\n", ',');
  field_usage lenient(fields_of_template_text("{{name}}"), true);
  lenient.add(filled[0], "customers.csv");
  BOOST_TEST(lenient.warnings().size() == 1u);
}

BOOST_AUTO_TEST_CASE(shares_are_rounded_for_people) {
  BOOST_TEST(share_text(3, 3) == "100 %");
  BOOST_TEST(share_text(999, 1000) == "99 %");
  BOOST_TEST(share_text(1, 3) == "33 %");
  BOOST_TEST(share_text(4, 1000) == "0.4 %");
  BOOST_TEST(share_text(1, 100000) == "< 0.1 %");
}
