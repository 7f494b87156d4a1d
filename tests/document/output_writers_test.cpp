#define BOOST_TEST_MODULE document_output_writers
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <sstream>

#include "actors/document/output_error.hpp"
#include "actors/document/output_writer.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::temp_dir;

namespace {

/// Runs a shell command; returns its exit status and standard output.
int run(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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

/// Checks the file with qpdf and returns its text from pdftotext.
std::string checked_pdf_text(const std::filesystem::path& pdf) {
  std::string out;
  BOOST_CHECK_MESSAGE(run("qpdf --check '" + pdf.string() + "'", out) == 0, out);
  BOOST_REQUIRE_EQUAL(run("pdftotext -enc UTF-8 '" + pdf.string() + "' -", out), 0);
  return out;
}

std::string long_document(const std::string& marker, int lines) {
  std::string text = "# " + marker + "\n";
  for (int i = 0; i < lines; ++i) {
    text += "Line " + std::to_string(i) +
            ": a sentence long enough to be wrapped at the right margin of an A4 page, because "
            "it goes on and on with words.\n";
  }
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_short_document_is_one_pdf_page) {
  temp_dir dir("pdf1");
  auto w = make_output_writer(output_format::pdf, dir / "one.pdf");
  w->add_document("# Invoice INV-000001\nTotal: 12.50 EUR\n");
  const auto stats = w->finish();
  BOOST_CHECK_EQUAL(stats.documents, 1u);
  BOOST_CHECK_EQUAL(stats.pages, 1u);
  BOOST_CHECK_EQUAL(stats.path, dir / "one.pdf");
  BOOST_CHECK_GT(stats.bytes, 0u);
  const auto text = checked_pdf_text(dir / "one.pdf");
  BOOST_CHECK_EQUAL(count(text, "Invoice INV-000001"), 1u);
  BOOST_CHECK_EQUAL(count(text, "page 1 of 1"), 1u);
}

BOOST_AUTO_TEST_CASE(an_uncompressed_pdf_is_valid_too) {
  temp_dir dir("pdfnc");
  output_options options;
  options.compress = false;
  auto w = make_output_writer(output_format::pdf, dir / "plain.pdf", options);
  w->add_document("Invoice INV-000009\n");
  w->finish();
  BOOST_CHECK_EQUAL(count(checked_pdf_text(dir / "plain.pdf"), "Invoice INV-000009"), 1u);
}

BOOST_AUTO_TEST_CASE(a_long_document_flows_over_several_pages_with_page_numbers) {
  temp_dir dir("pdf2");
  auto w = make_output_writer(output_format::pdf, dir / "long.pdf");
  w->add_document(long_document("Invoice INV-000002", 120));
  const auto stats = w->finish();
  BOOST_CHECK_GE(stats.pages, 3u);
  const auto text = checked_pdf_text(dir / "long.pdf");
  BOOST_CHECK_EQUAL(count(text, "Invoice INV-000002"), 1u);
  for (int i = 0; i < 120; ++i) {
    BOOST_CHECK_EQUAL(count(text, "Line " + std::to_string(i) + ": "), 1u);
  }
  BOOST_CHECK_EQUAL(count(text, "page 2 of " + std::to_string(stats.pages)), 1u);
}

BOOST_AUTO_TEST_CASE(each_document_starts_on_a_new_page_and_appears_once) {
  temp_dir dir("pdf3");
  auto w = make_output_writer(output_format::pdf, dir / "three.pdf");
  for (int i = 1; i <= 3; ++i) w->add_document("Invoice INV-00000" + std::to_string(i) + "\n");
  const auto stats = w->finish();
  BOOST_CHECK_EQUAL(stats.documents, 3u);
  BOOST_CHECK_GE(stats.pages, 3u);
  const auto text = checked_pdf_text(dir / "three.pdf");
  for (int i = 1; i <= 3; ++i) {
    BOOST_CHECK_EQUAL(count(text, "Invoice INV-00000" + std::to_string(i)), 1u);
  }
  // Page numbers count per document.
  BOOST_CHECK_EQUAL(count(text, "page 1 of 1"), 3u);
}

BOOST_AUTO_TEST_CASE(a_form_feed_forces_a_page_break) {
  temp_dir dir("pdfff");
  auto w = make_output_writer(output_format::pdf, dir / "ff.pdf");
  w->add_document("first page\n\fsecond page\n");
  BOOST_CHECK_EQUAL(w->finish().pages, 2u);
  const auto text = checked_pdf_text(dir / "ff.pdf");
  BOOST_CHECK_EQUAL(count(text, "page 2 of 2"), 1u);
}

BOOST_AUTO_TEST_CASE(a_form_feed_flood_is_refused_at_the_page_limit) {
  // Form feeds in one 40 KB record made 20,001 pages before there was a limit.
  temp_dir dir("pdfflood");
  output_options options;
  options.max_document_pages = 10000;
  auto w = make_output_writer(output_format::pdf, dir / "flood.pdf", options);
  std::string flood;
  for (int i = 0; i < 20000; ++i) flood += "x\f";
  BOOST_CHECK_EXCEPTION(w->add_document(flood), output_error, [](const output_error& e) {
    return std::string{e.what()} ==
           "the document fills more than 10000 pages (jobs.max_document_pages)";
  });
  // At the limit is still fine.
  std::string at_limit;
  for (int i = 0; i < 9; ++i) at_limit += "x\f";
  options.max_document_pages = 10;
  auto ok = make_output_writer(output_format::pdf, dir / "ok.pdf", options);
  ok->add_document(at_limit + "last");
  BOOST_CHECK_EQUAL(ok->finish().pages, 10u);
}

BOOST_AUTO_TEST_CASE(a_txt_document_past_the_page_limit_is_refused) {
  temp_dir dir("txtflood");
  output_options options;
  options.max_document_pages = 3;
  auto w = make_output_writer(output_format::txt, dir / "out.txt", options);
  w->add_document("a\fb\fc\n");
  BOOST_CHECK_THROW(w->add_document("a\fb\fc\fd\n"), output_error);
}

BOOST_AUTO_TEST_CASE(pdf_text_is_converted_to_winansi_with_question_marks_for_the_rest) {
  temp_dir dir("pdfenc");
  auto w = make_output_writer(output_format::pdf, dir / "enc.pdf");
  w->add_document(
      "Z\xC3\xBCrich \xE2\x82\xAC 5 \xE2\x80\x9Cquoted\xE2\x80\x9D \xC5\x81\xC3\xB3"
      "d\xC5\xBA\n");
  w->finish();
  const auto text = checked_pdf_text(dir / "enc.pdf");
  BOOST_CHECK_EQUAL(count(text, "Z\xC3\xBCrich \xE2\x82\xAC 5"), 1u);
  BOOST_CHECK_EQUAL(count(text, "\xE2\x80\x9Cquoted\xE2\x80\x9D"), 1u);
  BOOST_CHECK_EQUAL(count(text,
                          "?\xC3\xB3"
                          "d?"),
                    1u);  // ó is in WinAnsi; Ł and ź are not
}

BOOST_AUTO_TEST_CASE(headings_use_the_bold_font) {
  temp_dir dir("pdffont");
  output_options options;
  options.font = "Courier";
  auto w = make_output_writer(output_format::pdf, dir / "fonts.pdf", options);
  w->add_document("# Heading\nbody\n");
  w->finish();
  std::string out;
  BOOST_REQUIRE_EQUAL(run("pdffonts '" + (dir / "fonts.pdf").string() + "'", out), 0);
  BOOST_CHECK(out.find("Courier-Bold") != std::string::npos);
  BOOST_CHECK(out.find("Courier ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_font_is_an_output_error) {
  temp_dir dir("pdfbad");
  output_options options;
  options.font = "Comic Sans";
  BOOST_CHECK_THROW(make_output_writer(output_format::pdf, dir / "x.pdf", options), output_error);
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
  auto w = make_output_writer(output_format::pdf, "/nonexistent/dir/out.pdf");
  w->add_document("x");
  BOOST_CHECK_THROW(w->finish(), output_error);
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
