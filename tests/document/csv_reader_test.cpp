#define BOOST_TEST_MODULE document_csv_reader
#include "actors/document/csv_reader.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <sstream>

#include "actors/document/data_format.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::data_error_of;
using weft::document::test::read_all;

namespace {

reader_options named(std::string name = "data.csv") {
  reader_options o;
  o.source_name = std::move(name);
  return o;
}

std::vector<record> parse(const std::string& text, reader_options o = named()) {
  std::istringstream in(text);
  csv_reader reader(in, o);
  return read_all(reader);
}

/// The data_error parsing `text` throws; fails the test if none.
data_error error_of(const std::string& text, reader_options o = named()) {
  return data_error_of([&] { parse(text, o); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_header_and_rows_as_string_values) {
  const auto rows = parse("name,qty\nWidget,3\nGadget,10\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[0].number, 1);
  BOOST_CHECK_EQUAL(rows[1].number, 2);
  BOOST_CHECK_EQUAL(rows[0].value.at("name"), "Widget");
  BOOST_CHECK_EQUAL(rows[1].value.at("qty"), "10");
  BOOST_CHECK(rows[1].value.at("qty").is_string());
}

BOOST_AUTO_TEST_CASE(dotted_column_names_become_nested_objects) {
  const auto rows = parse(
      "id,customer.name,customer.address.city,customer.address.zip\n"
      "7,Ann,Oslo,0150\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  const nlohmann::json expected = {
      {"id", "7"},
      {"customer", {{"name", "Ann"}, {"address", {{"city", "Oslo"}, {"zip", "0150"}}}}}};
  BOOST_CHECK_EQUAL(rows[0].value.dump(), expected.dump());
}

BOOST_AUTO_TEST_CASE(dotted_column_names_that_cannot_nest_stay_keys) {
  // "a" holds a value, so "a.b" cannot be inside it (whatever the column order); "c.d" nests
  // first, so "c.d.e" cannot; empty steps never nest.
  const auto rows = parse("a.b,a,c.d,c.d.e,.x,y.,p..q\n1,2,3,4,5,6,7\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  const nlohmann::json expected = {{"a.b", "1"}, {"a", "2"},  {"c", {{"d", "3"}}}, {"c.d.e", "4"},
                                   {".x", "5"},  {"y.", "6"}, {"p..q", "7"}};
  BOOST_CHECK_EQUAL(rows[0].value.dump(), expected.dump());
  // Without a header row, the given column names nest the same way.
  reader_options o = named();
  o.data.header = false;
  o.data.columns = {"id", "customer.name"};
  const auto plain = parse("7,Ann\n", o);
  BOOST_REQUIRE_EQUAL(plain.size(), 1u);
  BOOST_CHECK_EQUAL(plain[0].value.dump(),
                    nlohmann::json({{"id", "7"}, {"customer", {{"name", "Ann"}}}}).dump());
}

BOOST_AUTO_TEST_CASE(keeps_commas_doubled_quotes_and_newlines_inside_quoted_fields) {
  const auto rows = parse("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"line1\nline2\",\"\"\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[0].value.at("a"), "x, y");
  BOOST_CHECK_EQUAL(rows[0].value.at("b"), "say \"hi\"");
  BOOST_CHECK_EQUAL(rows[1].value.at("a"), "line1\nline2");
  BOOST_CHECK_EQUAL(rows[1].value.at("b"), "");
}

BOOST_AUTO_TEST_CASE(accepts_bom_crlf_and_a_last_line_without_newline) {
  const auto rows = parse("\xEF\xBB\xBFid,city\r\n1,Z\xC3\xBCrich\r\n2,Gda\xC5\x84sk");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK(rows[0].value.contains("id"));
  BOOST_CHECK_EQUAL(rows[0].value.at("city"), "Z\xC3\xBCrich");
  BOOST_CHECK_EQUAL(rows[1].value.at("city"), "Gda\xC5\x84sk");
}

BOOST_AUTO_TEST_CASE(skips_blank_lines_between_and_after_rows) {
  const auto rows = parse("a,b\n1,2\n\n\r\n3,4\n\n");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[1].number, 2);
  BOOST_CHECK_EQUAL(rows[1].value.at("a"), "3");
}

BOOST_AUTO_TEST_CASE(a_row_with_too_many_fields_names_row_line_and_counts) {
  const auto e = error_of("a,b,c,d\n1,2,3,4\n\n1,2,3,4,5\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.line(), 4);
  BOOST_CHECK_EQUAL(std::string(e.what()), "data.csv: row 2 (line 4): 5 fields, header has 4");
  BOOST_CHECK_EQUAL(e.reason(), "5 fields, header has 4");
}

BOOST_AUTO_TEST_CASE(a_row_with_too_few_fields_is_an_error) {
  const auto e = error_of("a,b,c\n1,2,3\n1,2\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.reason(), "2 fields, header has 3");
}

BOOST_AUTO_TEST_CASE(line_numbers_count_newlines_inside_quoted_fields) {
  const auto e = error_of("a,b\n\"1\n2\n3\",x\n1\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.line(), 5);
}

BOOST_AUTO_TEST_CASE(duplicate_or_empty_header_names_are_errors) {
  auto e = error_of("a,b,a\n1,2,3\n");
  BOOST_CHECK_EQUAL(e.row(), 0);
  BOOST_CHECK_EQUAL(std::string(e.what()),
                    "data.csv: line 1: header: duplicate column name \"a\" (columns 1 and 3)");
  e = error_of("a,,c\n1,2,3\n");
  BOOST_CHECK_EQUAL(e.reason(), "header: column 2 has an empty name");
}

BOOST_AUTO_TEST_CASE(an_empty_file_has_no_header) {
  BOOST_CHECK_EQUAL(error_of("").reason(), "empty file: no header row");
  BOOST_CHECK_EQUAL(error_of("\n\n").reason(), "empty file: no header row");
}

BOOST_AUTO_TEST_CASE(a_header_without_rows_gives_no_records) {
  BOOST_CHECK(parse("a,b\n").empty());
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_a_clean_error) {
  try {
    csv_reader reader(std::filesystem::path("/nonexistent/dir/data.csv"));
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_CHECK_EQUAL(e.source(), "data.csv");
    BOOST_CHECK(e.reason().find("cannot open") == 0);
  }
}

BOOST_AUTO_TEST_CASE(a_directory_instead_of_a_file_is_a_clean_error) {
  weft::document::test::temp_dir dir("csvdir");
  BOOST_CHECK_THROW(
      {
        csv_reader reader(dir.path());
        record r;
        reader.next(r);
      },
      data_error);
}

BOOST_AUTO_TEST_CASE(an_unterminated_quote_at_end_of_file_names_its_row) {
  const auto e = error_of("a,b\n1,2\n3,\"open\nand never closed\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.line(), 3);
  BOOST_CHECK(e.reason().find("unterminated quoted field") == 0);
}

BOOST_AUTO_TEST_CASE(text_after_a_closing_quote_is_an_error) {
  const auto e = error_of("a,b\n\"x\"y,2\n");
  BOOST_CHECK_EQUAL(e.row(), 1);
  BOOST_CHECK(e.reason().find("unexpected character after closing quote") == 0);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_names_the_byte_offset_in_the_row) {
  const auto e = error_of("a,b\nok,fine\nab,c\xC3(\n");
  BOOST_CHECK_EQUAL(e.row(), 2);
  // The reason goes on to say which encoding was assumed and how to name another.
  BOOST_CHECK_EQUAL(e.reason().rfind("invalid UTF-8 at byte offset 5 (read as utf-8;", 0), 0u);
  // A sequence cut short by the end of the row.
  BOOST_CHECK_EQUAL(error_of("a\nx\xE2\x82").reason().rfind("invalid UTF-8 at byte offset 2 (", 0),
                    0u);
}

BOOST_AUTO_TEST_CASE(nul_bytes_are_errors) {
  const auto e = error_of(std::string("a,b\n1,2\n3,x\0y\n", 14));
  BOOST_CHECK_EQUAL(e.row(), 2);
  BOOST_CHECK_EQUAL(e.reason(), "NUL byte at offset 3");
}

BOOST_AUTO_TEST_CASE(binary_garbage_fails_cleanly) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    std::string garbage(4096, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    try {
      parse("a,b\n" + garbage);
    } catch (const data_error& e) {
      BOOST_CHECK(e.row() >= 1);
      continue;
    }
    BOOST_FAIL("garbage was accepted");
  }
}

BOOST_AUTO_TEST_CASE(a_50_mb_field_is_refused_without_buffering_it) {
  weft::document::test::generated_buf buf("name,note\nok,", 'x', 50u * 1024u * 1024u, "\n");
  std::istream in(&buf);
  csv_reader reader(in, named());
  try {
    read_all(reader);
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_CHECK_EQUAL(e.row(), 1);
    BOOST_CHECK_EQUAL(e.reason(), "field 2 is longer than 16777216 bytes");
  }
  BOOST_CHECK_LT(buf.produced(), 17u * 1024u * 1024u);
}

BOOST_AUTO_TEST_CASE(a_reader_that_failed_keeps_failing) {
  std::istringstream in("a\n\"x\n");
  csv_reader reader(in, named());
  record r;
  BOOST_CHECK_THROW(reader.next(r), data_error);
  BOOST_CHECK_THROW(reader.next(r), data_error);
}

BOOST_AUTO_TEST_CASE(format_comes_from_the_extension_unless_overridden) {
  BOOST_CHECK(data_format_from_extension("x/DATA.CSV") == data_format::csv);
  BOOST_CHECK(data_format_from_extension("a.ndjson") == data_format::ndjson);
  BOOST_CHECK(data_format_from_extension("a.jsonl") == data_format::ndjson);
  BOOST_CHECK(!data_format_from_extension("a.txt"));
  weft::document::test::temp_dir dir("fmt");
  weft::document::test::write_file(dir / "rows.txt", "a\n1\n");
  BOOST_CHECK_THROW(open_record_reader(dir / "rows.txt"), data_error);
  auto reader = open_record_reader(dir / "rows.txt", data_format::csv);
  const auto rows = read_all(*reader);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(rows[0].value.at("a"), "1");
}

BOOST_AUTO_TEST_CASE(small_buffers_give_the_same_records) {
  reader_options o = named();
  o.buffer_bytes = 3;
  const auto rows = parse("a,b\r\n\"x,\"\"y\"\"\r\nz\",2\r\n", o);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(rows[0].value.at("a"), "x,\"y\"\r\nz");
}
