// CSV dialects as spreadsheets and ERP systems export them: semicolons, tabs, pipes, other
// quotes, no header row, title lines before the header, and a sniffed delimiter.
#define BOOST_TEST_MODULE document_csv_dialect
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/csv_reader.hpp"
#include "actors/document/data_format.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::data_error_of;
using weft::document::test::read_all;

namespace {

reader_options with(data_options data, std::size_t buffer = 64 * 1024) {
  reader_options o;
  o.source_name = "data.csv";
  o.data = std::move(data);
  o.buffer_bytes = buffer;
  return o;
}

std::vector<record> parse(const std::string& text, const reader_options& o) {
  std::istringstream in(text);
  csv_reader reader(in, o);
  return read_all(reader);
}

data_error error_of(const std::string& text, const reader_options& o) {
  return data_error_of([&] { parse(text, o); });
}

/// A semicolon export as a German spreadsheet writes it: BOM, CRLF, decimal commas, quoted
/// semicolons and a line break inside a quoted note.
const std::string semicolon_export =
    "\xEF\xBB\xBFname;city;amount;note\r\n"
    "M\xC3\xBCller GmbH;Berlin;1.234,50;\"Lieferung; Teil 1\"\r\n"
    "Schmidt & Co;Hamburg;99,00;\"zweite\r\nZeile\"\r\n"
    "\"Meier; Sohn\";K\xC3\xB6ln;0,99;\r\n";

}  // namespace

BOOST_AUTO_TEST_CASE(a_semicolon_export_is_sniffed_and_read_with_quoted_semicolons_and_newlines) {
  for (std::size_t buffer : {64u * 1024u, 7u, 1u}) {
    std::istringstream in(semicolon_export);
    csv_reader reader(in, with({}, buffer));
    const auto rows = read_all(reader);
    BOOST_TEST(reader.delimiter() == ';');
    BOOST_TEST(reader.describe().find("delimiter ';' (detected") != std::string::npos,
               reader.describe());
    BOOST_REQUIRE_EQUAL(rows.size(), 3u);
    BOOST_TEST(rows[0].value.at("name") == "M\xC3\xBCller GmbH");
    BOOST_TEST(rows[0].value.at("amount") == "1.234,50");
    BOOST_TEST(rows[0].value.at("note") == "Lieferung; Teil 1");
    BOOST_TEST(rows[1].value.at("note") == "zweite\r\nZeile");
    BOOST_TEST(rows[2].value.at("name") == "Meier; Sohn");
    BOOST_TEST(rows[2].value.at("note") == "");
  }
}

BOOST_AUTO_TEST_CASE(sniffing_prefers_the_delimiter_that_splits_every_row_alike) {
  std::string why;
  BOOST_TEST(sniff_delimiter("a,b;c\n1,2;3\n", '"', true, why) == ',');
  BOOST_TEST(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n", '"', true, why) == ';');
  BOOST_TEST(sniff_delimiter("a\tb\tc\nx y\t1\t2\n", '"', true, why) == '\t');
  BOOST_TEST(sniff_delimiter("a|b\n1|2\n", '"', true, why) == '|');
  BOOST_TEST(sniff_delimiter("name\nAda\n", '"', true, why) == ',');
  BOOST_TEST(why.find("one column") != std::string::npos, why);
  // Quoted separators do not count; the cut-off last line of a sample does not either.
  BOOST_TEST(sniff_delimiter("a;b\n\"x,y,z\";1\n\"p,q\";2\n3,4,5,6", '"', false, why) == ';');
}

BOOST_AUTO_TEST_CASE(a_named_delimiter_is_used_as_given) {
  data_options d;
  d.delimiter = '|';
  const auto rows = parse("a|b\n1,5|x;y\n", with(d));
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("a") == "1,5");
  BOOST_TEST(rows[0].value.at("b") == "x;y");
}

BOOST_AUTO_TEST_CASE(tab_separated_files_are_read_by_their_extension) {
  weft::document::test::temp_dir dir("dialect");
  weft::document::test::write_file(dir / "people.tsv", "name\tcity, state\nAda\tLondon, UK\n");
  auto reader = open_record_reader(dir / "people.tsv");
  const auto rows = read_all(*reader);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("city, state") == "London, UK");
}

BOOST_AUTO_TEST_CASE(another_quote_character_quotes_fields) {
  data_options d;
  d.delimiter = ',';
  d.quote = '\'';
  const auto rows = parse("a,b\n'x, y','it''s'\n", with(d));
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("a") == "x, y");
  BOOST_TEST(rows[0].value.at("b") == "it's");
}

BOOST_AUTO_TEST_CASE(a_headerless_file_takes_the_given_column_names) {
  data_options d;
  d.header = false;
  d.columns = {"id", "name", "amount"};
  const auto rows = parse("1;Ada;10,00\n2;Grace;20,00\n", with(d));
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[0].number == 1);
  BOOST_TEST(rows[0].value.at("name") == "Ada");
  BOOST_TEST(rows[1].value.at("amount") == "20,00");
  const auto e = error_of("1;Ada\n", with(d));
  BOOST_TEST(e.row() == 1);
  BOOST_TEST(std::string(e.what()).find("2 fields, columns are 3") != std::string::npos, e.what());
}

BOOST_AUTO_TEST_CASE(skipped_lines_come_before_the_header_and_still_count_as_lines) {
  data_options d;
  d.skip_lines = 2;
  const auto text = "Export of 2026-11-28\nERP v4; all customers\nid;name\n1;Ada\n2\n";
  const auto e = error_of(text, with(d));
  BOOST_TEST(e.row() == 2);
  BOOST_TEST(e.line() == 5);
  data_options d2 = d;
  const auto rows =
      parse("Export of 2026-11-28\nERP v4; all customers\nid;name\n1;Ada\n", with(d2));
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("name") == "Ada");
}

BOOST_AUTO_TEST_CASE(inconsistent_options_are_refused_before_reading) {
  data_options no_columns;
  no_columns.header = false;
  BOOST_CHECK_THROW(parse("1,2\n", with(no_columns)), data_error);
  data_options same;
  same.delimiter = ';';
  same.quote = ';';
  BOOST_TEST(!check_data_options(same).empty());
  data_options dup;
  dup.header = false;
  dup.columns = {"a", "a"};
  BOOST_TEST(check_data_options(dup).find("duplicate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(data_options_survive_their_json_form) {
  data_options d;
  d.delimiter = '\t';
  d.quote = '\'';
  d.header = false;
  d.columns = {"a", "b"};
  d.skip_lines = 3;
  d.encoding = "windows-1252";
  d.record_path = "/x/y";
  d.strict = true;
  const auto back = data_options_from_json(to_json(d));
  BOOST_TEST(back.delimiter == '\t');
  BOOST_TEST(back.quote == '\'');
  BOOST_TEST(!back.header);
  BOOST_TEST(back.columns.size() == 2u);
  BOOST_TEST(back.skip_lines == 3u);
  BOOST_TEST(back.encoding == "windows-1252");
  BOOST_TEST(back.record_path == "/x/y");
  BOOST_TEST(back.strict);
  BOOST_TEST(to_json(data_options{}).empty());
  BOOST_CHECK_THROW(data_options_from_json({{"delimiter", "x"}}), std::invalid_argument);
}

// Found by fuzzing (tests/fuzz/corpus/job_options/regression-skip-lines-*): get<size_t> turned
// -1 into 2^64-1 and 1e300 into undefined behaviour.
BOOST_AUTO_TEST_CASE(data_options_refuse_a_negative_or_fractional_skip_lines) {
  BOOST_TEST(data_options_from_json(nlohmann::json::parse(R"({"skip_lines": 2})")).skip_lines == 2u);
  BOOST_TEST(data_options_from_json({{"skip_lines", 3}}).skip_lines == 3u);
  for (const char* bad : {R"({"skip_lines": -1})", R"({"skip_lines": 1e300})",
                          R"({"skip_lines": 1.5})", R"({"skip_lines": "2"})"}) {
    try {
      data_options_from_json(nlohmann::json::parse(bad));
      BOOST_ERROR(std::string("accepted ") + bad);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find("data.skip_lines: must be an integer >= 0") == 0u,
                 e.what());
    }
  }
}
