#define BOOST_TEST_MODULE document_ndjson_reader
#include "actors/document/ndjson_reader.hpp"

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/data_format.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::data_error_of;
using weft::document::test::read_all;

namespace {

reader_options named() {
  reader_options o;
  o.source_name = "data.ndjson";
  return o;
}

std::vector<record> parse(const std::string& text, reader_options o = named()) {
  std::istringstream in(text);
  ndjson_reader reader(in, o);
  return read_all(reader);
}

data_error error_of(const std::string& text, reader_options o = named()) {
  return data_error_of([&] { parse(text, o); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(keeps_nested_objects_and_arrays) {
  const auto rows = parse(
      "{\"id\":1,\"customer\":{\"name\":\"A\"},\"items\":[{\"qty\":2},{\"qty\":3}]}\n"
      "{\"id\":2,\"items\":[]}\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[0].value["customer"]["name"], "A");
  BOOST_CHECK_EQUAL(rows[0].value["items"][1]["qty"], 3);
  BOOST_CHECK(rows[1].value["items"].is_array());
}

BOOST_AUTO_TEST_CASE(skips_blank_lines_and_counts_rows_apart_from_lines) {
  const auto rows = parse("\n{\"a\":1}\r\n   \n{\"a\":2}");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[1].number, 2);
  const auto e = error_of("{\"a\":1}\n\n\n[1,2]\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.line(), 4);
}

BOOST_AUTO_TEST_CASE(a_line_that_is_not_an_object_names_what_it_is) {
  const auto e = error_of("{\"a\":1}\n[1,2]\n");
  BOOST_CHECK_EQUAL(std::string(e.what()),
                    "data.ndjson: row 2 (line 2): not a JSON object (found an array)");
  BOOST_CHECK_EQUAL(error_of("42\n").reason(), "not a JSON object (found a number)");
}

BOOST_AUTO_TEST_CASE(invalid_json_names_row_and_column) {
  const auto e = error_of("{\"a\":1}\n{\"a\":tru}\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK(e.reason().find("invalid JSON at column") == 0);
  BOOST_CHECK(error_of("{\"a\":1}{\"b\":2}\n").reason().find("invalid JSON") == 0);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_nul_bytes_are_errors_with_offsets) {
  BOOST_CHECK_EQUAL(
      error_of("{\"a\":\"\xFF\"}\n").reason().rfind("invalid UTF-8 at byte offset 6 (read as", 0),
      0u);
  BOOST_CHECK_EQUAL(error_of(std::string("{\"a\":\"\0\"}\n", 10)).reason(), "NUL byte at offset 6");
}

BOOST_AUTO_TEST_CASE(an_overlong_line_is_refused_without_buffering_it) {
  weft::document::test::generated_buf buf("{\"a\":1}\n{\"big\":\"", 'x', 50u * 1024u * 1024u,
                                          "\"}\n");
  std::istream in(&buf);
  ndjson_reader reader(in, named());
  try {
    read_all(reader);
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_CHECK_EQUAL(e.row(), 2);
    BOOST_CHECK_EQUAL(e.reason(), "line is longer than 16777216 bytes");
  }
  BOOST_CHECK_LT(buf.produced(), 17u * 1024u * 1024u);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused) {
  const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}\n";
  BOOST_CHECK_EQUAL(error_of(deep).reason(), "nested deeper than 64 levels");
  // Brackets inside strings do not count.
  BOOST_CHECK_EQUAL(parse("{\"a\":\"" + std::string(100, '[') + "\"}\n").size(), 1u);
}

BOOST_AUTO_TEST_CASE(reads_files_by_extension) {
  weft::document::test::temp_dir dir("ndjson");
  weft::document::test::write_file(dir / "d.jsonl", "{\"x\":1}\n");
  auto reader = open_record_reader(dir / "d.jsonl");
  BOOST_CHECK_EQUAL(read_all(*reader).size(), 1u);
  try {
    open_record_reader(dir / "missing.ndjson");
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_CHECK_EQUAL(e.source(), "missing.ndjson");
  }
}

BOOST_AUTO_TEST_CASE(an_empty_file_has_no_records) { BOOST_CHECK(parse("").empty()); }

// Found by fuzzing (tests/fuzz/corpus/ndjson/regression-number-overflow): nlohmann's
// out_of_range escaped the reader, so the job failed without naming the row.
BOOST_AUTO_TEST_CASE(a_number_no_double_holds_is_an_error_naming_the_row) {
  const auto e = error_of("{\"a\":1}\n{\"total\":1e400}\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.reason(), "number out of range: 1e400");
  const auto long_one = error_of("{\"a\":" + std::string(100, '9') + "e999}\n");
  BOOST_CHECK_EQUAL(long_one.reason(), "number out of range: " + std::string(40, '9') + "...");
}
