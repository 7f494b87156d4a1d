#define BOOST_TEST_MODULE document_output_writers
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "actors/document/output_error.hpp"
#include "actors/document/output_writer.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::temp_dir;

namespace {

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_txt_document_past_the_page_limit_is_refused) {
  temp_dir dir("txtflood");
  output_options options;
  options.max_document_pages = 3;
  auto w = make_output_writer(output_format::txt, dir / "out.txt", options);
  w->add_document("a\fb\fc\n");
  BOOST_CHECK_THROW(w->add_document("a\fb\fc\fd\n"), output_error);
}

BOOST_AUTO_TEST_CASE(nothing_appears_under_the_final_name_before_finish) {
  temp_dir dir("atomic");
  for (auto format : {output_format::pdf, output_format::txt, output_format::html}) {
    const auto path = dir / ("out" + std::string(extension(format)));
    {
      auto w = make_output_writer(format, path);
      w->add_document("document\n");
      BOOST_CHECK(!std::filesystem::exists(path));
    }
    // Abandoned without finish(): no final file, no ".part" left behind.
    BOOST_CHECK(!std::filesystem::exists(path));
    BOOST_CHECK(!std::filesystem::exists(path.string() + ".part"));
    auto w = make_output_writer(format, path);
    w->add_document("document\n");
    w->finish();
    BOOST_CHECK(std::filesystem::exists(path));
    BOOST_CHECK(!std::filesystem::exists(path.string() + ".part"));
  }
}

BOOST_AUTO_TEST_CASE(a_missing_output_directory_is_an_output_error) {
  BOOST_CHECK_THROW(make_output_writer(output_format::txt, "/nonexistent/dir/out.txt"),
                    output_error);
  BOOST_CHECK_THROW(make_output_writer(output_format::pdf, "/nonexistent/dir/out.pdf"),
                    output_error);
}

BOOST_AUTO_TEST_CASE(txt_separates_documents_with_a_form_feed_line) {
  temp_dir dir("txt");
  auto w = make_output_writer(output_format::txt, dir / "out.txt");
  w->add_document("first\n");
  w->add_document("second");
  w->add_document("third\fpage two\n");
  const auto stats = w->finish();
  BOOST_CHECK_EQUAL(slurp(dir / "out.txt"), "first\n\f\nsecond\n\f\nthird\fpage two\n");
  BOOST_CHECK_EQUAL(stats.documents, 3u);
  BOOST_CHECK_EQUAL(stats.pages, 4u);
  BOOST_CHECK_EQUAL(stats.bytes, slurp(dir / "out.txt").size());
}

BOOST_AUTO_TEST_CASE(html_puts_each_document_raw_in_an_article) {
  temp_dir dir("html");
  output_options options;
  options.title = "Invoices <March>";
  auto w = make_output_writer(output_format::html, dir / "out.html", options);
  w->add_document("<h1>Invoice INV-000001</h1>\n<p>Smith &amp; Sons</p>");
  w->add_document("<h1>Invoice INV-000002</h1>");
  const auto stats = w->finish();
  BOOST_CHECK_EQUAL(stats.documents, 2u);
  const auto html = slurp(dir / "out.html");
  BOOST_CHECK(html.find("<!DOCTYPE html>\n<html lang=\"en\">") == 0);
  BOOST_CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  BOOST_CHECK(html.find("<title>Invoices &lt;March&gt;</title>") != std::string::npos);
  BOOST_CHECK_EQUAL(count(html, "<article class=\"document\""), 2u);
  BOOST_CHECK_EQUAL(count(html, "</article>"), 2u);
  BOOST_CHECK_EQUAL(count(html, "<h1>Invoice INV-000001</h1>\n<p>Smith &amp; Sons</p>\n"), 1u);
  BOOST_CHECK(html.size() >= 16 && html.compare(html.size() - 16, 16, "</body>\n</html>\n") == 0);
}
