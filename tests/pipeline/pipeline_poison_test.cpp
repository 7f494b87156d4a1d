// Poison jobs meet a real node (issue 11, item 4): a template or a record that
// would crash, hang or flood a node ends as a failed job whose message names
// the limit (docs/jobs.md#limits) and the record or template line; the node
// stays up and the next job on it succeeds. A job whose batch takes the node
// down with it fails after `jobs.max_attempts` restarts instead of crashing
// the restarted master again and again.
//
// The job's state is read through the shell (`job ID`), as an operator would.
#define BOOST_TEST_MODULE pipeline_poison
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/pipeline/pipeline_support.hpp"
#include "tests/support/shell_client.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;

namespace {

/// The budget of the time-limit case: long enough for a job to start, short enough for a test.
const char* short_batches = "[jobs]\nmax_batch_time = \"6s\"\n";

/// One node for the cases that only need a node that keeps serving.
test_node& poison_node() {
  static test_node node(short_batches);
  static bool started = false;
  if (!started) {
    std::string why;
    if (!node.start(why)) throw std::runtime_error("the node did not start: " + why);
    started = true;
  }
  if (!node.running()) throw std::runtime_error("the node is gone:\n" + node.log());
  return node;
}

/// The node still runs and a good job on it succeeds (its output checked).
void node_still_serves(const test_node& node) {
  BOOST_TEST(const_cast<test_node&>(node).running(), node.log());
  auto problems = good_job_problems(node);
  BOOST_TEST(problems.empty(), problems);
}

/// One NDJSON record with an invoice number and `extra` members (JSON text, without braces).
std::string one_record(const test_node& node, const std::string& name, const std::string& extra) {
  return node.write("input/" + name + ".ndjson",
                    "{\"invoice\":\"P-1\"" + (extra.empty() ? "" : "," + extra) + "}\n");
}

submit_request job(const std::string& data, const std::string& tpl, const std::string& format) {
  submit_request r;
  r.data = data;
  r.template_file = tpl;
  r.format = format;
  r.wait = true;
  return r;
}

/// Submits and waits: the job must be accepted and then fail. Returns submit's stderr.
std::string expect_job_fails(const test_node& node, const submit_request& r) {
  auto res = submit(node, r, 240s);
  BOOST_TEST_MESSAGE(fs::path(r.template_file).filename().string() << ": " << res.err);
  BOOST_TEST(res.exit_code == 1, "exit " << res.exit_code << ": " << res.err << "\n" << res.out);
  BOOST_TEST(job_id_of(res.out) > 0, res.out);
  BOOST_TEST(contains(res.err, "failed"), res.err);
  return res.err;
}

/// `n` sections nested, one per line.
std::string nested_sections(int n, const std::string& name) {
  std::string t;
  for (int i = 0; i < n; ++i) t += "{{#" + name + "}}\n";
  t += "{{invoice}}\n";
  for (int i = 0; i < n; ++i) t += "{{/" + name + "}}\n";
  return t;
}

/// Writes `main.mustache` including p0, each p<i> including p<i+1> twice, p<levels> = leaf.
std::string doubling_partials(const test_node& node, const std::string& dir, int levels,
                              const std::string& leaf) {
  for (int i = 0; i < levels; ++i) {
    const std::string next = "{{>p" + std::to_string(i + 1) + "}}";
    node.write(dir + "/p" + std::to_string(i) + ".mustache", next + next);
  }
  node.write(dir + "/p" + std::to_string(levels) + ".mustache", leaf);
  return node.write(dir + "/main.mustache", "{{invoice}}\n{{>p0}}\n");
}

/// A template that renders nothing for ever: 40 sections over a 10-item list nested (10^40
/// iterations); only a cancellation or the time budget ends it.
std::string endless_template(const test_node& node) {
  std::string t = "{{invoice}}\n";
  for (int i = 0; i < 40; ++i) t += "{{#l}}";
  for (int i = 0; i < 40; ++i) t += "{{/l}}";
  return node.write("input/endless.mustache", t + "\n");
}

std::string endless_data(const test_node& node) {
  return one_record(node, "endless", "\"l\":[1,2,3,4,5,6,7,8,9,10]");
}

/// Submits without waiting; returns the job id.
int64_t submit_nowait(const test_node& node, const std::string& data, const std::string& tpl) {
  auto r = job(data, tpl, "txt");
  r.wait = false;
  auto res = submit(node, r, 60s);
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, res.err << "\n" << node.log());
  auto id = job_id_of(res.out);
  BOOST_REQUIRE_MESSAGE(id > 0, res.out);
  return id;
}

/// The job's row as `job ID` shows it (state, error); null when the node does not answer.
nlohmann::json job_row(const test_node& node, int64_t id) {
  auto answer = shell_answer({node.connect(), node.config_file()}, "job " + std::to_string(id));
  if (!answer || !answer->contains("job")) return nullptr;
  return (*answer)["job"];
}

std::string state_of(const test_node& node, int64_t id) {
  auto row = job_row(node, id);
  return row.is_object() ? row.value("state", "") : "";
}

/// Whether an engine is working on a batch of job `id` now (`engines`).
bool engine_busy_with(const test_node& node, int64_t id) {
  auto answer = shell_answer({node.connect(), node.config_file()}, "engines");
  if (!answer || !answer->is_object() || !(*answer)["engines"].is_array()) return false;
  for (const auto& e : (*answer)["engines"])
    if (e.value("type", "") == "merge" && e.contains("job") && e["job"] == id) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(twenty_thousand_nested_sections_are_refused_with_the_limit_and_line) {
  auto& node = poison_node();
  auto tpl = node.write("input/deep.mustache", nested_sections(20000, "a"));
  auto data = one_record(node, "deep", "\"a\":true");
  auto res = submit(node, job(data, tpl, "txt"), 120s);
  BOOST_TEST(res.exit_code != 0, res.out);
  BOOST_TEST(contains(res.err, "deep.mustache:101:1:"), res.err);
  BOOST_TEST(contains(res.err, "sections nest deeper than 100 levels (jobs.max_section_depth)"),
             res.err);
  node_still_serves(node);
}

BOOST_AUTO_TEST_CASE(partials_that_double_at_each_level_fail_at_the_partial_depth) {
  auto& node = poison_node();
  auto tpl = doubling_partials(node, "input/doubling", 30, "x\n");
  auto err = expect_job_fails(node, job(one_record(node, "doubling", ""), tpl, "txt"));
  BOOST_TEST(
      contains(err, "record 1: partials nest deeper than 10 levels (jobs.max_partial_depth)"), err);
  node_still_serves(node);
}

BOOST_AUTO_TEST_CASE(partials_that_double_within_the_depth_fail_at_the_output_size) {
  auto& node = poison_node();
  // 2^9 copies of a 40 KB leaf: 20 MB, past the 16 MiB default.
  auto tpl = doubling_partials(node, "input/wide", 9, std::string(40000, 'w') + "\n");
  auto err = expect_job_fails(node, job(one_record(node, "wide", ""), tpl, "pdf"));
  BOOST_TEST(
      contains(err, "record 1: renders to more than 16777216 bytes (jobs.max_record_output)"), err);
  node_still_serves(node);
}

BOOST_AUTO_TEST_CASE(a_page_break_flood_fails_at_the_page_limit_naming_the_record) {
  auto& node = poison_node();
  std::string flood;
  // 20,000 forced page breaks
  for (int i = 0; i < 20000; ++i) flood += "<p style='page-break-before: always'>x</p>";
  auto data = one_record(node, "flood", "\"ff\":\"" + flood + "\"");
  auto tpl = node.write("input/flood.mustache", "{{invoice}}{{{ff}}}\n");
  auto err = expect_job_fails(node, job(data, tpl, "pdf"));
  BOOST_TEST(
      contains(err, "record 1: the document fills more than 10000 pages (jobs.max_document_pages)"),
      err);
  node_still_serves(node);
}

BOOST_AUTO_TEST_CASE(a_render_that_never_ends_fails_at_the_batch_time_limit) {
  auto& node = poison_node();
  auto err = expect_job_fails(node, job(endless_data(node), endless_template(node), "txt"));
  BOOST_TEST(contains(err, "took longer than 6s (jobs.max_batch_time)"), err);
  node_still_serves(node);
}

BOOST_AUTO_TEST_CASE(cancel_stops_a_running_render) {
  // The default budget (5 minutes): only the cancellation can free the engines in time.
  test_node node;
  std::string why;
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  // One endless job per merge engine of the node (two), so that a good job needs one freed.
  auto tpl = endless_template(node);
  auto data = endless_data(node);
  std::vector<int64_t> ids{submit_nowait(node, data, tpl), submit_nowait(node, data, tpl)};
  for (auto id : ids)
    BOOST_REQUIRE_MESSAGE(wait_until([&] { return engine_busy_with(node, id); }, 60s),
                          "job " << id << " is " << state_of(node, id) << "\n"
                                 << node.log());
  for (auto id : ids) {
    auto res = shell({node.connect(), node.config_file()}, "cancel " + std::to_string(id));
    BOOST_TEST(res.exit_code == 0, res.err);
  }
  for (auto id : ids) BOOST_TEST(state_of(node, id) == "cancelled");
  const auto started = std::chrono::steady_clock::now();
  node_still_serves(node);
  const auto took =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  BOOST_TEST(took.count() < 120, "the good job took " << took.count() << " s");
}

BOOST_AUTO_TEST_CASE(a_job_that_kills_its_node_fails_after_max_attempts_and_the_master_lives) {
  // The endless render stands in for a batch that crashes its node: the test kills the node
  // while the batch runs, as a crash would, and starts it again on the same files.
  test_node node("[jobs]\nmax_attempts = 2\n");
  std::string why;
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  const auto id = submit_nowait(node, endless_data(node), endless_template(node));
  int kills = 0;
  for (; kills < 5; ++kills) {
    std::string state;
    BOOST_REQUIRE_MESSAGE(wait_until(
                              [&] {
                                state = state_of(node, id);
                                return state == "failed" || engine_busy_with(node, id);
                              },
                              60s),
                          "job " << id << " is " << state << "\n"
                                 << node.log());
    if (state == "failed") break;
    node.kill();
    BOOST_REQUIRE_MESSAGE(node.start(why), "restart " << kills + 1 << ": " << why);
  }
  // Attempt 1, then 2 after the first restart; the second restart finds attempt 3 > 2.
  BOOST_TEST(kills == 2);
  auto row = job_row(node, id);
  BOOST_REQUIRE(row.is_object());
  BOOST_TEST(row.value("state", "") == "failed");
  const auto error = row.value("error", std::string{});
  BOOST_TEST(contains(error, "failed 2 attempts (jobs.max_attempts = 2)"), error);
  BOOST_TEST(contains(error, "the master restarted while the batch was open"), error);
  node_still_serves(node);
}

// A record bigger than MariaDB's max_allowed_packet (16 MiB here): the database refuses the
// row for good, so the mapper fails the job naming the data instead of retrying for ever.
BOOST_AUTO_TEST_CASE(a_row_bigger_than_max_allowed_packet_fails_the_job_on_mariadb,
                     *boost::unit_test::label("mariadb")) {
  const char* url = std::getenv("WEFT_TEST_MARIADB_URL");
  const char* password = std::getenv("WEFT_TEST_MARIADB_PASSWORD_FILE");
  BOOST_REQUIRE_MESSAGE(url && password,
                        "needs a MariaDB server: WEFT_TEST_MARIADB_URL and "
                        "WEFT_TEST_MARIADB_PASSWORD_FILE (scripts/mariadb.sh start DIR)");
  test_node node(std::string{"[database]\nurl = \""} + url + "\"\npassword_file = \"" + password +
                 "\"\n");
  std::string why;
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  // A CSV row of two 9 MB fields: each under the reader's 16 MiB field limit (an NDJSON line
  // has the same limit), the row over the packet.
  const std::string big(9 * 1000 * 1000, 'z');
  auto data = node.write("input/oversized.csv", "invoice,a,b\nP-1," + big + "," + big + "\n");
  auto tpl = node.write("input/oversized.mustache", "{{invoice}}\n");
  auto res = submit(node, job(data, tpl, "txt"), 180s);
  BOOST_TEST(res.exit_code == 1, "exit " << res.exit_code << ": " << res.err << "\n" << res.out);
  BOOST_TEST(contains(res.err, "failed"), res.err);
  BOOST_TEST(contains(res.err, "oversized.csv: row 1"), res.err);
  BOOST_TEST(contains(res.err, "max_allowed_packet = 16777216 bytes"), res.err);
  node_still_serves(node);
}
