#define BOOST_TEST_MODULE shell_render
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "runtime/shell/command_line.hpp"
#include "runtime/shell/command_spec.hpp"
#include "runtime/shell/completion.hpp"
#include "runtime/shell/history.hpp"
#include "runtime/shell/render.hpp"
#include "runtime/shell/session.hpp"
#include "runtime/shell/shell_backend.hpp"
#include "runtime/shell/table.hpp"

namespace fs = std::filesystem;
using namespace weft::shell;
using nlohmann::json;

namespace {

/// A node that answers from a table of canned JSON, and records what it was asked.
struct fake_backend : shell_backend {
  struct call {
    std::string command;
    json args;
    std::chrono::milliseconds timeout;
  };
  std::map<std::string, json> answers;
  std::map<std::string, std::pair<int, std::string>> errors;  // command → exit code, message
  std::function<json(const std::string&, const json&)> answer_with;  // if set, asked first
  std::vector<call> calls;
  std::vector<std::string> submitted;

  json request(const std::string& command, const json& args,
               std::chrono::milliseconds timeout) override {
    calls.push_back({command, args, timeout});
    if (auto e = errors.find(command); e != errors.end())
      throw request_error(e->second.first, e->second.second);
    if (answer_with) return answer_with(command, args);
    auto a = answers.find(command);
    if (a == answers.end()) throw request_error(1, command + ": no canned answer");
    return a->second;
  }
  std::string node_name() const override { return "master"; }
  int submit(const std::vector<std::string>& args) override {
    submitted = args;
    return 0;
  }
  std::size_t asked(const std::string& command) const {
    std::size_t n = 0;
    for (const auto& c : calls) n += c.command == command;
    return n;
  }
};

const json nodes_answer = json::parse(R"({"nodes":[
  {"name":"master","role":"master","version":"0.1.0","address":"10.0.0.1:4242","state":"up",
   "merge_engines":4,"weaver_engines":2,"last_heartbeat":"2026-11-22 01:02:03.456",
   "heartbeat_age_ms":120},
  {"name":"extension-long-name","role":"extension","version":"0.1.0","address":"10.0.0.2:4242",
   "state":"lost","merge_engines":12,"weaver_engines":0,"last_heartbeat":"2026-11-22 01:01:00.000",
   "heartbeat_age_ms":63000},
  {"name":"ext2","role":"extension","version":"0.1.0","address":"10.0.0.3:4242",
   "state":"draining","merge_engines":2,"weaver_engines":1,"last_heartbeat":null,
   "heartbeat_age_ms":null}]})");

const json jobs_answer = json::parse(R"({"jobs":[
  {"id":7,"name":"invoices","state":"merging","class":"large","records":1000,"records_done":620,
   "merge":{"done":31,"total":50},"weave":{"done":0,"total":50},"error":"",
   "engines":{"merge":4,"weaver":2},"submitted_at":"2026-11-22 01:00:00.123456"},
  {"id":12,"name":"letters","state":"done","class":"small","records":3,"records_done":3,
   "merge":{"done":1,"total":1},"weave":{"done":1,"total":1},"error":"",
   "submitted_at":"2026-11-22 01:00:01.000000"},
  {"id":13,"name":"broken","state":"failed","class":"small","records":3,"records_done":0,
   "error":"template error","submitted_at":"2026-11-22 01:00:02.000000"}]})");

const json settings_answer = json::parse(R"({"settings":[
  {"key":"scheduler.max_records_small","value":"100","source":"default","set_by":null,"set_at":null},
  {"key":"scheduler.min_records_large","value":"10000","source":"topology","set_by":null,"set_at":null},
  {"key":"cleanup.schedule","value":"0 3 * * *","source":"set","set_by":"shell@10.0.0.9",
   "set_at":"2026-11-22 00:00:00.000"}]})");

struct shell_fixture {
  fake_backend node;
  std::ostringstream out, err;
  session_options options;

  shell_fixture() {
    node.answers["nodes"] = nodes_answer;
    node.answers["jobs"] = jobs_answer;
    node.answers["settings"] = settings_answer;
  }
  int run(const std::string& line) {
    session s(node, options, out, err);
    return s.execute(line);
  }
  std::vector<std::string> out_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(command_lines)

BOOST_AUTO_TEST_CASE(splits_words_and_keeps_quoted_blanks) {
  using v = std::vector<std::string>;
  BOOST_TEST(split_command_line("  nodes  ") == v{"nodes"});
  BOOST_TEST(split_command_line(R"(set cleanup.schedule "*/5 * * * *")") ==
             (v{"set", "cleanup.schedule", "*/5 * * * *"}));
  BOOST_TEST(split_command_line("set k 'a \"b\" c'") == (v{"set", "k", "a \"b\" c"}));
  BOOST_TEST(split_command_line(R"(set k "say \"hi\"")") == (v{"set", "k", "say \"hi\""}));
  BOOST_TEST(split_command_line(R"(set k a\ b)") == (v{"set", "k", "a b"}));
  BOOST_TEST(split_command_line(R"(set k x"y z"w)") == (v{"set", "k", "xy zw"}));
  BOOST_TEST(split_command_line(R"(set k "")") == (v{"set", "k", ""}));
  BOOST_TEST(split_command_line("").empty());
  BOOST_CHECK_THROW(split_command_line(R"(set k "open)"), usage_error);
}

BOOST_AUTO_TEST_CASE(splits_the_line_before_the_cursor_for_completion) {
  using v = std::vector<std::string>;
  BOOST_TEST(split_for_completion("dr") == v{"dr"});
  BOOST_TEST(split_for_completion("drain ") == (v{"drain", ""}));
  BOOST_TEST(split_for_completion("set \"sch") == (v{"set", "sch"}));
  BOOST_TEST(split_for_completion("") == v{""});
}

BOOST_AUTO_TEST_CASE(suggests_the_closest_command_for_a_typo) {
  BOOST_TEST(edit_distance("nods", "nodes") == 1u);
  BOOST_TEST(edit_distance("jbos", "jobs") == 1u);  // a swap is one edit
  BOOST_TEST(closest_match("nods", command_names()) == "nodes");
  BOOST_TEST(closest_match("setings", command_names()) == "settings");
  BOOST_TEST(closest_match("eng", command_names()) == "engines");  // an abbreviation
  BOOST_TEST(closest_match("xyzzy", command_names()) == "");

  shell_fixture f;
  BOOST_TEST(f.run("nods") == 2);
  BOOST_TEST(f.err.str() == "error: unknown command 'nods' \u2014 did you mean 'nodes'?\n");
  BOOST_TEST(f.node.calls.empty());
}

BOOST_AUTO_TEST_CASE(checks_arguments_before_asking_the_node) {
  BOOST_CHECK_THROW(parse_command("drain"), usage_error);
  BOOST_CHECK_THROW(parse_command("nodes extra"), usage_error);
  BOOST_CHECK_THROW(parse_command("job abc"), usage_error);
  BOOST_CHECK_THROW(parse_command("job 0"), usage_error);
  BOOST_CHECK_THROW(parse_command("cleanup status ext1"), usage_error);
  BOOST_CHECK_THROW(parse_command("logs ext1 -x"), usage_error);
  BOOST_CHECK_THROW(parse_command("logs -f"), usage_error);
  BOOST_CHECK_THROW(parse_command("set cleanup.schedule */5 * * * *"), usage_error);
  try {
    parse_command("engines merg");
    BOOST_FAIL("no usage_error");
  } catch (const usage_error& e) {
    BOOST_TEST(std::string{e.what()} == "unknown engine type 'merg' \u2014 did you mean 'merge'?");
    BOOST_TEST(e.usage == "engines [TYPE]");
  }
  auto logs = parse_command("logs -f ext1");
  BOOST_TEST(logs.args == (std::vector<std::string>{"ext1", "-f"}));
  BOOST_TEST(parse_command("   ").spec == nullptr);
  BOOST_TEST(parse_command("submit --data d.csv --template t.mustache --wait").args.size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rendering)

BOOST_AUTO_TEST_CASE(aligns_table_columns_by_their_content) {
  shell_fixture f;
  BOOST_TEST(f.run("nodes") == 0);
  auto lines = f.out_lines();
  BOOST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines[0].rfind("NAME                 ROLE       VERSION  ADDRESS        STATE", 0) ==
             0u);
  // Every column starts where its header starts.
  for (const char* header : {"ROLE", "STATE", "LAST HEARTBEAT"}) {
    auto column = lines[0].find(header);
    BOOST_TEST(lines[1].substr(column, 2) != "  ");
    BOOST_TEST(lines[1][column - 1] == ' ');
    BOOST_TEST(lines[2][column - 1] == ' ');
  }
  BOOST_TEST(lines[2].find("extension-long-name  extension") == 0u);
  // Numbers are right-aligned: the last digit sits under the header's end.
  auto merge_end = lines[0].find("MERGE") + 5;
  BOOST_TEST(lines[1].substr(merge_end - 1, 1) == "4");
  BOOST_TEST(lines[2].substr(merge_end - 2, 2) == "12");
  BOOST_TEST(lines[1].find("120 ms") != std::string::npos);
  BOOST_TEST(lines[2].find("1.1 min") != std::string::npos);
  BOOST_TEST(lines[3].find("draining") != std::string::npos);
  BOOST_TEST(lines[3].back() == '-');  // no heartbeat yet: no age
}

BOOST_AUTO_TEST_CASE(leaves_out_optional_columns_nobody_filled) {
  table t;
  t.column("ID", table::align::right).column("ERROR", table::align::left, true).column("STATE");
  t.row({"7", "", "done"}).row({"12", "", "failed"});
  std::ostringstream out;
  t.print(out, false);
  BOOST_TEST(out.str() == "ID  STATE\n 7  done\n12  failed\n");
  t.row({"13", "template error", "failed"});
  out.str("");
  t.print(out, false);
  BOOST_TEST(out.str().find("ID  ERROR           STATE\n") == 0u);
  BOOST_TEST(display_width("d\u00e9j\u00e0") == 4u);
}

BOOST_AUTO_TEST_CASE(colours_only_when_asked) {
  shell_fixture plain;
  plain.run("nodes");
  BOOST_TEST(plain.out.str().find('\033') == std::string::npos);

  shell_fixture coloured;
  coloured.options.colour = true;
  coloured.run("nodes");
  auto text = coloured.out.str();
  BOOST_TEST(text.find("\033[32mup\033[0m") != std::string::npos);
  BOOST_TEST(text.find("\033[31mlost\033[0m") != std::string::npos);
  BOOST_TEST(text.find("\033[33mdraining\033[0m") != std::string::npos);
  // The escapes do not count towards the widths: the same columns as plain.
  auto strip = [](std::string s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\033') {
        i = s.find('m', i);
        continue;
      }
      r += s[i];
    }
    return r;
  };
  BOOST_TEST(strip(text) == plain.out.str());
}

BOOST_AUTO_TEST_CASE(wants_no_colour_unless_stdout_is_a_terminal) {
  ::setenv("NO_COLOR", "1", 1);
  BOOST_TEST(!colour_wanted());
  ::unsetenv("NO_COLOR");
  if (::isatty(STDOUT_FILENO) == 0) BOOST_TEST(!colour_wanted());  // CTest: a pipe
  BOOST_TEST(paint("up", colour::green, false) == "up");
  BOOST_TEST(paint("up", colour::green, true) == "\033[32mup\033[0m");
}

BOOST_AUTO_TEST_CASE(draws_progress_bars_for_running_jobs) {
  BOOST_TEST(progress_bar(0.62) == "[#######.....]  62%");
  BOOST_TEST(progress_bar(0) == "[............]   0%");
  BOOST_TEST(progress_bar(1) == "[############] 100%");
  BOOST_TEST(progress_bar(1.5) == "[############] 100%");
  BOOST_TEST(progress_bar(0.5, 4) == "[##..]  50%");

  // Merging is the first half: 620 of 1000 records merged → 31%.
  BOOST_TEST(*job_progress(jobs_answer["jobs"][0]) == 0.31);
  // Weaving the second: 0.5 + half of the weave batches.
  auto weaving =
      json{{"state", "weaving"}, {"records", 10}, {"weave", {{"done", 1}, {"total", 4}}}};
  BOOST_TEST(*job_progress(weaving) == 0.625);
  // Record counts win over batch counts when the node sends them.
  auto counted = json{{"state", "weaving"}, {"records", 10}, {"merged", 10}, {"woven", 5}};
  BOOST_TEST(*job_progress(counted) == 0.75);
  BOOST_TEST(*job_progress(json{{"state", "queued"}}) == 0.0);
  BOOST_TEST(!job_progress(json{{"state", "done"}}));
  BOOST_TEST(!job_progress(json{{"state", "failed"}}));

  shell_fixture f;
  BOOST_TEST(f.run("jobs") == 0);
  auto lines = f.out_lines();
  BOOST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines[1].find("[###.........]  31%") != std::string::npos);
  BOOST_TEST(lines[1].find("4m 2w") != std::string::npos);
  BOOST_TEST(lines[1].find("2026-11-22 01:00:00") != std::string::npos);
  BOOST_TEST(lines[1].find(".123456") == std::string::npos);  // seconds only
  BOOST_TEST(lines[2].find('[') == std::string::npos);        // done: no bar
  BOOST_TEST(lines[3].find("template error") != std::string::npos);
  BOOST_TEST(f.node.calls.at(0).args == (json{{"state", ""}}));
}

BOOST_AUTO_TEST_CASE(shows_one_job_with_its_batches_and_outputs) {
  shell_fixture f;
  f.node.answers["job"] = json{{"job", jobs_answer["jobs"][0]},
                               {"batches", json::array({{{"type", "merge"},
                                                         {"batch", 0},
                                                         {"first", 1},
                                                         {"last", 20},
                                                         {"attempt", 2},
                                                         {"state", "done"},
                                                         {"engine", "ext1/merge/0"}}})},
                               {"outputs", json::array({{{"segment", 0},
                                                         {"path", "/files/out/invoices-0.pdf"},
                                                         {"format", "pdf"},
                                                         {"documents", 20},
                                                         {"pages", 40},
                                                         {"bytes", 1536}}})}};
  BOOST_TEST(f.run("job 7") == 0);
  auto text = f.out.str();
  BOOST_TEST(f.node.calls.at(0).args == (json{{"id", 7}}));
  BOOST_TEST(text.find("job 7 (invoices)") == 0u);
  BOOST_TEST(text.find("[###.........]  31%  merge 31/50, weave 0/50 batches") !=
             std::string::npos);
  BOOST_TEST(text.find("4 merge, 2 weaver") != std::string::npos);
  BOOST_TEST(text.find("ext1/merge/0") != std::string::npos);
  BOOST_TEST(text.find("/files/out/invoices-0.pdf") != std::string::npos);
  BOOST_TEST(text.find("1.5 KiB") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(renders_every_answer_of_the_contract) {
  shell_fixture f;
  f.node.answers["engines"] = json::parse(R"({"engines":[{"id":"ext1/merge/0","type":"merge",
      "node":"ext1","state":"busy","job":7,"batch":3,"batches_done":40,"mailbox":0}],
      "not_answering":["ext2"]})");
  f.node.answers["capacity"] = json::parse(R"({"capacity":[{"type":"merge","local":2,
      "expected_remote":6,"expected_explicit":true,"registered_remote":4,"active":6,"standby":0,
      "degraded":true}]})");
  f.node.answers["actors"] = json::parse(R"({"node":"ext1","actors":[
      {"name":"merge-0","role":"engine","id":42,"mailbox":3,"answering":true},
      {"name":"weaver-0","role":"engine","id":41,"mailbox":null,"answering":false,
       "why":"busy: no answer within 1 s"}]})");
  f.node.answers["cancel"] = json{{"id", 7}, {"state", "cancelled"}};
  f.node.answers["set"] =
      json{{"key", "cleanup.schedule"}, {"value", "*/5 * * * *"}, {"previous", "0 3 * * *"}};
  f.node.answers["drain"] = json{{"node", "ext1"}, {"draining", true}};
  f.node.answers["undrain"] = json{{"node", "ext1"}, {"draining", false}};
  f.node.answers["locks"] = json::parse(R"({"locks":[{"name":"cleanup","holder":"ext1",
      "token":9,"lock_until":"2026-11-22 01:10:00.000","acquired_at":"2026-11-22 01:00:00.000",
      "expired":false}]})");
  f.node.answers["cleanup_status"] = json::parse(R"({"sweeps":[{"id":3,"node":"master","token":9,
      "started_at":"2026-11-22 01:00:00.000","finished_at":"2026-11-22 01:00:01.000","status":"done",
      "error":null,"jobs_deleted":2,"records_deleted":200,"content_deleted":4,"outputs_deleted":2,
      "files_removed":6,"bytes_freed":3145728}]})");
  f.node.answers["cleanup_run"] =
      json{{"status", "skipped"}, {"holder", "ext1"}, {"lock_until", "2026-11-22 01:10:00.000"}};
  f.node.answers["config"] = json{{"node", "ext1"}, {"text", "[cluster]\nsecret = \"***\""}};

  auto ran = [&](const std::string& line, const std::string& expected) {
    f.out.str("");
    int code = f.run(line);
    bool found = f.out.str().find(expected) != std::string::npos;
    if (code != 0 || !found) BOOST_ERROR(line << " printed:\n" << f.out.str() << f.err.str());
  };
  ran("engines", "not answering: ext2");
  ran("engines merge", "ext1/merge/0");
  BOOST_TEST(f.node.calls.back().args == (json{{"type", "merge"}}));
  ran("capacity", "6 (set)");
  ran("capacity", "degraded: merge 4/6 remote engines");
  ran("actors ext1", "merge-0");
  BOOST_TEST(f.out.str().find("weaver-0") < f.out.str().find("merge-0"));  // by id
  BOOST_TEST(f.out.str().find("-  busy: no answer within 1 s") != std::string::npos);
  ran("cancel 7", "job 7: cancelled");
  ran(R"(set cleanup.schedule "*/5 * * * *")", "cleanup.schedule = */5 * * * *  (was 0 3 * * *)");
  BOOST_TEST(f.node.calls.back().args ==
             (json{{"key", "cleanup.schedule"}, {"value", "*/5 * * * *"}}));
  ran("settings", "cleanup.schedule");
  ran("drain ext1", "node ext1: draining");
  ran("undrain ext1", "node ext1: undrained");
  ran("locks", "cleanup");
  ran("cleanup status", "3.0 MiB");
  BOOST_TEST(f.node.calls.back().args == (json{{"limit", 20}}));
  ran("cleanup run", "skipped: the clean-up lease is held by ext1");
  BOOST_TEST(f.node.calls.back().args == (json{{"node", ""}}));
  BOOST_TEST(f.node.calls.back().timeout.count() == 15 * 60 * 1000);
  ran("cleanup run ext2", "skipped");
  BOOST_TEST(f.node.calls.back().args == (json{{"node", "ext2"}}));
  ran("config ext1", "secret = \"***\"\n");
  BOOST_TEST(f.err.str() == "");
}

BOOST_AUTO_TEST_CASE(the_masters_own_row_says_master_instead_of_a_heartbeat_age) {
  shell_fixture f;
  f.node.answers["nodes"] = json::parse(R"({"nodes":[
      {"name":"master","role":"master","version":"0.1.0","address":"10.0.0.1:4242",
       "state":"up","merge_engines":4,"weaver_engines":2,"last_heartbeat":null,
       "heartbeat_age_ms":null,"is_master":true},
      {"name":"ext1","role":"extension","version":"0.1.0","address":"10.0.0.2:4242",
       "state":"up","merge_engines":2,"weaver_engines":1,
       "last_heartbeat":"2026-11-22 01:02:03.456","heartbeat_age_ms":120}]})");
  BOOST_TEST(f.run("nodes") == 0);
  const auto text = f.out.str();
  const auto master =
      text.substr(text.find("\nmaster"), text.find("\next1") - text.find("\nmaster"));
  BOOST_TEST(master.find("(master)") != std::string::npos, text);
  BOOST_TEST(text.find("120 ms") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(token_commands_send_their_arguments_and_show_the_token_once) {
  shell_fixture f;
  f.node.answers["token_create"] = json{{"name", "billing"},
                                        {"scope", "submit"},
                                        {"expires_in", "720h"},
                                        {"token", "weft_" + std::string(64, 'a')},
                                        {"webhook_secret", "whsec_" + std::string(64, 'b')}};
  f.node.answers["token_list"] = json::parse(R"({"tokens":[{"name":"billing","scope":"submit",
      "created_at":"2026-11-29 01:00:00.000","expires_at":"","revoked_at":"","state":"valid"},
      {"name":"old","scope":"read","created_at":"2026-11-01 01:00:00.000","expires_at":"",
      "revoked_at":"2026-11-02 01:00:00.000","state":"revoked"}]})");
  f.node.answers["token_revoke"] = json{{"name", "old"}, {"revoked", true}};
  BOOST_TEST(f.run("token create billing --scope submit --expires 720h") == 0);
  BOOST_TEST(f.node.calls.back().command == "token_create");
  BOOST_TEST(f.node.calls.back().args ==
             (json{{"name", "billing"}, {"scope", "submit"}, {"expires", "720h"}}));
  BOOST_TEST(f.out.str().find("token:                  weft_aaaa") != std::string::npos);
  BOOST_TEST(f.out.str().find("webhook signing secret: whsec_bbbb") != std::string::npos);
  BOOST_TEST(f.out.str().find("expires in 720h") != std::string::npos);
  f.out.str("");
  BOOST_TEST(f.run("token list") == 0);
  BOOST_TEST(f.node.calls.back().command == "token_list");
  BOOST_TEST(f.out.str().find("billing  submit  valid") != std::string::npos);
  BOOST_TEST(f.out.str().find("weft_") == std::string::npos);  // never a token
  f.out.str("");
  BOOST_TEST(f.run("token revoke old") == 0);
  BOOST_TEST(f.node.calls.back().args == (json{{"name", "old"}}));
  BOOST_TEST(f.out.str() == "token 'old' revoked\n");
  // Usage errors never reach the node.
  const auto calls = f.node.calls.size();
  BOOST_TEST(f.run("token create") == 2);
  BOOST_TEST(f.run("token create billing") == 2);               // no --scope
  BOOST_TEST(f.run("token create billing --scope") == 2);       // no value
  BOOST_TEST(f.run("token create billing --colour red") == 2);  // unknown option
  BOOST_TEST(f.run("token revoke") == 2);
  BOOST_TEST(f.run("token rotate x") == 2);
  BOOST_TEST(f.run("token") == 2);
  BOOST_TEST(f.node.calls.size() == calls);
  BOOST_TEST(f.err.str().find("unknown token action 'rotate'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prints_the_json_answer_as_is_with_json) {
  shell_fixture f;
  f.options.json = true;
  f.options.colour = true;  // --json wins: no decoration at all
  BOOST_TEST(f.run("nodes") == 0);
  BOOST_TEST(f.out.str() == nodes_answer.dump() + "\n");
  BOOST_TEST(json::parse(f.out.str()) == nodes_answer);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exit_codes)

BOOST_AUTO_TEST_CASE(answers_0_1_2_for_ok_failed_and_bad_usage) {
  shell_fixture f;
  BOOST_TEST(f.run("nodes") == 0);
  BOOST_TEST(f.run("") == 0);
  BOOST_TEST(f.run("# a comment") == 0);

  f.node.errors["job"] = {1, "job 99: no such job"};
  BOOST_TEST(f.run("job 99") == 1);
  BOOST_TEST(f.err.str() == "error: job 99: no such job\n");

  f.node.errors["locks"] = {1, "locks: node 127.0.0.1:4242 did not answer within 10000 ms"};
  BOOST_TEST(f.run("locks") == 1);

  f.node.errors["capacity"] = {2, "capacity: refused: not authenticated"};
  BOOST_TEST(f.run("capacity") == 2);

  f.node.answers["actors"] = json::array();  // an answer of another shape
  BOOST_TEST(f.run("actors ext1") == 1);

  f.err.str("");
  BOOST_TEST(f.run("drain") == 2);
  BOOST_TEST(f.err.str() == "error: 'drain' wants more arguments\nusage: drain NODE\n");
  BOOST_TEST(f.run("nods") == 2);
  BOOST_TEST(f.run("job x") == 2);
  BOOST_TEST(f.run("set k \"open") == 2);
}

BOOST_AUTO_TEST_CASE(runs_piped_commands_until_quit) {
  fake_backend node;
  node.answers["nodes"] = nodes_answer;
  std::ostringstream out, err;
  session s(node, {}, out, err);
  std::istringstream script("nodes\n\nnods\nnodes\nquit\nnodes\n");
  BOOST_TEST(s.run_stream(script) == 2);  // the last failure: the typo
  BOOST_TEST(s.finished());
  BOOST_TEST(node.asked("nodes") == 2u);                     // not the one after quit
  BOOST_TEST(out.str().find("weft:") == std::string::npos);  // no prompt
  BOOST_TEST(s.prompt() == "weft:master> ");
}

BOOST_AUTO_TEST_CASE(hands_submit_to_the_backend) {
  shell_fixture f;
  BOOST_TEST(f.run("submit --data 'my data.csv' --template t.mustache --wait") == 0);
  BOOST_TEST(f.node.submitted == (std::vector<std::string>{"--data", "my data.csv", "--template",
                                                           "t.mustache", "--wait"}));
}

BOOST_AUTO_TEST_CASE(lists_commands_and_explains_one) {
  shell_fixture f;
  BOOST_TEST(f.run("help") == 0);
  for (const auto& s : command_specs())
    if (s.name != "exit") BOOST_TEST(f.out.str().find("  " + s.usage) != std::string::npos);
  f.out.str("");
  BOOST_TEST(f.run("help set") == 0);
  BOOST_TEST(f.out.str().find("usage: set KEY VALUE") == 0u);
  BOOST_TEST(f.run("help nods") == 2);
  BOOST_TEST(f.err.str().find("did you mean 'nodes'?") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logs)

BOOST_AUTO_TEST_CASE(prints_recent_lines_then_follows_until_ctrl_c) {
  shell_fixture f;
  f.options.follow_interval = std::chrono::milliseconds(1);
  int polls = 0;
  f.node.answer_with = [&](const std::string&, const json& args) {
    long long after = args.at("after");
    if (after == 0)
      return json{{"node", "ext1"},
                  {"lines", {{{"seq", 1}, {"text", "one"}}, {{"seq", 2}, {"text", "two"}}}},
                  {"next", 2}};
    if (++polls == 3) std::raise(SIGINT);  // the operator presses Ctrl-C
    if (polls == 2)
      return json{{"node", "ext1"}, {"lines", {{{"seq", 3}, {"text", "three"}}}}, {"next", 3}};
    return json{{"node", "ext1"}, {"lines", json::array()}, {"next", after}};
  };
  BOOST_TEST(f.run("logs ext1 -f") == 0);
  BOOST_TEST(f.out.str() == "one\ntwo\nthree\n\n");
  BOOST_TEST(polls == 3);
  BOOST_TEST(f.node.calls.at(1).args == (json{{"node", "ext1"}, {"after", 2}, {"max", 200}}));
  BOOST_TEST(f.node.calls.at(3).args.at("after") == 3);
  // The handler is gone again: SIGINT has its old disposition.
  struct sigaction now {};
  ::sigaction(SIGINT, nullptr, &now);
  BOOST_TEST(now.sa_handler == SIG_DFL);
}

BOOST_AUTO_TEST_CASE(pages_to_the_latest_lines) {
  shell_fixture f;
  f.options.log_lines = 3;
  f.node.answer_with = [&](const std::string&, const json& args) {
    long long after = args.at("after");
    json lines = json::array();
    for (long long s = after + 1; s <= std::min(after + 200, 450LL); ++s)
      lines.push_back({{"seq", s}, {"text", "line " + std::to_string(s)}});
    return json{{"node", "ext1"}, {"lines", lines}, {"next", std::min(after + 200, 450LL)}};
  };
  BOOST_TEST(f.run("logs ext1") == 0);
  BOOST_TEST(f.out.str() == "line 448\nline 449\nline 450\n");
  BOOST_TEST(f.node.calls.size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completion)

BOOST_AUTO_TEST_CASE(completes_commands_and_their_arguments) {
  fake_backend node;
  node.answers["nodes"] = nodes_answer;
  node.answers["jobs"] = jobs_answer;
  node.answers["settings"] = settings_answer;
  completion_cache cache(node);
  list_provider lists = [&](arg_kind k) { return cache(k); };
  using v = std::vector<std::string>;
  BOOST_TEST(complete_line("dr", lists) == v{"drain"});
  BOOST_TEST(complete_line("c", lists) == (v{"cancel", "capacity", "cleanup", "config"}));
  BOOST_TEST(complete_line("drain ", lists) == (v{"ext2", "extension-long-name", "master"}));
  BOOST_TEST(complete_line("drain e", lists) == (v{"ext2", "extension-long-name"}));
  BOOST_TEST(complete_line("job ", lists) == (v{"12", "13", "7"}));
  BOOST_TEST(complete_line("set sch", lists) ==
             (v{"scheduler.max_records_small", "scheduler.min_records_large"}));
  BOOST_TEST(complete_line("set cleanup.schedule ", lists).empty());  // a value: free text
  BOOST_TEST(complete_line("cleanup ", lists) == (v{"run", "status"}));
  BOOST_TEST(complete_line("cleanup run m", lists) == v{"master"});
  BOOST_TEST(complete_line("cleanup status ", lists).empty());
  BOOST_TEST(complete_line("engines ", lists) == (v{"merge", "weaver"}));
  BOOST_TEST(complete_line("jobs f", lists) == v{"failed"});
  BOOST_TEST(complete_line("logs ", lists).size() == 3u);
  BOOST_TEST(complete_line("logs ext2 ", lists) == v{"-f"});
  BOOST_TEST(complete_line("logs -f m", lists) == v{"master"});
  BOOST_TEST(complete_line("help dr", lists) == v{"drain"});
  BOOST_TEST(complete_line("submit --d", lists) ==
             (v{"--data", "--data-encoding", "--data-format"}));
  BOOST_TEST(complete_line("submit --csv-d", lists) == v{"--csv-delimiter"});
  BOOST_TEST(complete_line("nodes ", lists).empty());
  BOOST_TEST(complete_line("nosuch ", lists).empty());
  // The lists are kept for a while: TAB twice asks the node once.
  BOOST_TEST(node.asked("nodes") == 1u);
  BOOST_TEST(node.calls.at(0).timeout.count() == 2000);
}

BOOST_AUTO_TEST_CASE(offers_nothing_when_the_node_cannot_answer) {
  fake_backend node;
  node.errors["nodes"] = {1, "timeout"};
  completion_cache cache(node, std::chrono::milliseconds(0));
  BOOST_TEST(complete_line("drain ", [&](arg_kind k) { return cache(k); }).empty());
  BOOST_TEST(complete_line("dr", {}) == std::vector<std::string>{"drain"});  // no node needed
}

BOOST_AUTO_TEST_CASE(completes_through_the_session) {
  shell_fixture f;
  session s(f.node, {}, f.out, f.err);
  BOOST_TEST(s.complete("undrain ex").size() == 2u);
  BOOST_TEST(s.complete("set cleanup.") == std::vector<std::string>{"cleanup.schedule"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(history_file)

BOOST_AUTO_TEST_CASE(keeps_no_blank_lines_and_no_duplicates) {
  history h("");
  BOOST_TEST(h.add("nodes"));
  BOOST_TEST(!h.add("   "));
  BOOST_TEST(!h.add(""));
  BOOST_TEST(!h.add("nodes"));
  BOOST_TEST(!h.add("nodes  "));  // completion's trailing blank
  BOOST_TEST(h.add("jobs"));
  BOOST_TEST(h.add("nodes"));  // moves to the end
  BOOST_TEST(h.entries() == (std::vector<std::string>{"jobs", "nodes"}));
  history small("", 2);
  for (auto c : {"a", "b", "c"}) small.add(c);
  BOOST_TEST(small.entries() == (std::vector<std::string>{"b", "c"}));
}

BOOST_AUTO_TEST_CASE(writes_and_reads_its_file) {
  auto dir = fs::temp_directory_path() / ("weft_shell_history_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto path = (dir / "history").string();
  {
    history h(path);
    BOOST_TEST(h.load());  // missing: empty
    h.add("nodes");
    h.add(R"(set cleanup.schedule "*/5 * * * *")");
    BOOST_TEST(h.save());
  }
  history again(path);
  BOOST_TEST(again.load());
  BOOST_TEST(again.entries() ==
             (std::vector<std::string>{"nodes", R"(set cleanup.schedule "*/5 * * * *")"}));
  {
    std::ofstream libedit(path);
    libedit << "_HiStOrY_V2_\njobs\\040done\n";
  }
  BOOST_TEST(again.load());
  BOOST_TEST(again.entries() == std::vector<std::string>{"jobs done"});
  history nowhere((dir / "no" / "such" / "dir").string());
  nowhere.add("nodes");
  BOOST_TEST(!nowhere.save());
  fs::remove_all(dir);
  BOOST_TEST(history::default_path().find(".weft_history") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
