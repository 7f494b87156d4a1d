// `caf-node render`: the template preview, one record, no node needed.
#define BOOST_TEST_MODULE render_command
#include <boost/test/unit_test.hpp>
#include <filesystem>

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
