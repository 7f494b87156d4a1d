#define BOOST_TEST_MODULE document_pdf_layout
// The PDF output's layout engine on real output: qpdf, pdffonts, pdftotext (with -bbox),
// pdfimages read the files it writes.
#include <cairo.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "actors/document/layout/document_layout.hpp"
#include "actors/document/layout/font_dirs.hpp"
#include "actors/document/layout/layout_error.hpp"
#include "actors/document/output_error.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/pdf_writer.hpp"
#include "actors/document/template_engine.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::temp_dir;

namespace {

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
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

/// qpdf --check passes and every font is embedded and subset (pdffonts).
void check_structure(const std::filesystem::path& pdf) {
  std::string out;
  BOOST_CHECK_MESSAGE(run("qpdf --check '" + pdf.string() + "'", out) == 0, out);
  BOOST_REQUIRE_EQUAL(run("pdffonts '" + pdf.string() + "'", out), 0);
  std::istringstream lines(out);
  std::string line;
  int fonts = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("name", 0) == 0 || line.rfind("----", 0) == 0 || line.empty()) continue;
    ++fonts;
    // name+prefix, then "... emb sub uni object ID": the columns read "yes yes yes"
    BOOST_CHECK_MESSAGE(line.find("yes yes") != std::string::npos, "not embedded+subset: " << line);
    BOOST_CHECK_MESSAGE(line.find('+') == 6, "no subset prefix: " << line);
  }
  BOOST_CHECK_GT(fonts, 0);
}

std::string page_text(const std::filesystem::path& pdf, int page) {
  std::string out;
  const std::string p = std::to_string(page);
  BOOST_REQUIRE_EQUAL(
      run("pdftotext -enc UTF-8 -layout -f " + p + " -l " + p + " '" + pdf.string() + "' -", out),
      0);
  return out;
}

std::string all_text(const std::filesystem::path& pdf) {
  std::string out;
  BOOST_REQUIRE_EQUAL(run("pdftotext -enc UTF-8 '" + pdf.string() + "' -", out), 0);
  return out;
}

int page_count(const std::filesystem::path& pdf) {
  std::string out;
  BOOST_REQUIRE_EQUAL(run("pdfinfo '" + pdf.string() + "'", out), 0);
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(out, m, std::regex("Pages:\\s+(\\d+)")));
  return std::stoi(m[1].str());
}

const std::string page_css =
    "<style>@page { size: A4; margin: 20mm 15mm 25mm 15mm; }"
    " body { font-family: 'DejaVu Sans'; font-size: 9pt; }"
    " th { background: #eee; text-align: left; } td, th { border-bottom: 0.5pt solid #999; }"
    "</style>";
const std::string footer =
    "<footer>Page <page-number></page-number> of <page-count></page-count></footer>";

std::string table_document(const std::string& id, int rows) {
  std::string html = "<html><head><title>" + id + "</title>" + page_css + "</head><body>" + footer +
                     "<h1>" + id +
                     "</h1><table style='width: 100%'><thead><tr><th>Item</th><th>Description</th>"
                     "<th>Amount</th></tr></thead><tbody>";
  for (int i = 0; i < rows; ++i) {
    const std::string n = std::to_string(i);
    // every 7th row wraps over three lines: a row split would show on two pages
    std::string desc = i % 7 == 0 ? "long description of row " + n +
                                        " that wraps over several lines in its narrow column, " +
                                        "word after word after word, until it ends here " + n
                                  : "short " + n;
    html += "<tr><td style='width: 20mm'>R" + n + "X</td><td style='width: 100mm'>" + desc +
            "</td><td>A" + n + "Z</td></tr>";
  }
  html += "</tbody><tfoot><tr><td colspan='2'>Total</td><td>TOTALSUM</td></tr></tfoot></table>";
  html += "</body></html>";
  return html;
}

std::unique_ptr<output_writer> writer(const std::filesystem::path& path,
                                      const output_options& o = {}) {
  return make_output_writer(output_format::pdf, path, o);
}

std::string error_of(const std::string& html, const output_options& o = {}) {
  temp_dir dir("pdfbad");
  auto w = writer(dir / "bad.pdf", o);
  try {
    w->add_document(html);
  } catch (const output_error& e) {
    return e.what();
  }
  BOOST_FAIL("no output_error");
  return "";
}

std::string warnings_of(const std::string& html) {
  temp_dir dir("pdfwarn");
  auto w = writer(dir / "w.pdf");
  w->add_document(html);
  std::string all;
  for (const auto& x : w->warnings()) all += x + "\n";
  return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_short_document_is_one_page_with_its_footer_and_fonts_embedded_and_subset) {
  temp_dir dir("pdf1");
  auto w = writer(dir / "one.pdf");
  w->add_document("<html><head>" + page_css + "</head><body>" + footer +
                  "<h1>Invoice INV-000001</h1><p>Total: <b>12.50</b> EUR</p></body></html>");
  const auto stats = w->finish();
  BOOST_CHECK_EQUAL(stats.documents, 1u);
  BOOST_CHECK_EQUAL(stats.pages, 1u);
  BOOST_CHECK(w->warnings().empty());
  check_structure(dir / "one.pdf");
  const auto text = all_text(dir / "one.pdf");
  BOOST_CHECK_EQUAL(count(text, "Invoice INV-000001"), 1u);
  BOOST_CHECK_EQUAL(count(text, "Page 1 of 1"), 1u);
}

BOOST_AUTO_TEST_CASE(a_400_row_table_repeats_its_header_and_never_splits_a_row) {
  temp_dir dir("pdf400");
  auto w = writer(dir / "t.pdf");
  w->add_document(table_document("TABLE400", 400));
  const auto stats = w->finish();
  check_structure(dir / "t.pdf");
  const int pages = page_count(dir / "t.pdf");
  BOOST_CHECK_EQUAL(static_cast<std::uint64_t>(pages), stats.pages);
  BOOST_CHECK_GE(pages, 8);
  std::map<std::string, int> rows_seen;
  for (int p = 1; p <= pages; ++p) {
    const auto text = page_text(dir / "t.pdf", p);
    BOOST_TEST_CONTEXT("page " << p) {
      BOOST_CHECK(std::regex_search(text, std::regex("Item\\s+Description\\s+Amount")));
      BOOST_CHECK_EQUAL(count(text, "Page " + std::to_string(p) + " of " + std::to_string(pages)),
                        1u);
    }
  }
  const auto text = all_text(dir / "t.pdf");
  for (int i = 0; i < 400; ++i) {
    const std::string n = std::to_string(i);
    BOOST_CHECK_EQUAL(count(text, "R" + n + "X"), 1u);
    BOOST_CHECK_EQUAL(count(text, "A" + n + "Z"), 1u);
  }
  BOOST_CHECK_EQUAL(count(text, "TOTALSUM"), 1u);
  // No row split: every word of a row is on the row's page (pdftotext -bbox), and the tfoot is on
  // the last page.
  std::string bbox;
  BOOST_REQUIRE_EQUAL(run("pdftotext -bbox '" + (dir / "t.pdf").string() + "' -", bbox), 0);
  std::istringstream in(bbox);
  std::string line;
  int page = 0, current_row = -1, row_page = 0, split = 0;
  const std::regex word_re(R"(<word [^>]*>([^<]*)</word>)");
  const std::regex row_re(R"(^R(\d+)X$)");
  while (std::getline(in, line)) {
    if (line.find("<page ") != std::string::npos) ++page;
    std::smatch m;
    if (!std::regex_search(line, m, word_re)) continue;
    const std::string word = m[1].str();
    std::smatch r;
    if (std::regex_match(word, r, row_re)) {
      current_row = std::stoi(r[1].str());
      row_page = page;
      continue;
    }
    if (current_row >= 0 && word.find("here") == 0 && page != row_page) ++split;
    if (word == "TOTALSUM") BOOST_CHECK_EQUAL(page, pages);
  }
  BOOST_CHECK_EQUAL(split, 0);
}

BOOST_AUTO_TEST_CASE(page_x_of_y_counts_per_document_and_each_document_starts_a_page) {
  temp_dir dir("pdfn");
  auto w = writer(dir / "docs.pdf");
  const int rows[] = {10, 150, 5, 300};
  for (int r : rows) w->add_document(table_document("DOC" + std::to_string(r), r));
  const auto stats = w->finish();
  check_structure(dir / "docs.pdf");
  BOOST_CHECK_EQUAL(stats.documents, 4u);
  // find each document's first page by its heading, then check its page numbers
  const int pages = page_count(dir / "docs.pdf");
  std::vector<int> starts;
  for (int p = 1; p <= pages; ++p)
    if (std::regex_search(page_text(dir / "docs.pdf", p), std::regex("DOC\\d+\\n")))
      starts.push_back(p);
  BOOST_REQUIRE_EQUAL(starts.size(), 4u);
  starts.push_back(pages + 1);
  for (std::size_t d = 0; d < 4; ++d) {
    const int n = starts[d + 1] - starts[d];
    for (int i = 0; i < n; ++i)
      BOOST_CHECK_EQUAL(count(page_text(dir / "docs.pdf", starts[d] + i),
                              "Page " + std::to_string(i + 1) + " of " + std::to_string(n)),
                        1u);
  }
  // one outline entry per document, named by its <title>
  std::string out;
  BOOST_REQUIRE_EQUAL(run("qpdf --show-npages '" + (dir / "docs.pdf").string() + "'", out), 0);
  std::string raw;
  BOOST_REQUIRE_EQUAL(
      run("qpdf --qdf --object-streams=disable '" + (dir / "docs.pdf").string() + "' -", raw), 0);
  for (int r : rows) BOOST_CHECK_EQUAL(count(raw, "/Title (DOC" + std::to_string(r) + ")"), 1u);
}

BOOST_AUTO_TEST_CASE(cjk_and_arabic_round_trip_through_pdftotext) {
  temp_dir dir("pdfscripts");
  auto w = writer(dir / "s.pdf");
  const std::string japanese = "請求書番号 東京都渋谷区";
  const std::string arabic = "فاتورة رقم";
  const std::string greek = "Τιμολόγιο Ελλάδα";
  const std::string polish = "Łódź Zürich";
  w->add_document("<html><body style=\"font-family: 'DejaVu Sans', 'Noto Sans CJK JP'\"><p>" +
                  japanese + "</p><p style='font-family: Amiri'>" + arabic + "</p><p>" + greek +
                  "</p><p>" + polish + "</p></body></html>");
  w->finish();
  check_structure(dir / "s.pdf");
  const auto text = all_text(dir / "s.pdf");
  BOOST_CHECK_EQUAL(count(text, japanese), 1u);
  BOOST_CHECK_EQUAL(count(text, arabic), 1u);
  BOOST_CHECK_EQUAL(count(text, greek), 1u);
  BOOST_CHECK_EQUAL(count(text, polish), 1u);
}

BOOST_AUTO_TEST_CASE(page_breaks_and_break_inside_avoid) {
  temp_dir dir("pdfbreak");
  auto w = writer(dir / "b.pdf");
  std::string filler;
  for (int i = 0; i < 52; ++i)
    filler += "<p style='margin: 0'>filler " + std::to_string(i) + "</p>";
  std::string keep = "<div style='break-inside: avoid'>";
  for (int i = 0; i < 12; ++i) keep += "<p style='margin: 0'>KEEP" + std::to_string(i) + "</p>";
  keep += "</div>";
  w->add_document(
      "<html><body><p>first</p><div style='page-break-before: always'>second</div>"
      "<div style='page-break-after: always'>third</div><p>fourth</p>" +
      filler + keep + "</body></html>");
  w->finish();
  BOOST_CHECK(page_text(dir / "b.pdf", 1).find("first") != std::string::npos);
  BOOST_CHECK(page_text(dir / "b.pdf", 2).find("second") != std::string::npos);
  BOOST_CHECK(page_text(dir / "b.pdf", 2).find("third") != std::string::npos);
  BOOST_CHECK(page_text(dir / "b.pdf", 3).find("fourth") != std::string::npos);
  // the kept block moved to the next page as a whole
  int kept_page = 0;
  for (int p = 3; p <= page_count(dir / "b.pdf"); ++p) {
    const auto t = page_text(dir / "b.pdf", p);
    if (t.find("KEEP0") != std::string::npos) {
      kept_page = p;
      BOOST_CHECK(t.find("KEEP11") != std::string::npos);
    }
  }
  BOOST_CHECK_GT(kept_page, 3);
}

BOOST_AUTO_TEST_CASE(outside_the_subset_is_a_warning_with_its_line_once) {
  const auto w = warnings_of(
      "<html><head><style>\n"
      "p { colour: red; }\n"
      "div > p { color: red; }\n"
      "h1 { font-size: huge; }\n"
      "</style></head><body>\n"
      "<blink>x</blink> <blink>y</blink>\n"
      "<p style=\"width: 12parsecs\">z</p>\n"
      "<p style=\"font-family: NoSuchFontFamily\">z</p>\n"
      "</body></html>");
  BOOST_TEST_MESSAGE(w);
  BOOST_CHECK_EQUAL(count(w, "line 2:5: CSS: property \"colour\" is not supported"), 1u);
  BOOST_CHECK_EQUAL(count(w, "line 3:1: CSS: selector \"div > p\" is not supported"), 1u);
  BOOST_CHECK_EQUAL(count(w, "line 4:6: CSS: invalid font-size value \"huge\""), 1u);
  BOOST_CHECK_EQUAL(count(w, "line 6:1: <blink> is not in the supported subset"), 1u);
  BOOST_CHECK_EQUAL(count(w, "<blink>"), 1u);  // once, not per element
  BOOST_CHECK_EQUAL(count(w, "line 7:11: CSS: invalid width value \"12parsecs\""), 1u);
  BOOST_CHECK_EQUAL(count(w, "font family \"NoSuchFontFamily\" is not installed"), 1u);
}

BOOST_AUTO_TEST_CASE(strict_mode_makes_the_first_warning_an_error) {
  output_options o;
  o.strict = true;
  const auto e = error_of("<html><body>\n<marquee>x</marquee></body></html>", o);
  BOOST_CHECK_EQUAL(e,
                    "line 2:1: <marquee> is not in the supported subset; its content is laid "
                    "out as a <span>");
}

BOOST_AUTO_TEST_CASE(images_are_checked_and_named_with_their_line) {
  temp_dir res("pdfres");
  output_options o;
  o.resources_dir = res.path();
  o.max_image_bytes = 1024 * 1024;
  {
    std::ofstream(res / "not-an-image.png") << "hello, I am text";
    std::ofstream big(res / "big.png", std::ios::binary);
    big << std::string(20 * 1024 * 1024, '\0');
  }
  auto e = error_of("<html><body>\n\n<img src=\"logo.png\"></body></html>", o);
  BOOST_CHECK_EQUAL(e, "line 3:1: <img src=\"logo.png\">: no such file in the job's resources");
  e = error_of("<html><body>\n<p>x</p><img src=\"not-an-image.png\"></body></html>", o);
  BOOST_CHECK_EQUAL(e, "line 2:9: <img src=\"not-an-image.png\">: not a PNG or JPEG image");
  e = error_of("<html><body><img src=\"big.png\"></body></html>", o);
  BOOST_CHECK_EQUAL(e,
                    "line 1:13: <img src=\"big.png\">: the image has 20971520 bytes, more than "
                    "1048576 (jobs.max_image_bytes)");
  e = error_of("<html><body><img src=\"../../etc/passwd\"></body></html>", o);
  BOOST_CHECK(e.find("leaves the job's resources directory") != std::string::npos);
  e = error_of("<html><body><img src=\"/etc/passwd\"></body></html>", o);
  BOOST_CHECK(e.find("only paths relative") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_image_is_embedded_once_per_file_and_a_jpeg_passes_through) {
  temp_dir res("pdfimg");
  std::string out;
  // a PNG drawn by Cairo
  {
    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 64, 32);
    cairo_t* cr = cairo_create(img);
    cairo_set_source_rgb(cr, 0.8, 0.1, 0.1);
    cairo_paint(cr);
    cairo_destroy(cr);
    BOOST_REQUIRE_EQUAL(cairo_surface_write_to_png(img, (res / "logo.png").c_str()),
                        CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(img);
  }
  {
    // a JPEG from poppler: a one-page PDF rasterised by pdftoppm -jpeg
    auto w = writer(res / "src.pdf");
    w->add_document("<html><body><h1>JPEG</h1></body></html>");
    w->finish();
  }
  BOOST_REQUIRE_EQUAL(run("pdftoppm -jpeg -r 20 -singlefile '" + (res / "src.pdf").string() +
                              "' '" + (res / "photo").string() + "'",
                          out),
                      0);
  output_options o;
  o.resources_dir = res.path();
  temp_dir dir("pdfimgout");
  auto w = writer(dir / "i.pdf", o);
  const std::string jpeg = "<img src='photo.jpg' style='width: 20mm'>";
  for (int i = 0; i < 5; ++i)
    w->add_document("<html><body><img src='logo.png' style='width: 30mm'>" + jpeg +
                    "<p>doc</p></body></html>");
  w->finish();
  check_structure(dir / "i.pdf");
  BOOST_REQUIRE_EQUAL(run("pdfimages -list '" + (dir / "i.pdf").string() + "'", out), 0);
  BOOST_TEST_MESSAGE(out);
  std::set<std::string> objects;
  std::istringstream lines(out);
  std::string line;
  int uses = 0, jpegs = 0;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::vector<std::string> col;
    std::string c;
    while (f >> c) col.push_back(c);
    if (col.size() < 12 || col[0] == "page" || col[0].rfind("---", 0) == 0) continue;
    if (col[2] != "image") continue;
    ++uses;
    objects.insert(col[10]);
    if (col[8] == "jpeg") ++jpegs;
  }
  BOOST_CHECK_EQUAL(uses, 10);
  BOOST_CHECK_EQUAL(objects.size(), 2u);  // each image once in the file
  BOOST_CHECK_EQUAL(jpegs, 5);
}

BOOST_AUTO_TEST_CASE(a_page_break_flood_is_refused_at_the_page_limit) {
  output_options o;
  o.max_document_pages = 100;
  std::string flood = "<html><body>";
  for (int i = 0; i < 500; ++i) flood += "<p style='page-break-before: always'>x</p>";
  BOOST_CHECK_EQUAL(error_of(flood + "</body></html>", o),
                    "the document fills more than 100 pages (jobs.max_document_pages)");
}

BOOST_AUTO_TEST_CASE(every_barcode_type_decodes_to_the_value_and_a_bad_value_names_its_line) {
  temp_dir dir("pdfcodes");
  auto w = writer(dir / "c.pdf");
  w->add_document(
      "<html><body>"
      "<barcode type='qrcode' value='BCD-QR-VALUE-42' style='width: 40mm'></barcode>"
      "<barcode type='code128' value='CODE128-42' style='width: 80mm'></barcode>"
      "<barcode type='ean13' value='4006381333931' style='width: 60mm'></barcode>"
      "</body></html>");
  w->finish();
  check_structure(dir / "c.pdf");
  std::string out;
  BOOST_REQUIRE_EQUAL(run("pdftoppm -r 200 -png -singlefile '" + (dir / "c.pdf").string() + "' '" +
                              (dir / "c").string() + "'",
                          out),
                      0);
  BOOST_REQUIRE_EQUAL(run("zbarimg -q '" + (dir / "c.png").string() + "'", out), 0);
  BOOST_TEST_MESSAGE(out);
  BOOST_CHECK_EQUAL(count(out, "QR-Code:BCD-QR-VALUE-42\n"), 1u);
  BOOST_CHECK_EQUAL(count(out, "CODE-128:CODE128-42\n"), 1u);
  BOOST_CHECK_EQUAL(count(out, "EAN-13:4006381333931\n"), 1u);
  const auto e =
      error_of("<html><body>\n<barcode type='ean13' value='12AB'></barcode></body></html>");
  BOOST_CHECK_MESSAGE(e.rfind("line 2:1: <barcode type=\"ean13\">: ", 0) == 0, e);
  BOOST_CHECK_EQUAL(
      error_of("<html><body><barcode type='aztec' value='x'></barcode></body></html>"),
      "line 1:13: <barcode type=\"aztec\">: unknown type (use qrcode, code128, "
      "datamatrix, ean13 or pdf417)");
}

BOOST_AUTO_TEST_CASE(elements_nested_too_deep_are_an_error_not_a_crash) {
  std::string deep = "<html><body>";
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  const auto e = error_of(deep + "x</body></html>");
  BOOST_CHECK_MESSAGE(
      std::regex_match(e, std::regex("line 1:\\d+: elements nest deeper than 256 levels")), e);
}

namespace {

/// A PDF file of `records` merged from the template `tmpl` (written as a file, checked first as
/// the engines do); returns the warnings, one a line.
std::string job_warnings_of(const std::string& tmpl, const std::vector<nlohmann::json>& records,
                            output_options o = {}, std::size_t* dropped = nullptr) {
  temp_dir dir("pdftmpl");
  const auto path = dir / "t.mustache";
  { std::ofstream(path, std::ios::binary) << tmpl; }
  template_engine engine(escape_mode::html);
  auto compiled = engine.compile_file(path);
  o.template_path = path;
  auto w = writer(dir / "t.pdf", o);
  std::int64_t n = 0;
  for (const auto& r : records) {
    w->next_record(++n);
    w->add_document(compiled.render(r));
  }
  w->finish();
  if (dropped) *dropped = w->dropped_warnings();
  std::string all;
  for (const auto& x : w->warnings()) all += x + "\n";
  return all;
}

// A multi-line section before the unsupported property: in the merged document of a record
// with three items the property sits 6 lines lower; the warning names the template's line.
const char* const sectioned_template =
    "<html><body>\n"                                  // 1
    "<table>\n"                                       // 2
    "{{#items}}\n"                                    // 3
    "<tr>\n"                                          // 4
    "<td>{{name}}</td>\n"                             // 5
    "</tr>\n"                                         // 6
    "{{/items}}\n"                                    // 7
    "</table>\n"                                      // 8
    "<p style=\"colour: red\">total {{total}}</p>\n"  // 9
    "<p style=\"width: {{w}}\">{{{note}}}</p>\n"      // 10
    "</body></html>\n";

}  // namespace

BOOST_AUTO_TEST_CASE(warnings_name_the_template_line_not_the_merged_documents) {
  const nlohmann::json rec = {{"items", {{{"name", "a"}}, {{"name", "b"}}, {{"name", "c"}}}},
                              {"total", "9"},
                              {"w", "30mm"},
                              {"note", "fine"}};
  nlohmann::json bad = rec;
  bad["w"] = "12parsecs";                            // a bad value that only the data makes
  bad["note"] = "<blink>raw from the data</blink>";  // {{{note}}}: HTML from a record
  const auto w = job_warnings_of(sectioned_template, {rec, rec, bad});
  BOOST_TEST_MESSAGE(w);
  // The template's line 9 (column of the declaration), once, though every record has it and
  // its merged line is 18 in these records.
  BOOST_CHECK_EQUAL(count(w, "template line 9:11: CSS: property \"colour\" is not supported"), 1u);
  BOOST_CHECK_EQUAL(count(w, "colour"), 1u);
  BOOST_CHECK_EQUAL(count(w, "line 18:"), 0u);
  // What only a record's data causes is named by record, in its merged document.
  BOOST_CHECK_EQUAL(count(w, "record 3: line "), 2u);
  BOOST_CHECK_EQUAL(count(w, "of its merged document: CSS: invalid width value \"12parsecs\""), 1u);
  BOOST_CHECK_EQUAL(count(w, "of its merged document: <blink> is not in the supported subset"), 1u);
  // The blanked {{w}} itself is not a warning of the template.
  BOOST_CHECK_EQUAL(count(w, "template line 10"), 0u);
}

BOOST_AUTO_TEST_CASE(strict_fails_on_the_template_line_before_any_document) {
  temp_dir dir("pdfstrict");
  const auto path = dir / "t.mustache";
  { std::ofstream(path, std::ios::binary) << sectioned_template; }
  output_options o;
  o.strict = true;
  o.template_path = path;
  try {
    writer(dir / "t.pdf", o);
    BOOST_FAIL("no output_error");
  } catch (const output_error& e) {
    BOOST_CHECK_EQUAL(std::string(e.what()),
                      "template line 9:11: CSS: property \"colour\" is not supported; ignored "
                      "(strict: outside the template subset)");
  }
}

BOOST_AUTO_TEST_CASE(warnings_from_a_partial_name_the_partial_and_its_line) {
  temp_dir dir("pdfpartial");
  const auto path = dir / "t.mustache";
  {
    std::ofstream(path, std::ios::binary) << "<html><body>\n"
                                             "<table>\n"
                                             "{{#items}}{{> row}}{{/items}}\n"
                                             "</table>\n"
                                             "{{> note}}\n"
                                             "</body></html>\n";
    // rows: a cell's style attribute (kept: checked inside a table row) and an element
    std::ofstream(dir / "row.mustache", std::ios::binary)
        << "<tr>\n"
           "  <td style=\"colour: red\">{{name}}</td>\n"
           "  <td><blink>{{qty}}</blink></td>\n"
           "</tr>\n";
    // a partial of a partial, and a value only the data makes (left to the documents)
    std::ofstream(dir / "note.mustache", std::ios::binary)
        << "<p>{{> inner}}</p>\n<p style=\"width: {{w}}\">n</p>\n";
    std::ofstream(dir / "inner.mustache", std::ios::binary) << "\n\n<marquee>x</marquee>\n";
  }
  template_engine engine(escape_mode::html);
  auto compiled = engine.compile_file(path);
  output_options o;
  o.template_path = path;
  auto w = writer(dir / "t.pdf", o);
  const nlohmann::json rec = {
      {"items", {{{"name", "a"}, {"qty", "1"}}, {{"name", "b"}, {"qty", "2"}}}}, {"w", "9parsecs"}};
  for (int r = 1; r <= 2; ++r) {
    w->next_record(r);
    w->add_document(compiled.render(rec));
  }
  w->finish();
  std::string all;
  for (const auto& x : w->warnings()) all += x + "\n";
  BOOST_TEST_MESSAGE(all);
  BOOST_CHECK_EQUAL(
      count(all, "partial \"row\" line 2:14: CSS: property \"colour\" is not supported"), 1u);
  BOOST_CHECK_EQUAL(count(all, "partial \"row\" line 3:7: <blink>"), 1u);
  BOOST_CHECK_EQUAL(count(all, "partial \"inner\" line 3:1: <marquee>"), 1u);
  // once each, never again in the merged documents
  BOOST_CHECK_EQUAL(count(all, "colour"), 1u);
  BOOST_CHECK_EQUAL(count(all, "<blink>"), 1u);
  BOOST_CHECK_EQUAL(count(all, "<marquee>"), 1u);
  BOOST_CHECK_EQUAL(count(all, "of its merged document: <"), 0u);
  // a value from the data stays the documents' (the first record that has it)
  BOOST_CHECK_EQUAL(count(all, "record 1: line "), 1u);
  BOOST_CHECK_EQUAL(count(all, "invalid width value \"9parsecs\""), 1u);
  // strict: the first one is an error naming the partial
  o.strict = true;
  try {
    writer(dir / "s.pdf", o);
    BOOST_FAIL("no output_error");
  } catch (const output_error& e) {
    BOOST_CHECK_MESSAGE(std::string(e.what()).find("partial \"row\" line 2:14:") == 0, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_missing_or_bad_resource_the_template_names_fails_on_its_line) {
  temp_dir dir("pdftmplres");
  temp_dir res("pdftmplresdir");
  { std::ofstream(res / "text.png") << "hello, I am text"; }
  output_options o;
  o.resources_dir = res.path();
  o.max_image_bytes = 1024 * 1024;
  // The writer checks the template before any document, strict or not: the error names the
  // template's (or the partial's) line and column, not a merged document's.
  const auto error_of_template = [&](const std::string& tmpl, bool strict = false) {
    const auto path = dir / "t.mustache";
    { std::ofstream(path, std::ios::binary) << tmpl; }
    auto opts = o;
    opts.template_path = path;
    opts.strict = strict;
    try {
      writer(dir / "t.pdf", opts);
    } catch (const output_error& e) {
      return std::string(e.what());
    }
    return std::string{"no error"};
  };
  const std::string head =
      "<html><body>\n<h1>{{title}}</h1>\n{{#items}}<p>{{name}}</p>{{/items}}\n";
  BOOST_CHECK_EQUAL(error_of_template(head + "  <img src=\"logo.png\">\n</body></html>"),
                    "template line 4:3: <img src=\"logo.png\">: no such file in the job's "
                    "resources");
  BOOST_CHECK_EQUAL(error_of_template(head + "<img src=\"text.png\"></body></html>", true),
                    "template line 4:1: <img src=\"text.png\">: not a PNG or JPEG image");
  BOOST_CHECK_EQUAL(error_of_template(head + "<img></body></html>"),
                    "template line 4:1: <img> without a src attribute");
  const std::string bad_code = error_of_template(
      head + "<p>\n <barcode type=\"ean13\" value=\"12AB\"></barcode></p></body></html>");
  BOOST_CHECK_MESSAGE(bad_code.find("template line 5:2: ") == 0, bad_code);
  BOOST_CHECK_MESSAGE(bad_code.find("ean13") != std::string::npos, bad_code);
  // in a partial: its own name and line
  {
    std::ofstream(dir / "footer.mustache", std::ios::binary)
        << "<p>x</p>\n<img src=\"gone.jpg\">\n";
  }
  BOOST_CHECK_EQUAL(error_of_template(head + "{{> footer}}</body></html>"),
                    "partial \"footer\" line 2:1: <img src=\"gone.jpg\">: no such file in the "
                    "job's resources");
  // made per record, so not checked as written: a src chosen by a section, attributes from
  // the data, a barcode value inside a section
  BOOST_CHECK_EQUAL(
      error_of_template(head + "<img src=\"{{#dark}}dark.png{{/dark}}{{^dark}}one.png{{/dark}}\">"
                               "<img {{{attrs}}}>"
                               "<barcode type=\"ean13\" value=\"{{#a}}12AB{{/a}}\"></barcode>"
                               "</body></html>"),
      "no error");
  // a src or value the data makes is the documents' to check; good static ones pass
  {
    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 4, 4);
    BOOST_REQUIRE_EQUAL(cairo_surface_write_to_png(img, (res / "one.png").c_str()),
                        CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(img);
  }
  BOOST_CHECK_EQUAL(
      error_of_template(head +
                        "<img src=\"{{logo}}\"><img src=\"one.png\">"
                        "<barcode type=\"qrcode\" value=\"{{code}}\"></barcode>"
                        "<barcode type=\"code128\" value=\"ABC-1\"></barcode></body></html>"),
      "no error");
}

BOOST_AUTO_TEST_CASE(warnings_are_capped_by_max_warnings_and_the_rest_counted) {
  std::string tmpl = "<html><body>\n";
  for (int i = 0; i < 12; ++i) tmpl += "<p style=\"prop" + std::to_string(i) + ": 1\">x</p>\n";
  tmpl += "</body></html>\n";
  output_options o;
  o.max_warnings = 5;
  std::size_t dropped = 0;
  const auto w = job_warnings_of(tmpl, {nlohmann::json::object()}, o, &dropped);
  BOOST_CHECK_EQUAL(count(w, "\n"), 5u);
  BOOST_CHECK_EQUAL(dropped, 7u);
}

BOOST_AUTO_TEST_CASE(blanking_keeps_every_line_and_column) {
  const std::string t = "a{{x}}b\n{{#s}}\n{{! two\nlines }}c{{{raw}}}{{/s}}\n";
  const auto b = blank_template_tags(t);
  BOOST_REQUIRE_EQUAL(b.size(), t.size());
  // values: the marker, then spaces; sections and comments: tabs (whitespace to HTML and CSS)
  BOOST_CHECK_EQUAL(b,
                    "a\xEE\x80\x80  b\n\t\t\t\t\t\t\n\t\t\t\t\t\t\t\n\t\t\t\t\t\t\t\tc\xEE\x80\x80"
                    "      \t\t\t\t\t\t\n");
}

BOOST_AUTO_TEST_CASE(links_are_clickable_annotations_with_their_uri) {
  temp_dir dir("pdflinks");
  auto w = writer(dir / "l.pdf");
  w->add_document(
      "<html><body>\n"
      "<p>See <a href=\"https://acme.example/x?a=1&amp;b='q' r\">our site</a> or\n"
      "<a href=\"mailto:billing@acme.example\">write to us</a>.</p>\n"
      "<p><a href=\"javascript:alert(1)\">not a link</a></p>\n"
      "</body></html>");
  std::string warnings;
  for (const auto& x : w->warnings()) warnings += x + "\n";
  w->finish();
  check_structure(dir / "l.pdf");
  BOOST_CHECK_EQUAL(count(warnings,
                          "line 4:4: <a href=\"javascript:alert(1)\">: only http, https "
                          "and mailto links are clickable"),
                    1u);
  std::string out;
  BOOST_REQUIRE_EQUAL(run("qpdf --qdf --object-streams=disable '" + (dir / "l.pdf").string() +
                              "' '" + (dir / "q.pdf").string() + "'",
                          out),
                      0);
  const std::string pdf = weft::test::read_file((dir / "q.pdf").string());
  BOOST_CHECK_EQUAL(count(pdf, "/Subtype /Link"), 2u);
  // quotes and spaces percent-encoded, so the URI cannot break out of Cairo's attribute
  BOOST_CHECK_EQUAL(count(pdf, "/URI (https://acme.example/x?a=1&b=%27q%27%20r)"), 1u);
  BOOST_CHECK_EQUAL(count(pdf, "/URI (mailto:billing@acme.example)"), 1u);
  BOOST_CHECK_EQUAL(count(pdf, "javascript"), 0u);
  BOOST_CHECK(all_text(dir / "l.pdf").find("our site") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_jpeg_is_decoded_on_an_image_surface_for_the_png_preview) {
  temp_dir res("pdfjpegpng");
  {
    // an all-red JPEG: a red page rasterised by pdftoppm -jpeg
    auto w = writer(res / "red.pdf");
    w->add_document(
        "<html><head><style>@page { size: 40mm 40mm; margin: 0 }</style></head>"
        "<body><div style='background: #d00000; height: 40mm'></div></body></html>");
    w->finish();
  }
  std::string out;
  BOOST_REQUIRE_EQUAL(run("pdftoppm -jpeg -r 30 -singlefile '" + (res / "red.pdf").string() +
                              "' '" + (res / "red").string() + "'",
                          out),
                      0);
  weft::document::layout::layout_options lo;
  lo.resources_dir = res.path();
  weft::document::layout::layout_engine engine(lo);
  auto doc = engine.layout(
      "<html><head><style>@page { size: 100mm 100mm; margin: 10mm }</style></head>"
      "<body><img src='red.jpg' style='width: 40mm'></body></html>");
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 284, 284);  // 1 px/pt
  cairo_t* cr = cairo_create(img);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  engine.paint(cr, doc, 0);
  cairo_destroy(cr);
  cairo_surface_flush(img);
  // the middle of the image's box: 10 mm + 20 mm = 85 pt from the top left corner
  const auto* px = reinterpret_cast<const std::uint32_t*>(cairo_image_surface_get_data(img) +
                                                          85 * cairo_image_surface_get_stride(img));
  const std::uint32_t p = px[85];
  const unsigned r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
  BOOST_TEST_MESSAGE("pixel " << r << "," << g << "," << b);
  BOOST_CHECK_GT(r, 150u);
  BOOST_CHECK_LT(g, 80u);
  BOOST_CHECK_LT(b, 80u);
  cairo_surface_destroy(img);
}

namespace {

struct word_box {
  int page;
  double x_min, y_min, x_max, y_max;
  std::string text;
};

/// Every word of `pdf` with its page (from 1) and box, in reading order (pdftotext -bbox).
std::vector<word_box> words_of(const std::filesystem::path& pdf) {
  std::string bbox;
  BOOST_REQUIRE_EQUAL(run("pdftotext -bbox '" + pdf.string() + "' -", bbox), 0);
  std::vector<word_box> out;
  std::istringstream in(bbox);
  std::string line;
  int page = 0;
  const std::regex word_re(
      R"re(<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>)re");
  while (std::getline(in, line)) {
    if (line.find("<page ") != std::string::npos) ++page;
    std::smatch m;
    if (!std::regex_search(line, m, word_re)) continue;
    out.push_back({page, std::stod(m[1].str()), std::stod(m[2].str()), std::stod(m[3].str()),
                   std::stod(m[4].str()), m[5].str()});
  }
  return out;
}

/// The rows of pixels of page `page` rasterised at 72 dpi (1 px per point), grey levels.
std::vector<std::vector<unsigned char>> grey_page(const std::filesystem::path& pdf, int page) {
  const auto base = pdf.parent_path() / ("grey" + std::to_string(page));
  std::string out;
  const std::string p = std::to_string(page);
  BOOST_REQUIRE_EQUAL(run("pdftoppm -gray -r 72 -singlefile -f " + p + " -l " + p + " '" +
                              pdf.string() + "' '" + base.string() + "'",
                          out),
                      0);
  std::ifstream in(base.string() + ".pgm", std::ios::binary);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  in.get();
  BOOST_REQUIRE_EQUAL(magic, "P5");
  std::vector<std::vector<unsigned char>> rows(
      static_cast<std::size_t>(h), std::vector<unsigned char>(static_cast<std::size_t>(w)));
  for (auto& r : rows) in.read(reinterpret_cast<char*>(r.data()), w);
  return rows;
}

// A4 with margins 20mm 15mm 25mm 15mm: the content box in points
constexpr double content_left = 42.52, content_right = 595.28 - 42.52;
constexpr double content_top = 56.69, content_bottom = 841.89 - 70.87;

const std::string split_css =
    "<style>@page { size: A4; margin: 20mm 15mm 25mm 15mm; }"
    " body { font-family: 'DejaVu Sans'; font-size: 9pt; }"
    " th { background: #ddd; } td { border: 1pt solid #000; background: #f4f4f4; }"
    " p { margin: 0 }</style>";

}  // namespace

BOOST_AUTO_TEST_CASE(a_row_taller_than_a_page_splits_between_lines_with_the_header_repeated) {
  temp_dir dir("pdfsplit");
  auto w = writer(dir / "s.pdf");
  // the tall cell: a paragraph of 100 lines, then a nested block of 50 one-line paragraphs
  std::string tall = "L1X";
  for (int i = 2; i <= 100; ++i) tall += "<br>L" + std::to_string(i) + "X";
  tall += "<div>";
  for (int i = 101; i <= 150; ++i) tall += "<p>L" + std::to_string(i) + "X</p>";
  tall += "</div>";
  w->add_document("<html><head>" + split_css +
                  "</head><body><h1>Split</h1><table style='width: 100%'><thead><tr>"
                  "<th>HEADA</th><th>HEADB</th></tr></thead><tbody>"
                  "<tr><td>FIRSTROW</td><td>first</td></tr><tr><td>" +
                  tall +
                  "</td><td>SIDE</td></tr><tr><td>LASTROW</td><td>last</td></tr>"
                  "</tbody></table></body></html>");
  w->finish();
  const auto pdf = dir / "s.pdf";
  check_structure(pdf);
  const int pages = page_count(pdf);
  BOOST_CHECK_GE(pages, 3);
  const auto words = words_of(pdf);
  int next = 1, heads = 0, sides = 0;
  std::map<int, int> lines_on_page;
  for (const auto& wd : words) {
    BOOST_TEST_CONTEXT("word " << wd.text << " on page " << wd.page) {
      // inside the page's content box
      BOOST_CHECK_GE(wd.x_min, content_left - 1);
      BOOST_CHECK_LE(wd.x_max, content_right + 1);
      BOOST_CHECK_GE(wd.y_min, content_top - 1);
      BOOST_CHECK_LE(wd.y_max, content_bottom + 1);
    }
    std::smatch m;
    if (std::regex_match(wd.text, m, std::regex(R"(L(\d+)X)"))) {
      // every line exactly once, in order
      BOOST_CHECK_EQUAL(std::stoi(m[1].str()), next);
      next = std::stoi(m[1].str()) + 1;
      ++lines_on_page[wd.page];
    }
    if (wd.text == "HEADA") ++heads;
    if (wd.text == "SIDE") {
      ++sides;
      BOOST_CHECK_EQUAL(wd.page, 1);
    }
    if (wd.text == "LASTROW") BOOST_CHECK_EQUAL(wd.page, pages);
  }
  BOOST_CHECK_EQUAL(next, 151);
  BOOST_CHECK_EQUAL(sides, 1);
  BOOST_CHECK_EQUAL(heads, pages);  // the header on every page the table continues
  BOOST_CHECK_EQUAL(static_cast<int>(lines_on_page.size()), pages);
  for (const auto& [page, n] : lines_on_page) BOOST_CHECK_GE(n, 2);  // widows and orphans
  for (int p = 1; p <= pages; ++p) {
    BOOST_TEST_CONTEXT("page " << p) {
      BOOST_CHECK(std::regex_search(page_text(pdf, p), std::regex("HEADA\\s+HEADB")));
      // nothing drawn outside the content box: the margins stay white (borders, backgrounds)
      const auto rows = grey_page(pdf, p);
      BOOST_REQUIRE_GT(rows.size(), 800u);
      std::size_t dark = 0;
      for (std::size_t y = 0; y < rows.size(); ++y)
        for (std::size_t x = 0; x < rows[y].size(); ++x) {
          const bool margin = y + 1 < content_top || y > content_bottom + 1 ||
                              x + 1 < content_left || x > content_right + 1;
          if (margin && rows[y][x] < 250) ++dark;
        }
      BOOST_CHECK_EQUAL(dark, 0u);
      // and the cells' borders are drawn on each part: the tall cell's left border runs down
      // the page (a dark pixel at its x 120 pt below the content box's top, inside the row on
      // every page)
      const auto& mid = rows[static_cast<std::size_t>(content_top) + 120];
      bool border = false;
      for (std::size_t x = static_cast<std::size_t>(content_left);
           x < static_cast<std::size_t>(content_left) + 4; ++x)
        border = border || mid[x] < 128;
      BOOST_CHECK(border);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_row_that_fits_on_a_page_moves_whole_and_is_not_split) {
  temp_dir dir("pdfnosplit");
  auto w = writer(dir / "n.pdf");
  auto lines = [](const std::string& prefix, int n) {
    std::string s = prefix + "1X";
    for (int i = 2; i <= n; ++i) s += "<br>" + prefix + std::to_string(i) + "X";
    return s;
  };
  // the first row fills most of the first page; the second (40 lines) does not fit below it
  w->add_document("<html><head>" + split_css +
                  "</head><body><table style='width: 100%'><thead><tr><th>HEADA</th></tr>"
                  "</thead><tbody><tr><td>" +
                  lines("F", 45) + "</td></tr><tr><td>" + lines("M", 40) +
                  "</td></tr></tbody></table></body></html>");
  w->finish();
  const auto pdf = dir / "n.pdf";
  BOOST_CHECK_EQUAL(page_count(pdf), 2);
  int m_lines = 0, f_lines = 0;
  for (const auto& wd : words_of(pdf)) {
    if (std::regex_match(wd.text, std::regex(R"(M\d+X)"))) {
      ++m_lines;
      BOOST_CHECK_EQUAL(wd.page, 2);
    }
    if (std::regex_match(wd.text, std::regex(R"(F\d+X)"))) {
      ++f_lines;
      BOOST_CHECK_EQUAL(wd.page, 1);
    }
  }
  BOOST_CHECK_EQUAL(m_lines, 40);
  BOOST_CHECK_EQUAL(f_lines, 45);
}

namespace {

/// `from` with every occurrence of `a` (ASCII and UTF-16BE) replaced by `b` of the same length.
std::string renamed(std::string data, const std::string& a, const std::string& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  auto utf16 = [](const std::string& t) {
    std::string out;
    for (char c : t) {
      out.push_back('\0');
      out.push_back(c);
    }
    return out;
  };
  for (const auto& [from, to] : {std::pair{a, b}, std::pair{utf16(a), utf16(b)}})
    for (auto p = data.find(from); p != std::string::npos; p = data.find(from, p + to.size()))
      data.replace(p, from.size(), to);
  return data;
}

/// DejaVu Sans (fonts-dejavu-core) whose names say `family` (11 characters, like "DejaVu
/// Sans"): a family fontconfig does not know unless its directory is added.
std::string renamed_dejavu_sans(const std::string& family) {
  const std::filesystem::path source = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  BOOST_REQUIRE(std::filesystem::exists(source));
  BOOST_REQUIRE_EQUAL(family.size(), std::string("DejaVu Sans").size());
  std::ifstream in(source, std::ios::binary);
  std::string font((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string compact = family;
  compact.erase(std::remove(compact.begin(), compact.end(), ' '), compact.end());
  return renamed(renamed(font, "DejaVu Sans", family), "DejaVuSans", compact);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_family_only_in_a_font_directory_is_found_and_embedded) {
  // A copy of DejaVu Sans (fonts-dejavu-core) whose names say "Weftfont Xy": a family
  // fontconfig does not know unless the directory is added (the names are patched in place,
  // same lengths; FreeType does not check the table checksums).
  const std::string font = renamed_dejavu_sans("Weftfont Xy");
  temp_dir fonts("pdffontdir");
  std::ofstream(fonts / "weftfont.ttf", std::ios::binary) << font;
  const std::string html =
      "<html><head><style>body { font-family: 'Weftfont Xy'; font-size: 12pt }</style></head>"
      "<body><p>FONTDIRTEXT</p></body></html>";
  temp_dir dir("pdffonts");
  std::string out;
  // without the directory: the family is not installed (a warning), another font is embedded
  {
    auto w = writer(dir / "before.pdf");
    w->add_document(html);
    w->finish();
    std::string all;
    for (const auto& x : w->warnings()) all += x;
    BOOST_CHECK(all.find("font family \"Weftfont Xy\" is not installed") != std::string::npos);
    BOOST_REQUIRE_EQUAL(run("pdffonts '" + (dir / "before.pdf").string() + "'", out), 0);
    BOOST_CHECK(out.find("WeftfontXy") == std::string::npos);
  }
  // a directory that fontconfig cannot add is an error naming it
  BOOST_CHECK_EXCEPTION(
      weft::document::layout::add_process_font_dirs({(fonts / "missing").string()}),
      weft::document::layout::layout_error,
      [](const auto& e) { return std::string(e.what()).find("missing") != std::string::npos; });
  // added to the process's fontconfig (what the node does at start-up): found and embedded
  weft::document::layout::add_process_font_dirs({fonts.path()});
  auto w = writer(dir / "after.pdf");
  w->add_document(html);
  w->finish();
  BOOST_CHECK(w->warnings().empty());
  check_structure(dir / "after.pdf");
  BOOST_REQUIRE_EQUAL(run("pdffonts '" + (dir / "after.pdf").string() + "'", out), 0);
  BOOST_TEST_MESSAGE(out);
  BOOST_CHECK(out.find("+WeftfontXy") != std::string::npos);
  BOOST_CHECK_EQUAL(count(all_text(dir / "after.pdf"), "FONTDIRTEXT"), 1u);
}

BOOST_AUTO_TEST_CASE(a_font_in_the_jobs_resources_is_used_for_that_job_only) {
  // Another renamed DejaVu Sans ("Weftfont Rz"), in a sub-folder of the resources, as
  // `submit --resources` brings it; the writers run on one thread, one after the other, as an
  // engine's do: the font map kept for one job must not leak its fonts into the next. The
  // node's own font folder ([fonts].dirs: "Weftfont Pq") stays usable beside the job's fonts.
  temp_dir node_fonts("pdfnodefonts");
  std::ofstream(node_fonts / "corporate.ttf", std::ios::binary)
      << renamed_dejavu_sans("Weftfont Pq");
  weft::document::layout::add_process_font_dirs({node_fonts.path()});
  temp_dir resources("pdfjobfonts");
  std::filesystem::create_directories(resources / "fonts");
  const auto brand = resources / "fonts" / "brand.ttf";
  std::ofstream(brand, std::ios::binary) << renamed_dejavu_sans("Weftfont Rz");
  const std::string html =
      "<html><head><style>body { font-family: 'Weftfont Rz'; font-size: 12pt } "
      ".corp { font-family: 'Weftfont Pq' }</style></head>"
      "<body><p>JOBFONTTEXT</p><p class='corp'>NODEFONTTEXT</p></body></html>";
  temp_dir dir("pdfjobfontsout");
  std::string out;
  const auto render = [&](const std::string& name, const output_options& o) {
    auto w = writer(dir / name, o);
    w->add_document(html);
    w->finish();
    std::string all;
    for (const auto& x : w->warnings()) all += x;
    BOOST_REQUIRE_EQUAL(run("pdffonts '" + (dir / name).string() + "'", out), 0);
    return all;
  };
  output_options with;
  with.resources_dir = resources.path();
  for (int round = 0; round < 2; ++round) {  // the second round reuses the kept font maps
    BOOST_TEST_CONTEXT("round " << round) {
      auto warned = render("with.pdf", with);
      BOOST_CHECK_MESSAGE(warned.empty(), warned);
      BOOST_CHECK(out.find("+WeftfontRz") != std::string::npos);
      BOOST_CHECK(out.find("+WeftfontPq") != std::string::npos);
      check_structure(dir / "with.pdf");
      BOOST_CHECK_EQUAL(count(all_text(dir / "with.pdf"), "JOBFONTTEXT"), 1u);
      warned = render("without.pdf", output_options{});
      BOOST_CHECK(warned.find("font family \"Weftfont Rz\" is not installed") != std::string::npos);
      BOOST_CHECK(out.find("WeftfontRz") == std::string::npos);
      BOOST_CHECK(out.find("+WeftfontPq") != std::string::npos);
    }
  }
  // The folder's font replaced (the cluster's resource folder outlives the engines): the
  // next file on this thread uses the new one, not the kept map.
  std::ofstream(brand, std::ios::binary | std::ios::trunc) << renamed_dejavu_sans("Weftfont St");
  std::filesystem::last_write_time(
      brand, std::filesystem::last_write_time(brand) + std::chrono::seconds(2));
  auto w = writer(dir / "replaced.pdf", with);
  w->add_document(
      "<html><body><p style=\"font-family: 'Weftfont St'\">REPLACEDFONT</p></body></html>");
  w->finish();
  std::string all;
  for (const auto& x : w->warnings()) all += x;
  BOOST_CHECK_MESSAGE(all.empty(), all);
  BOOST_REQUIRE_EQUAL(run("pdffonts '" + (dir / "replaced.pdf").string() + "'", out), 0);
  BOOST_CHECK(out.find("+WeftfontSt") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_table_whose_tall_first_row_has_no_room_starts_on_the_next_page) {
  temp_dir dir("pdfsplitnext");
  auto w = writer(dir / "n.pdf");
  std::string tall = "L1X";
  for (int i = 2; i <= 90; ++i) tall += "<br>L" + std::to_string(i) + "X";
  // 690 of the content box's 714 pt are taken: the header would fit, two lines below it not
  w->add_document("<html><head>" + split_css +
                  "</head><body><div style='height: 690pt'>FILLER</div>"
                  "<table style='width: 100%'><thead><tr><th>HEADA</th></tr></thead><tbody>"
                  "<tr><td>" +
                  tall + "</td></tr></tbody></table></body></html>");
  w->finish();
  const auto pdf = dir / "n.pdf";
  const int pages = page_count(dir / "n.pdf");
  BOOST_CHECK_EQUAL(pages, 3);
  int next = 1, heads = 0;
  for (const auto& wd : words_of(pdf)) {
    if (wd.text == "FILLER") BOOST_CHECK_EQUAL(wd.page, 1);
    if (wd.text == "HEADA") {
      ++heads;
      BOOST_CHECK_GT(wd.page, 1);
    }
    std::smatch m;
    if (std::regex_match(wd.text, m, std::regex(R"(L(\d+)X)"))) {
      BOOST_CHECK_EQUAL(std::stoi(m[1].str()), next);
      next = std::stoi(m[1].str()) + 1;
      BOOST_CHECK_GT(wd.page, 1);
      BOOST_CHECK_LE(wd.y_max, content_bottom + 1);
    }
  }
  BOOST_CHECK_EQUAL(next, 91);
  BOOST_CHECK_EQUAL(heads, 2);
}
