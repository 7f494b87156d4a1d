// Bad input meets a real node: each mistake gives a clear error (exit code,
// and a message naming the file, row, or line and column) and the node keeps
// serving — after each one, a good job still succeeds on the same node.
#define BOOST_TEST_MODULE pipeline_bad_input
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <random>

#include "tests/pipeline/pipeline_support.hpp"
#include "tests/support/test_port.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;

namespace {

/// A template that needs only an `invoice` column.
std::string simple_template() {
  return suite_node().write("input/simple.mustache", "Invoice {{invoice}}\nMARK {{invoice}} END\n");
}

submit_request job_for(const std::string& data) {
  submit_request r;
  r.data = data;
  r.template_file = simple_template();
  r.format = "txt";
  r.wait = true;
  return r;
}

/// The node still runs and a good job on it succeeds.
void node_still_serves() {
  auto& node = suite_node();
  BOOST_TEST(node.running(), node.log());
  auto problems = good_job_problems(node);
  BOOST_TEST(problems.empty(), problems);
}

/// Submits a job whose data is bad: it is accepted, then fails while the
/// data is mapped; `submit --wait` reports that with exit code 1 and the
/// reason. Returns submit's stderr.
std::string expect_job_fails(const std::string& data) {
  auto res = submit(suite_node(), job_for(data), 180s);
  BOOST_TEST_MESSAGE(fs::path(data).filename().string() << ": " << res.err);
  BOOST_TEST(res.exit_code == 1, "exit " << res.exit_code << ": " << res.err);
  BOOST_TEST(job_id_of(res.out) > 0, res.out);
  BOOST_TEST(contains(res.err, "failed"), res.err);
  BOOST_TEST(contains(res.err, fs::path(data).filename().string()), res.err);
  return res.err;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_missing_data_file_is_bad_usage_naming_the_file) {
  auto path = suite_node().dir() + "/input/no-such-file.csv";
  auto res = submit(suite_node(), job_for(path), 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "no-such-file.csv"), res.err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(an_empty_data_file_is_bad_usage_naming_the_file) {
  auto path = suite_node().write("input/empty.csv", "");
  auto res = submit(suite_node(), job_for(path), 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "empty.csv"), res.err);
  BOOST_TEST(contains(res.err, "empty"), res.err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_header_only_csv_fails_the_job_with_no_records) {
  auto path = suite_node().write("input/header-only.csv", "invoice,total\n");
  auto err = expect_job_fails(path);
  BOOST_TEST(contains(err, "no records"), err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(binary_garbage_fails_the_job_and_names_the_file) {
  std::mt19937 random(7);
  std::string garbage(256 * 1024, '\0');
  for (auto& c : garbage) c = static_cast<char>(random() & 0xff);
  for (const std::string name : {"garbage.csv", "garbage.ndjson"}) {
    BOOST_TEST_CONTEXT(name) {
      auto path = suite_node().write("input/" + name, garbage);
      expect_job_fails(path);
      node_still_serves();
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_fails_the_job_naming_the_row) {
  auto csv = suite_node().write("input/latin1.csv",
                                "invoice,name\nINV-1,Ann\nINV-2,J\xfcrgen M\xfcller\nINV-3,Bo\n");
  auto err = expect_job_fails(csv);
  BOOST_TEST(contains(err, "row 2"), err);
  BOOST_TEST(contains(err, "UTF-8"), err);
  auto ndjson = suite_node().write("input/latin1.ndjson",
                                   "{\"invoice\":\"INV-1\"}\n{\"invoice\":\"INV-\xe9\"}\n");
  err = expect_job_fails(ndjson);
  BOOST_TEST(contains(err, "line 2"), err);
  BOOST_TEST(contains(err, "UTF-8"), err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_single_50_mb_field_fails_the_job_naming_the_row) {
  std::string data = "invoice,blob\nINV-1,small\nINV-2,";
  data.append(50u << 20, 'x');
  data += "\nINV-3,small\n";
  auto path = suite_node().write("input/huge-field.csv", data);
  auto err = expect_job_fails(path);
  BOOST_TEST(contains(err, "row 2"), err);
  BOOST_TEST(contains(err, "longer than"), err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_csv_row_with_too_many_fields_names_the_row) {
  auto path = suite_node().write("input/too-many.csv",
                                 "invoice,name,total\nINV-1,Ann,1\nINV-2,Bob,2\nINV-3,Cy,3,extra\n"
                                 "INV-4,Di,4\n");
  auto err = expect_job_fails(path);
  BOOST_TEST(contains(err, "row 3"), err);
  BOOST_TEST(contains(err, "4 fields, header has 3"), err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_csv_row_with_too_few_fields_names_the_row) {
  auto path = suite_node().write("input/too-few.csv",
                                 "invoice,name,total\nINV-1,Ann,1\nINV-2,Bob\nINV-3,Cy,3\n");
  auto err = expect_job_fails(path);
  BOOST_TEST(contains(err, "row 2"), err);
  BOOST_TEST(contains(err, "2 fields, header has 3"), err);
  node_still_serves();
}

// A bad row far into a file that is mapped in several chunks.
BOOST_AUTO_TEST_CASE(a_bad_row_after_thousands_of_good_ones_names_its_row) {
  std::string data = "invoice,total\n";
  for (int i = 1; i <= 4999; ++i) data += "INV-" + std::to_string(i) + ",1.00\n";
  data += "INV-5000\n";
  for (int i = 5001; i <= 6000; ++i) data += "INV-" + std::to_string(i) + ",1.00\n";
  auto path = suite_node().write("input/late-error.csv", data);
  auto err = expect_job_fails(path);
  BOOST_TEST(contains(err, "row 5000"), err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_template_syntax_error_is_refused_at_submit_with_line_and_column) {
  auto tmpl =
      suite_node().write("input/broken.mustache", "Dear {{name}},\n\n  {{#items}}\n  - {{qty}}\n");
  auto data = suite_node().write("input/ok.csv", "invoice,name\nINV-1,Ann\n");
  auto r = job_for(data);
  r.template_file = tmpl;
  auto t0 = std::chrono::steady_clock::now();
  auto res = submit(suite_node(), r, 30s);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "broken.mustache:3:3"), res.err);
  BOOST_TEST(contains(res.err, "unclosed section"), res.err);
  BOOST_TEST(job_id_of(res.out) == 0, "a job was created: " << res.out);
  BOOST_TEST((took < std::chrono::seconds(10)));
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_missing_partial_is_refused_at_submit) {
  auto tmpl = suite_node().write("input/with-partial.mustache", "x\n{{> nowhere}}\n");
  auto data = suite_node().write("input/ok.csv", "invoice,name\nINV-1,Ann\n");
  auto r = job_for(data);
  r.template_file = tmpl;
  auto res = submit(suite_node(), r, 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "with-partial.mustache:2:1"), res.err);
  BOOST_TEST(contains(res.err, "nowhere"), res.err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(an_unknown_format_is_bad_usage) {
  auto data = suite_node().write("input/ok.csv", "invoice,name\nINV-1,Ann\n");
  auto r = job_for(data);
  r.format = "docx";
  auto res = submit(suite_node(), r, 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "docx"), res.err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(an_unknown_data_file_extension_is_refused) {
  // .xml and .json are data formats now (pipeline_data_test); .yaml is not.
  auto data = suite_node().write("input/records.yaml", "records: []\n");
  auto res = submit(suite_node(), job_for(data), 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "records.yaml"), res.err);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_refused_with_exit_code_2) {
  auto wrong = suite_node().write("input/wrong.secret", "not-the-cluster-secret-at-all\n");
  fs::permissions(wrong, fs::perms::owner_read | fs::perms::owner_write);
  auto data = suite_node().write("input/ok.csv", "invoice,name\nINV-1,Ann\n");
  auto r = job_for(data);
  r.secret_file = wrong;
  auto res = submit(suite_node(), r, 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "secret"), res.err);
  BOOST_TEST(job_id_of(res.out) == 0, "a job was created: " << res.out);
  node_still_serves();
}

BOOST_AUTO_TEST_CASE(a_node_that_is_not_running_fails_quickly_with_exit_code_1) {
  auto data = suite_node().write("input/ok.csv", "invoice,name\nINV-1,Ann\n");
  auto r = job_for(data);
  r.connect = "127.0.0.1:" + std::to_string(reserve_port());  // reserved: nobody listens
  auto t0 = std::chrono::steady_clock::now();
  auto res = submit(suite_node(), r, 30s);
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST_MESSAGE("submit to a closed port gave up after " << took.count() << " ms");
  BOOST_TEST(res.exit_code == 1, res.err);
  BOOST_TEST(contains(res.err, r.connect), res.err);
  // Within the client's request timeout (10 s by default).
  BOOST_TEST(took.count() < 10000);
  node_still_serves();
}
