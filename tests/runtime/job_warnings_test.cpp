// Layout warnings reach the job (docs/templates.md "Outside the subset") on one real node: a
// PDF job whose template uses CSS outside the subset after a multi-line section shows the
// warning once in `caf-node job ID` with the TEMPLATE's line:column, though each of its three
// output files (split_every 1) reported it; HTML that only a record's data brings is named by
// record; `submit --strict` fails the job naming the template line; `[jobs] max_warnings` caps
// the list and says so.
#define BOOST_TEST_MODULE job_warnings
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/solo_node.hpp"

using namespace std::chrono_literals;
using weft::test::run_command;

namespace {

const std::string sectioned_template =
    "<html><body>\n"                                  // 1
    "<table>\n"                                       // 2
    "{{#items}}\n"                                    // 3
    "<tr>\n"                                          // 4
    "<td>{{name}}</td>\n"                             // 5
    "</tr>\n"                                         // 6
    "{{/items}}\n"                                    // 7
    "</table>\n"                                      // 8
    "<p style=\"colour: red\">total {{total}}</p>\n"  // 9
    "<div>{{{note}}}</div>\n"                         // 10
    "</body></html>\n";

const std::string data =
    "{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}], \"total\": \"1\", \"note\": \"ok\"}\n"
    "{\"items\": [{\"name\": \"c\"}], \"total\": \"2\", \"note\": \"<blink>hi</blink>\"}\n"
    "{\"items\": [], \"total\": \"3\", \"note\": \"ok\"}\n";

struct warn_node : weft::test::solo_node {
  explicit warn_node(const std::string& extra = "") : solo_node("jobwarn") {
    start(extra);
    data_path = dir.write("in/data.ndjson", data);
  }
  weft::test::run_result submit(const std::string& tmpl, std::vector<std::string> more = {}) {
    auto t = dir.write("in/t.mustache", tmpl);
    std::vector<std::string> args{weft::test::caf_node_path(),
                                  "submit",
                                  "--connect",
                                  address(),
                                  "--config",
                                  config,
                                  "--data",
                                  data_path,
                                  "--template",
                                  t,
                                  "--format",
                                  "pdf",
                                  "--split-every",
                                  "1",
                                  "--wait"};
    args.insert(args.end(), more.begin(), more.end());
    return run_command(args, 120s);
  }
  nlohmann::json job(const std::string& id) {
    auto r = run_command(
        {weft::test::caf_node_path(), "job", "--connect", address(), "--config", config, id}, 60s);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
    return nlohmann::json::parse(r.out);
  }
  std::string data_path;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::size_t count_containing(const nlohmann::json& list, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& w : list)
    if (w.get<std::string>().find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_jobs_layout_warnings_are_stored_once_with_the_template_position) {
  warn_node n;
  auto r = n.submit(sectioned_template);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  // submit --wait prints them
  BOOST_TEST(r.err.find("template line 9:11: CSS: property \"colour\" is not supported") !=
                 std::string::npos,
             r.err);
  auto job = n.job(first_line(r.out));
  BOOST_TEST(job["state"] == "done");
  BOOST_TEST(job["outputs"].size() == 3u);  // three files, each reported the template's warning
  const auto& w = job["warnings"];
  BOOST_TEST_MESSAGE(w.dump(2));
  BOOST_TEST(count_containing(w, "template line 9:11: CSS: property \"colour\"") == 1u);
  BOOST_TEST(count_containing(w, "colour") == 1u);
  BOOST_TEST(count_containing(w, "record 2: line ") == 1u);
  BOOST_TEST(count_containing(w, "of its merged document: <blink> is not in the supported") == 1u);
  BOOST_TEST(n.serves(), n.node.tail());
}

BOOST_AUTO_TEST_CASE(submit_strict_fails_the_job_naming_the_template_line) {
  warn_node n;
  auto r = n.submit(sectioned_template, {"--strict"});
  BOOST_TEST(r.exit_code != 0, r.out << r.err);
  BOOST_TEST(r.err.find("failed") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("template line 9:11: CSS: property \"colour\" is not supported") !=
                 std::string::npos,
             r.err);
  auto job = n.job(first_line(r.out));
  BOOST_TEST(job["state"] == "failed");
  BOOST_TEST(job["error"].get<std::string>().find("template line 9:11") != std::string::npos,
             job.dump());
  BOOST_TEST(n.serves(), n.node.tail());
}

BOOST_AUTO_TEST_CASE(max_warnings_caps_the_list_and_says_so) {
  warn_node n("[jobs]\nmax_warnings = 2\n");
  std::string tmpl = "<html><body>\n";
  for (int i = 0; i < 6; ++i) tmpl += "<p style=\"prop" + std::to_string(i) + ": 1\">x</p>\n";
  tmpl += "</body></html>\n";
  auto r = n.submit(tmpl);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  auto job = n.job(first_line(r.out));
  const auto& w = job["warnings"];
  BOOST_TEST_MESSAGE(w.dump(2));
  BOOST_TEST(count_containing(w, "template line ") == 2u);
  BOOST_TEST(count_containing(w,
                              "more layout warnings were not kept (at most 2 per job, "
                              "jobs.max_warnings)") == 1u);
  BOOST_TEST(count_containing(w, "prop") == 2u);  // the other four are counted, not listed
}

// Bad input through a running node: a missing image, a file that is no image, an invalid
// barcode value — each fails its job with the template's line, and the node serves on (the next
// job is done).
BOOST_AUTO_TEST_CASE(a_bad_resource_fails_the_job_naming_the_template_line_and_the_node_serves_on) {
  warn_node n;
  const std::string head = "<html><body>\n<h1>{{total}}</h1>\n";
  struct bad_case {
    std::string body;
    std::string error;
  };
  const std::vector<bad_case> cases = {
      {"<p>a</p>\n  <img src=\"logo.png\">\n",
       "template line 4:3: <img src=\"logo.png\">: the job has no resources directory"},
      {"<barcode type=\"ean13\" value=\"12AB\"></barcode>\n", "template line 3:1: "},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.error) {
      auto r = n.submit(head + c.body + "</body></html>\n");
      BOOST_TEST(r.exit_code != 0, r.out << r.err);
      BOOST_TEST(r.err.find(c.error) != std::string::npos, r.err);
      auto job = n.job(first_line(r.out));
      BOOST_TEST(job["state"] == "failed");
      BOOST_TEST(job["error"].get<std::string>().find(c.error) != std::string::npos, job.dump());
    }
  }
  // with resources: a file that starts like a PNG (so the upload takes it) but is none
  const auto res =
      n.dir.write("in/res/broken.png", std::string("\x89PNG\r\n\x1a\n", 8) + "garbage");
  const auto res_dir = std::filesystem::path(res).parent_path().string();
  auto r = n.submit(head + "<img src=\"broken.png\">\n</body></html>\n", {"--resources", res_dir});
  BOOST_TEST(r.exit_code != 0, r.out << r.err);
  BOOST_TEST(r.err.find("template line 3:1: <img src=\"broken.png\">: not a valid PNG image") !=
                 std::string::npos,
             r.err);
  r = n.submit(head + "<p>fine</p>\n</body></html>\n");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(n.job(first_line(r.out))["state"] == "done");
  BOOST_TEST(n.serves(), n.node.tail());
}
