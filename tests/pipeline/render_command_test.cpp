// `caf-node render`: the template preview, one record, no node needed.
#define BOOST_TEST_MODULE render_command
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <regex>

#include "tests/pipeline/pipeline_support.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;

namespace {

run_result render(std::vector<std::string> args) {
  std::vector<std::string> argv{CAF_NODE, "render"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, 30s);
}

}  // namespace

BOOST_AUTO_TEST_CASE(render_prints_the_first_record_only) {
  temp_dir dir;
  auto tmpl = dir.write("hello.mustache", "Hello {{name}}!\n");
  auto data = dir.write("people.csv", "name\nAnn\nBob\nCy\n");
  auto r = render({"--template", tmpl, "--data", data});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "Hello Ann!\n");
}

BOOST_AUTO_TEST_CASE(record_n_picks_the_nth_record) {
  temp_dir dir;
  auto tmpl = dir.write("hello.mustache", "Hello {{name}}!\n");
  auto data = dir.write("people.csv", "name\nAnn\nBob\nCy\n");
  auto r = render({"--template", tmpl, "--data", data, "--record", "2"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "Hello Bob!\n");
  r = render({"--template", tmpl, "--data", data, "--record", "3"});
  BOOST_TEST(r.out == "Hello Cy!\n");
}

BOOST_AUTO_TEST_CASE(a_record_past_the_end_is_bad_usage_naming_it) {
  temp_dir dir;
  auto tmpl = dir.write("hello.mustache", "Hello {{name}}!\n");
  auto data = dir.write("people.csv", "name\nAnn\nBob\nCy\n");
  auto r = render({"--template", tmpl, "--data", data, "--record", "4"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "record 4"), r.err);
  BOOST_TEST(r.out.empty(), r.out);
  r = render({"--template", tmpl, "--data", data, "--record", "0"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(render_shows_a_sample_invoice_with_its_line_items) {
  temp_dir dir;
  auto tmpl = write_marked_template(dir.path());
  auto data = dir.path() + "/invoices.ndjson";
  std::string why;
  BOOST_REQUIRE_MESSAGE(generate_invoices(5, data, why), why);
  auto r = render({"--template", tmpl, "--data", data, "--record", "4"});
  BOOST_TEST(r.exit_code == 0, r.err);
  auto markers = count_markers(r.out);
  BOOST_TEST(markers.size() == 1u);
  BOOST_TEST(markers["INV-000004"] == 1, r.out);
  BOOST_TEST(contains(r.out, " x "), r.out);  // "2 x Widget [...] at ..."
}

BOOST_AUTO_TEST_CASE(a_template_error_gives_line_and_column_and_exit_code_2) {
  temp_dir dir;
  auto tmpl = dir.write("broken.mustache", "ab\ncd {{name\nmore");
  auto data = dir.write("people.csv", "name\nAnn\n");
  auto r = render({"--template", tmpl, "--data", data});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "broken.mustache:2:4"), r.err);
  BOOST_TEST(contains(r.err, "unclosed tag"), r.err);
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(a_data_error_in_the_wanted_record_names_its_row) {
  temp_dir dir;
  auto tmpl = dir.write("hello.mustache", "Hello {{name}}!\n");
  auto data = dir.write("people.csv", "name,age\nAnn,3\nBob\n");
  auto r = render({"--template", tmpl, "--data", data, "--record", "2"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "people.csv: row 2"), r.err);
}

BOOST_AUTO_TEST_CASE(a_missing_data_file_is_named) {
  temp_dir dir;
  auto tmpl = dir.write("hello.mustache", "Hello {{name}}!\n");
  auto r = render({"--template", tmpl, "--data", dir.path() + "/nobody.csv"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "nobody.csv"), r.err);
}

BOOST_AUTO_TEST_CASE(render_pdf_writes_the_preview_and_a_png_and_prints_the_warnings) {
  temp_dir dir;
  auto tmpl = dir.write("page.mustache",
                        "<html><body>\n<h1>Hello {{name}}</h1>\n<blink>x</blink></body></html>\n");
  auto data = dir.write("people.csv", "name\nAnn & Bob\n");
  const auto pdf = dir.path() + "/preview.pdf", png = dir.path() + "/preview.png";
  auto r =
      render({"--template", tmpl, "--data", data, "--format", "pdf", "--out", pdf, "--png", png});
  BOOST_TEST(r.exit_code == 0, r.err);
  // checked on the template's own text: the template's line and column
  BOOST_TEST(contains(r.err, "warning: template line 3:1: <blink> is not in the supported subset"),
             r.err);
  BOOST_TEST(contains(r.err, "1 page,"), r.err);
  auto text = run_command({"/usr/bin/pdftotext", pdf, "-"}, 30s);
  BOOST_TEST(contains(text.out, "Hello Ann & Bob"), text.out);  // escaped, then parsed
  BOOST_TEST(read_file(png).rfind("\x89PNG", 0) == 0);
  // --strict: the warning is an error
  r = render({"--template", tmpl, "--data", data, "--format", "pdf", "--out", pdf, "--strict"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "layout error: template line 3:1: <blink>"), r.err);
}

BOOST_AUTO_TEST_CASE(a_record_with_a_10000_row_table_paginates_in_under_300_mb) {
  temp_dir dir;
  auto tmpl = dir.write(
      "long.mustache",
      "<html><head><style>@page { size: A4; margin: 15mm; } body { font-size: 9pt; }"
      " td { padding: 3pt; border-bottom: 0.5pt solid #ccc; }</style></head><body>"
      "<footer>Page <page-number></page-number> of <page-count></page-count></footer>"
      "<table style='width: 100%'><thead><tr><th>Item</th><th>Description</th><th>Qty</th>"
      "<th>Amount</th></tr></thead><tbody>{{#items}}<tr><td>{{n}}</td><td>Widget number {{n}} "
      "with a description</td><td>{{q}}</td><td>{{a}}</td></tr>{{/items}}</tbody></table>"
      "</body></html>");
  std::string record = "{\"items\":[";
  for (int i = 0; i < 10000; ++i)
    record += (i ? "," : "") + std::string("{\"n\":") + std::to_string(i) +
              ",\"q\":" + std::to_string(i % 9 + 1) + ",\"a\":\"" + std::to_string(i * 7) +
              ".25\"}";
  record += "]}\n";
  auto data = dir.write("long.ndjson", record);
  const auto pdf = dir.path() + "/long.pdf";
  auto r = run_command({"/usr/bin/time", "-v", CAF_NODE, "render", "--template", tmpl, "--data",
                        data, "--format", "pdf", "--out", pdf},
                       120s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  static const std::regex rss_re(R"(Maximum resident set size \(kbytes\): (\d+))");
  static const std::regex pages_re(R"((\d+) pages,)");
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(r.err, m, rss_re), r.err);
  const long rss_kb = std::stol(m[1].str());
  BOOST_REQUIRE(std::regex_search(r.err, m, pages_re));
  const int pages = std::stoi(m[1].str());
  BOOST_TEST_MESSAGE("10,000 rows: " << pages << " pages, peak RSS " << rss_kb / 1024 << " MB");
  BOOST_TEST(pages >= 200);
  BOOST_TEST(rss_kb < 300 * 1024);
  auto last = run_command(
      {"/usr/bin/pdftotext", "-f", std::to_string(pages), "-l", std::to_string(pages), pdf, "-"},
      30s);
  BOOST_TEST(contains(last.out, "9999"), last.out);
  BOOST_TEST(contains(last.out, "Page " + std::to_string(pages) + " of " + std::to_string(pages)),
             last.out);
}
