#define BOOST_TEST_MODULE document_output_plan
#include "actors/document/output_plan.hpp"

#include <boost/test/unit_test.hpp>

using namespace weft::document;
using nlohmann::json;

namespace {

std::vector<output_plan::key> keys_of(const std::vector<json>& rows,
                                      const output_plan::options& opts) {
  std::vector<output_plan::key> keys;
  std::int64_t n = 0;
  for (const auto& row : rows) keys.push_back(output_plan::key_of(record{++n, row, {}}, opts));
  return keys;
}

std::vector<std::int64_t> order_of(const output_plan& plan) {
  std::vector<std::int64_t> out;
  for (const auto& s : plan.segments()) out.insert(out.end(), s.records.begin(), s.records.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_options_everything_is_one_segment_in_input_order) {
  output_plan::options o;
  const auto plan = output_plan::make(keys_of({{{"a", 1}}, {{"a", 2}}, {{"a", 3}}}, o), o);
  BOOST_REQUIRE_EQUAL(plan.segments().size(), 1u);
  BOOST_CHECK_EQUAL(plan.segments()[0].name, "0001");
  BOOST_CHECK((plan.segments()[0].records == std::vector<std::int64_t>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(no_records_give_no_segments) {
  BOOST_CHECK(output_plan::make({}, {}).segments().empty());
}

BOOST_AUTO_TEST_CASE(sorting_is_numeric_for_numbers_and_numeric_strings_and_stable) {
  output_plan::options o;
  o.sort_by = "amount";
  const auto plan = output_plan::make(keys_of({{{"amount", "100"}},
                                               {{"amount", 9}},
                                               {{"amount", "9.5"}},
                                               {{"amount", "abc"}},
                                               {{"amount", 9}},
                                               {{"other", 1}},
                                               {{"amount", "10"}}},
                                              o),
                                      o);
  BOOST_CHECK((order_of(plan) == std::vector<std::int64_t>{6, 2, 5, 3, 7, 1, 4}));
}

BOOST_AUTO_TEST_CASE(text_sorts_by_bytes) {
  output_plan::options o;
  o.sort_by = "name";
  const auto plan =
      output_plan::make(keys_of({{{"name", "b"}}, {{"name", "B"}}, {{"name", "a"}}}, o), o);
  BOOST_CHECK((order_of(plan) == std::vector<std::int64_t>{2, 3, 1}));
}

BOOST_AUTO_TEST_CASE(a_group_change_starts_a_segment_named_after_the_group) {
  output_plan::options o;
  o.sort_by = "city";
  o.group_by = "city";
  const auto plan = output_plan::make(keys_of({{{"city", "Zürich"}},
                                               {{"city", "Berlin"}},
                                               {{"city", "Zürich"}},
                                               {{"city", "New York/NY"}}},
                                              o),
                                      o);
  BOOST_REQUIRE_EQUAL(plan.segments().size(), 3u);
  BOOST_CHECK_EQUAL(plan.segments()[0].name, "0001-Berlin");
  BOOST_CHECK_EQUAL(plan.segments()[1].name, "0002-New_York_NY");
  BOOST_CHECK_EQUAL(plan.segments()[2].name, "0003-Z_rich");
  BOOST_CHECK_EQUAL(plan.segments()[2].group, "Zürich");
  BOOST_CHECK((plan.segments()[2].records == std::vector<std::int64_t>{1, 3}));
}

BOOST_AUTO_TEST_CASE(split_every_cuts_segments_within_groups) {
  output_plan::options o;
  o.group_by = "g";
  o.split_every = 2;
  const auto plan = output_plan::make(
      keys_of({{{"g", "a"}}, {{"g", "a"}}, {{"g", "a"}}, {{"g", "b"}}, {{"g", "b"}}}, o), o);
  BOOST_REQUIRE_EQUAL(plan.segments().size(), 3u);
  BOOST_CHECK_EQUAL(plan.segments()[0].records.size(), 2u);
  BOOST_CHECK_EQUAL(plan.segments()[1].name, "0002-a");
  BOOST_CHECK_EQUAL(plan.segments()[1].records.size(), 1u);
  BOOST_CHECK_EQUAL(plan.segments()[2].name, "0003-b");
  BOOST_CHECK_EQUAL(plan.segments()[2].records.size(), 2u);
}

BOOST_AUTO_TEST_CASE(split_every_alone_makes_equal_segments) {
  output_plan::options o;
  o.split_every = 3;
  std::vector<json> rows(10, json{{"x", 1}});
  const auto plan = output_plan::make(keys_of(rows, o), o);
  BOOST_CHECK_EQUAL(plan.segments().size(), 4u);
  BOOST_CHECK_EQUAL(plan.segments()[3].records.size(), 1u);
}

BOOST_AUTO_TEST_CASE(an_unknown_sort_or_group_field_is_an_error_naming_it) {
  output_plan::options o;
  o.sort_by = "amount";
  try {
    output_plan::make(keys_of({{{"total", 1}}}, o), o);
    BOOST_FAIL("no error");
  } catch (const std::invalid_argument& e) {
    BOOST_CHECK_EQUAL(std::string(e.what()),
                      "sort_by: unknown field \"amount\" (not in the first record)");
  }
  output_plan::options g;
  g.group_by = "region";
  BOOST_CHECK_THROW(output_plan::make(keys_of({{{"total", 1}}}, g), g), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(dotted_fields_reach_into_objects) {
  output_plan::options o;
  o.sort_by = "customer.name";
  const auto plan = output_plan::make(
      keys_of({{{"customer", {{"name", "b"}}}}, {{"customer", {{"name", "a"}}}}}, o), o);
  BOOST_CHECK((order_of(plan) == std::vector<std::int64_t>{2, 1}));
}

BOOST_AUTO_TEST_CASE(sanitized_names_are_safe_in_file_names) {
  BOOST_CHECK_EQUAL(output_plan::sanitize("../../etc/passwd"), "_.._etc_passwd");
  BOOST_CHECK_EQUAL(output_plan::sanitize(""), "empty");
  BOOST_CHECK_EQUAL(output_plan::sanitize("   "), "empty");
  BOOST_CHECK_EQUAL(output_plan::sanitize(std::string(100, 'x')).size(), 40u);
}
