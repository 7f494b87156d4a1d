// Encodings of legacy exports: converted to UTF-8 with iconv while streaming; a byte that is
// not valid in the named encoding is an error naming the row, the offset and the encoding.
#define BOOST_TEST_MODULE document_data_encoding
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/csv_reader.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/ndjson_reader.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::read_all;

namespace {

reader_options encoded(const std::string& encoding, std::size_t buffer = 64 * 1024) {
  reader_options o;
  o.source_name = "legacy.csv";
  o.data.encoding = encoding;
  o.buffer_bytes = buffer;
  return o;
}

std::vector<record> parse(const std::string& bytes, const reader_options& o) {
  std::istringstream in(bytes);
  csv_reader reader(in, o);
  return read_all(reader);
}

/// `utf8` (ASCII and a few Latin letters) as UTF-16 little- or big-endian, with a BOM.
std::string utf16(const std::u16string& text, bool little_endian) {
  std::string out = little_endian ? "\xFF\xFE" : "\xFE\xFF";
  for (char16_t c : text) {
    const char lo = static_cast<char>(c & 0xFF), hi = static_cast<char>(c >> 8);
    out += little_endian ? std::string{lo, hi} : std::string{hi, lo};
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_windows_1252_file_with_euro_signs_becomes_utf8) {
  // 0x80 is the euro sign in windows-1252, 0xE4 is ä, 0x96 an en dash.
  const std::string bytes = "Kunde;Betrag;Hinweis\r\nM\xE4rz GmbH;\x80 12,50;Bar \x96 sofort\r\n";
  for (std::size_t buffer : {64u * 1024u, 5u}) {
    const auto rows = parse(bytes, encoded("windows-1252", buffer));
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_TEST(rows[0].value.at("Kunde") == "M\xC3\xA4rz GmbH");
    BOOST_TEST(rows[0].value.at("Betrag") == "\xE2\x82\xAC 12,50");
    BOOST_TEST(rows[0].value.at("Hinweis") == "Bar \xE2\x80\x93 sofort");
  }
}

BOOST_AUTO_TEST_CASE(latin1_and_latin9_differ_where_they_should) {
  BOOST_TEST(parse("x\n\xA4\n", encoded("iso-8859-1"))[0].value.at("x") == "\xC2\xA4");
  BOOST_TEST(parse("x\n\xA4\n", encoded("iso-8859-15"))[0].value.at("x") == "\xE2\x82\xAC");
}

BOOST_AUTO_TEST_CASE(a_utf16_file_with_a_bom_is_read_in_either_byte_order) {
  const std::u16string text = u"name,amount\r\nZo\u00EB,\u20AC 5\r\n";
  for (bool le : {true, false}) {
    for (const std::string& encoding : {std::string("utf-16"), std::string()}) {
      const auto rows = parse(utf16(text, le), encoded(encoding, 3));
      BOOST_REQUIRE_EQUAL(rows.size(), 1u);
      BOOST_TEST(rows[0].value.at("name") == "Zo\xC3\xAB");
      BOOST_TEST(rows[0].value.at("amount") == "\xE2\x82\xAC 5");
    }
  }
}

BOOST_AUTO_TEST_CASE(utf16_without_a_bom_must_name_its_byte_order) {
  const std::string le = utf16(u"a\nb\n", true).substr(2);
  try {
    parse(le, encoded("utf-16"));
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_TEST(std::string(e.what()).find("byte order mark") != std::string::npos, e.what());
  }
  const auto rows = parse(le, encoded("utf-16le"));
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("a") == "b");
}

BOOST_AUTO_TEST_CASE(an_invalid_byte_names_row_offset_and_the_encoding_assumed) {
  // 0x81 is not assigned in windows-1252.
  const std::string bytes = "a,b\n1,2\n3,\x81x\n";
  for (std::size_t buffer : {64u * 1024u, 2u}) {
    try {
      parse(bytes, encoded("windows-1252", buffer));
      BOOST_FAIL("no error");
    } catch (const data_error& e) {
      BOOST_TEST(e.row() == 2, e.what());
      BOOST_TEST(e.line() == 3, e.what());
      const std::string what = e.what();
      BOOST_TEST(what.find("windows-1252") != std::string::npos, what);
      BOOST_TEST(what.find("0x81") != std::string::npos, what);
      BOOST_TEST(what.find("offset 10") != std::string::npos, what);
    }
  }
}

BOOST_AUTO_TEST_CASE(latin1_read_as_utf8_says_which_encoding_was_assumed) {
  try {
    parse("name\nM\xE4rz\n", encoded(""));
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    BOOST_TEST(e.row() == 1);
    BOOST_TEST(std::string(e.what()).find("read as utf-8") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("--data-encoding") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_encoding_is_a_clear_error) {
  try {
    parse("a\n1\n", encoded("ebcdic-klingon"));
    BOOST_FAIL("no error");
  } catch (const data_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("unknown data encoding 'ebcdic-klingon'") != std::string::npos, what);
    BOOST_TEST(what.find("windows-1252") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(ndjson_is_converted_too) {
  std::istringstream in(std::string("{\"price\":\"\x80 3\"}\n"));
  ndjson_reader reader(in, encoded("windows-1252"));
  const auto rows = read_all(reader);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].value.at("price") == "\xE2\x82\xAC 3");
}
