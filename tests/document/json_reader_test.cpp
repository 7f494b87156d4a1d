// JSON documents holding records: a top-level array, or an array at a record path, read
// incrementally; limits as for NDJSON; broken documents are clear errors.
#define BOOST_TEST_MODULE document_json_reader
#include "actors/document/json_reader.hpp"

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/data_format.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::data_error_of;
using weft::document::test::read_all;
using weft::document::test::says;

namespace {

reader_options at(const std::string& path = "", std::size_t buffer = 64 * 1024) {
  reader_options o;
  o.source_name = "data.json";
  o.data.record_path = path;
  o.buffer_bytes = buffer;
  return o;
}

std::vector<record> parse(const std::string& text, const reader_options& o = at()) {
  std::istringstream in(text);
  json_reader reader(in, o);
  return read_all(reader);
}

data_error error_of(const std::string& text, const reader_options& o = at()) {
  return data_error_of([&] { parse(text, o); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_top_level_array_gives_one_record_per_object) {
  const auto rows = parse(
      "[\n  {\"name\": \"Ada\", \"lines\": [{\"qty\": 1}, {\"qty\": 2}]},\n"
      "  {\"name\": \"Grace\", \"address\": {\"city\": \"Arlington\"}}\n]\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[0].number == 1);
  BOOST_TEST(rows[0].value.at("lines").at(1).at("qty") == 2);
  BOOST_TEST(rows[1].value.at("address").at("city") == "Arlington");
  BOOST_TEST(nlohmann::json::parse(rows[1].text) == rows[1].value);
}

BOOST_AUTO_TEST_CASE(records_at_a_path_skip_everything_beside_it) {
  const std::string doc =
      "{\"meta\": {\"count\": 2, \"tags\": [\"a\", {\"b\": \"]}\"}]},\n"
      " \"data\": {\"note\": \"x\", \"items\": [{\"id\": 1}, {\"id\": 2}], \"more\": null},\n"
      " \"after\": [1, 2, 3]}";
  for (std::size_t buffer : {64u * 1024u, 3u}) {
    const auto rows = parse(doc, at("/data/items", buffer));
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_TEST(rows[1].value.at("id") == 2);
  }
  BOOST_TEST(says(error_of(doc, at("/data/rows")), "no \"rows\" in the object at /data"));
  BOOST_TEST(says(error_of(doc, at("/meta/count")), "is a number, not an array of records"));
  BOOST_TEST(says(error_of(doc), "name the array inside it with --record-path"));
}

BOOST_AUTO_TEST_CASE(an_empty_array_has_no_records) {
  BOOST_TEST(parse("[]").empty());
  BOOST_TEST(parse(" [ \n ] \n").empty());
}

BOOST_AUTO_TEST_CASE(an_array_that_ends_early_is_an_error_naming_where) {
  const auto e = error_of("[\n{\"id\": 1},\n{\"id\": 2},\n{\"id\": 3");
  BOOST_TEST(says(e, "ends early"));
  const auto e2 = error_of("[\n{\"id\": 1},\n{\"id\": 2}\n");
  BOOST_TEST(says(e2, "ends early"));
  BOOST_TEST(says(e2, "after record 2"));
  BOOST_TEST(says(error_of("{\"data\": [{\"id\": 1}]", at("/data")), "is not closed"));
}

BOOST_AUTO_TEST_CASE(a_record_that_is_not_an_object_names_its_number_and_kind) {
  const auto e = error_of("[{\"a\": 1}, \"text\"]");
  BOOST_TEST(e.row() == 2);
  BOOST_TEST(says(e, "not a JSON object (found a string)"));
}

BOOST_AUTO_TEST_CASE(malformed_json_names_record_line_and_column) {
  const auto e = error_of("[\n{\"a\": 1},\n{\"a\": tru}\n]");
  BOOST_TEST(e.row() == 2);
  BOOST_TEST(e.line() == 3);
  BOOST_TEST(says(e, "invalid JSON"));
  BOOST_TEST(says(error_of("[{\"a\": 1}} ]"), "expected ',' or ']'"));
  BOOST_TEST(says(error_of("[{\"a\": [1}]"), "unbalanced"));
  BOOST_TEST(says(error_of("[{\"a\": 1}] x"), "text after the end"));
}

BOOST_AUTO_TEST_CASE(records_over_the_limits_are_refused_before_parsing) {
  reader_options o = at();
  o.max_field_bytes = 100;
  BOOST_TEST(says(error_of("[{\"a\": \"" + std::string(500, 'x') + "\"}]", o), "longer than"));
  o.max_depth = 4;
  BOOST_TEST(says(error_of("[{\"a\": [[[[[1]]]]]}]", o), "nested deeper than 4"));
}

BOOST_AUTO_TEST_CASE(a_json_array_of_100k_records_streams_in_order) {
  weft::document::test::temp_dir dir("json");
  {
    std::ofstream out(dir / "invoices.json");
    out << "[";
    for (int i = 1; i <= 100000; ++i) {
      out << (i > 1 ? ",\n" : "\n") << "{\"invoice\": \"INV-" << i
          << "\", \"customer\": {\"name\": \"Customer " << i
          << "\"}, \"lines\": [{\"sku\": \"A\", \"qty\": " << i % 7 << "}]}";
    }
    out << "\n]\n";
  }
  auto reader = open_record_reader(dir / "invoices.json");
  record r;
  std::int64_t n = 0;
  while (reader->next(r)) {
    ++n;
    if (r.value.at("invoice") != "INV-" + std::to_string(n)) BOOST_FAIL("out of order at " << n);
  }
  BOOST_TEST(n == 100000);
}

// Found by fuzzing (tests/fuzz/corpus/json_xml/regression-number-overflow): nlohmann's
// out_of_range escaped the reader, so the job failed without naming the record.
BOOST_AUTO_TEST_CASE(a_number_no_double_holds_is_an_error_naming_the_record) {
  const auto e = error_of("[{\"a\":1},\n {\"total\":-1e400}]");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.reason(), "number out of range: -1e400");
}
