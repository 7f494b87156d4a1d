// XML documents: records at a path turned into the data a JSON record would give; namespaces;
// malformed documents with line and column; entities refused (billion laughs, external).
#define BOOST_TEST_MODULE document_xml_reader
#include "actors/document/xml_reader.hpp"

#include <sys/resource.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <sstream>

#include "actors/document/data_format.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::data_error_of;
using weft::document::test::read_all;
using weft::document::test::says;

namespace {

reader_options at(const std::string& path = "") {
  reader_options o;
  o.source_name = "invoices.xml";
  o.data.record_path = path;
  return o;
}

std::vector<record> parse(const std::string& text, const reader_options& o = at()) {
  std::istringstream in(text);
  xml_reader reader(in, o);
  return read_all(reader);
}

data_error error_of(const std::string& text, const reader_options& o = at()) {
  return data_error_of([&] { parse(text, o); });
}

const std::string invoices =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<inv:invoices xmlns:inv=\"urn:example:invoices\" xmlns=\"urn:example:default\">\n"
    "  <inv:header><created>2026-11-28</created></inv:header>\n"
    "  <inv:invoice id=\"INV-1\" currency=\"EUR\">\n"
    "    <customer><name>Ada &amp; Co</name><city>London</city></customer>\n"
    "    <line sku=\"A\"><qty>1</qty></line>\n"
    "    <line sku=\"B\"><qty>2</qty></line>\n"
    "    <note>paid <![CDATA[in <cash>]]></note>\n"
    "    <total>12.50</total><paid>false</paid>\n"
    "  </inv:invoice>\n"
    "  <!-- a comment -->\n"
    "  <inv:invoice id=\"INV-2\"><customer><name>Grace</name></customer>"
    "<line sku=\"C\"><qty>5</qty></line><memo lang=\"en\">rush</memo><empty/></inv:invoice>\n"
    "</inv:invoices>\n";

}  // namespace

BOOST_AUTO_TEST_CASE(elements_at_the_path_become_nested_records) {
  const auto rows = parse(invoices, at("/invoices/invoice"));
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  const auto& a = rows[0].value;
  BOOST_TEST(rows[0].number == 1);
  BOOST_TEST(rows[0].text.empty());
  BOOST_TEST(a.at("@id") == "INV-1");
  BOOST_TEST(a.at("@currency") == "EUR");
  BOOST_TEST(a.at("customer").at("name") == "Ada & Co");
  BOOST_TEST(a.at("total") == "12.50");
  BOOST_TEST(a.at("paid") == false);
  BOOST_TEST(a.at("note") == "paid in <cash>");
  BOOST_REQUIRE(a.at("line").is_array());
  BOOST_TEST(a.at("line").size() == 2u);
  BOOST_TEST(a.at("line").at(1).at("@sku") == "B");
  BOOST_TEST(a.at("line").at(1).at("qty") == "2");
  const auto& b = rows[1].value;
  BOOST_TEST(b.at("line").is_object());  // one child: not a list
  BOOST_TEST(b.at("memo").at("@lang") == "en");
  BOOST_TEST(b.at("memo").at("#text") == "rush");
  BOOST_TEST(b.at("empty") == "");
  BOOST_TEST(!b.contains("@xmlns"));
}

BOOST_AUTO_TEST_CASE(path_steps_match_local_or_prefixed_names_and_stars) {
  BOOST_TEST(parse(invoices, at("/inv:invoices/inv:invoice")).size() == 2u);
  BOOST_TEST(parse(invoices, at("/*/invoice")).size() == 2u);
  // By default the children of the root element are the records: the header too.
  BOOST_TEST(parse(invoices).size() == 3u);
  BOOST_TEST(says(error_of(invoices, at("/invoices/bill")), "no element at /invoices/bill"));
  BOOST_TEST(says(error_of(invoices, at("/invoices/bill")), "root element is <inv:invoices>"));
}

BOOST_AUTO_TEST_CASE(a_record_with_only_text_is_an_object_with_its_text) {
  const auto rows = parse("<list><item>one</item><item>two</item></list>");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[1].value.at("#text") == "two");
}

BOOST_AUTO_TEST_CASE(unbalanced_xml_names_line_and_column) {
  const auto e = error_of(
      "<invoices>\n  <invoice><total>1</total></invoice>\n  <invoice>\n"
      "    <total>2</totl>\n  </invoice>\n</invoices>\n");
  BOOST_TEST(says(e, "malformed XML at line 4"));
  BOOST_TEST(says(e, "column"));
  BOOST_TEST(says(e, "totl"));
  BOOST_TEST(says(error_of("<invoices><invoice><a>1</a></invoice>"), "malformed XML"));
}

BOOST_AUTO_TEST_CASE(a_billion_laughs_entity_bomb_is_refused_quickly) {
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  doc += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    const std::string prev = "&lol" + std::to_string(i - 1) + ";";
    std::string value;
    for (int k = 0; k < 10; ++k) value += prev;
    doc += " <!ENTITY lol" + std::to_string(i) + " \"" + value + "\">\n";
  }
  doc += "]>\n<lolz><lol>&lol9;</lol></lolz>\n";
  const auto start = std::chrono::steady_clock::now();
  const auto e = error_of(doc);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  BOOST_TEST(took < 5000, "took " << took << " ms");
  BOOST_TEST(says(e, "entity"));
  BOOST_TEST(says(e, "near line"));
}

BOOST_AUTO_TEST_CASE(an_external_entity_is_refused_and_never_read) {
  weft::document::test::temp_dir dir("xxe");
  weft::document::test::write_file(dir / "secret.txt", "TOP SECRET");
  const std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n <!ENTITY xxe SYSTEM \"file://" +
                          (dir / "secret.txt").string() +
                          "\">\n]>\n<r><item><v>&xxe;</v></item></r>\n";
  try {
    const auto rows = parse(doc);
    BOOST_FAIL("no error; got " << (rows.empty() ? std::string("nothing") : rows[0].value.dump()));
  } catch (const data_error& e) {
    BOOST_TEST(std::string(e.what()).find("TOP SECRET") == std::string::npos);
    BOOST_TEST(says(e, "xxe"));
  }
}

BOOST_AUTO_TEST_CASE(the_document_encoding_is_honoured_and_can_be_named) {
  const std::string latin1 =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r><p><n>M\xE4rz</n></p></r>\n";
  BOOST_TEST(parse(latin1)[0].value.at("n") == "M\xC3\xA4rz");
  const std::string undeclared = "<r><p><n>\x80 5</n></p></r>\n";
  reader_options o = at();
  o.data.encoding = "windows-1252";
  BOOST_TEST(parse(undeclared, o)[0].value.at("n") == "\xE2\x82\xAC 5");
  BOOST_TEST(says(error_of(undeclared), "malformed XML"));
}

BOOST_AUTO_TEST_CASE(deep_records_are_refused) {
  reader_options o = at();
  o.max_depth = 5;
  std::string deep = "<r><p>";
  for (int i = 0; i < 10; ++i) deep += "<a>";
  for (int i = 0; i < 10; ++i) deep += "</a>";
  deep += "</p></r>";
  BOOST_TEST(says(error_of(deep, o), "nested deeper than 5"));
}

namespace {

/// A stream of `count` invoices, made on the fly.
class invoice_stream_buf : public std::streambuf {
 public:
  explicit invoice_stream_buf(std::int64_t count) : count_(count) {}
  std::uint64_t produced() const { return produced_; }

 protected:
  int_type underflow() override {
    chunk_.clear();
    if (n_ == 0) chunk_ = "<?xml version=\"1.0\"?>\n<invoices>\n";
    while (chunk_.size() < 64 * 1024 && n_ < count_) {
      ++n_;
      const auto id = std::to_string(n_);
      chunk_ += "  <invoice id=\"INV-" + id + "\"><customer><name>Customer " + id +
                "</name><street>1 Long Street</street><city>Springfield</city></customer>";
      for (int l = 0; l < 3; ++l)
        chunk_ += "<line sku=\"SKU-" + std::to_string(l) +
                  "\"><description>A widget of some kind</description><qty>2</qty>"
                  "<price>9.99</price></line>";
      chunk_ += "<total>59.94</total></invoice>\n";
    }
    if (n_ == count_ && !closed_ && chunk_.size() < 64 * 1024) {
      chunk_ += "</invoices>\n";
      closed_ = true;
    }
    if (chunk_.empty()) return traits_type::eof();
    produced_ += chunk_.size();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::int64_t count_;
  std::int64_t n_ = 0;
  bool closed_ = false;
  std::string chunk_;
  std::uint64_t produced_ = 0;
};

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_200_mb_document_streams_with_flat_memory) {
  // ~470 bytes per invoice: 430k invoices are about 205 MB, never held.
  const std::int64_t count = 430000;
  invoice_stream_buf buf(count);
  std::istream in(&buf);
  xml_reader reader(in, at("/invoices/invoice"));
  record r;
  std::int64_t n = 0;
  long rss_after_warmup = 0;
  while (reader.next(r)) {
    ++n;
    if (n == 1000) rss_after_warmup = peak_rss_kb();
  }
  BOOST_TEST(n == count);
  BOOST_TEST(r.value.at("@id") == "INV-" + std::to_string(count));
  BOOST_TEST(buf.produced() > 200u * 1000u * 1000u);
  const long growth = peak_rss_kb() - rss_after_warmup;
  BOOST_TEST_MESSAGE("read " << buf.produced() / 1000000 << " MB; peak RSS grew by " << growth
                             << " kB after the first 1000 records");
  BOOST_TEST(growth < 20 * 1024, "peak RSS grew by " << growth << " kB");
}
