// A node's client sessions are bounded ([limits], docs/configuration.md): at
// most max_sessions at once (more are refused with the key's name), each ends
// after session_idle_timeout without a request (its uploads removed), and a
// session's uploads are refused past max_upload_size with the partial file
// removed. One real `caf-node run` on the embedded default; the clients are
// gate_probe processes (tests/runtime/gate_probe.cpp) using the client code of
// `submit`.
#define BOOST_TEST_MODULE session_limits
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/shell_client.hpp"
#include "tests/support/solo_node.hpp"
#include "tests/support/test_port.hpp"

using namespace std::chrono_literals;
using weft::test::run_command;
using weft::test::temp_dir;

namespace {

const std::string limits =
    "[limits]\n"
    "max_sessions = 2\n"
    "session_idle_timeout = \"1s\"\n"
    "max_upload_size = 100000\n";

/// A node with the limits above, serving once constructed.
struct limited_node : weft::test::solo_node {
  limited_node() : solo_node("session-limits") { start(limits); }
  std::string files() const { return dir.path() + "/files"; }
  weft::test::run_result probe(std::vector<std::string> args) const {
    args.insert(args.begin(), GATE_PROBE);
    return run_command(args, 60s);
  }
  std::string secret = dir.path() + "/cluster.secret";
};
}  // namespace

BOOST_AUTO_TEST_CASE(sessions_past_max_sessions_are_refused_and_freed_ones_count_again) {
  limited_node n;
  // The sessions of the shells that saw the node start end within milliseconds
  // of their exit; until then they count too, so the probe may have to repeat.
  weft::test::run_result r;
  weft::test::wait_until(
      [&] {
        r = n.probe({"sessions", n.address(), n.secret, "3"});
        return r.out.find("opened 2") != std::string::npos;
      },
      20s);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(r.out.find("opened 1") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("opened 2") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("refused 3") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("limits.max_sessions") != std::string::npos, r.out);
  // The probe's sessions ended with it: two fit again.
  bool freed = weft::test::wait_until(
      [&] {
        auto again = n.probe({"sessions", n.address(), n.secret, "2"});
        return again.out.find("opened 2") != std::string::npos;
      },
      20s);
  BOOST_TEST(freed, n.node.tail());
  BOOST_TEST(n.node.running());
}

BOOST_AUTO_TEST_CASE(an_idle_session_ends_and_its_uploads_are_removed) {
  limited_node n;
  // Within the timeout the session answers; the upload is in the upload area.
  auto busy = n.probe({"idle", n.address(), n.secret, "200", n.files()});
  BOOST_TEST(busy.out.find("upload area: 1 files") != std::string::npos, busy.out << busy.err);
  BOOST_TEST(busy.out.find("after idle: answered") != std::string::npos, busy.out << busy.err);
  // Idle past session_idle_timeout (1 s): the session is gone, its upload too.
  auto idle = n.probe({"idle", n.address(), n.secret, "3000", n.files()});
  BOOST_TEST(idle.out.find("upload area: 1 files") != std::string::npos, idle.out << idle.err);
  BOOST_TEST(idle.out.find("after idle: error") != std::string::npos, idle.out << idle.err);
  BOOST_TEST(idle.out.rfind("upload area: 0 files") != std::string::npos, idle.out);
  BOOST_TEST(n.node.running());
}

BOOST_AUTO_TEST_CASE(an_upload_past_max_upload_size_is_refused_and_removed) {
  limited_node n;
  // 300 KB: the first 1 MiB chunk is already past the 100 000-byte cap...
  auto big = n.dir.write("big.csv", "id,name\n" + std::string(300000, 'x') + "\n");
  auto r = n.probe({"upload", n.address(), n.secret, big, n.files()});
  BOOST_TEST(r.out.find("upload error:") != std::string::npos, r.out << r.err);
  BOOST_TEST(r.out.find("limits.max_upload_size") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("left: 0 bytes in 0 files") != std::string::npos, r.out);
  // ...and `submit` says so too, with the refusal's exit code.
  auto tmpl = n.dir.write("t.mustache", "{{name}}\n");
  auto s = run_command({weft::test::caf_node_path(), "submit", "--connect", n.address(), "--config",
                        n.config, "--data", big, "--template", tmpl},
                       60s);
  BOOST_TEST(s.exit_code == 2, s.out << s.err);
  BOOST_TEST((s.out + s.err).find("limits.max_upload_size") != std::string::npos, s.out << s.err);
  // Below the cap an upload is taken.
  auto small = n.dir.write("small.csv", "id,name\n1,a\n");
  r = n.probe({"upload", n.address(), n.secret, small, n.files()});
  BOOST_TEST(r.out.find("uploaded") != std::string::npos, r.out << r.err);
  BOOST_TEST(n.node.running());
}

// Not a session, but the same front door: a stranger's hellos with a huge name
// full of terminal escapes are refused, and the node logs the name escaped and
// cut, at most 5 times per peer per 10 s.
BOOST_AUTO_TEST_CASE(bad_hellos_are_refused_and_logged_escaped_cut_and_rate_limited) {
  limited_node n;
  auto r = n.probe({"badhello", n.address(), "100"});
  BOOST_TEST(r.out.find("refused 100 of 100") != std::string::npos, r.out << r.err);
  const std::string mark = "refused client '";
  BOOST_TEST(weft::test::wait_until([&] { return n.node.count(mark) >= 5; }, 10s), n.node.tail());
  auto log = n.node.log();
  BOOST_TEST(n.node.count(mark) == 5, "100 refusals of one peer, 5 logged:\n" << n.node.tail());
  BOOST_TEST(log.find("\\x1b[31mEVIL\\x0a2026-01-01") != std::string::npos, n.node.tail());
  BOOST_TEST(log.find("\x1b[31mEVIL") == std::string::npos, "a raw ESC reached the log");
  BOOST_TEST(log.find("\n2026-01-01T00:00:00.000 INFO  [master] FORGED") == std::string::npos,
             "a forged line reached the log");
  BOOST_TEST(log.find("…(65596 bytes)") != std::string::npos, n.node.tail());
  BOOST_TEST(log.find(std::string(1000, 'A')) == std::string::npos, "the name was not cut");
  BOOST_TEST(n.node.running());
}

// An interactive shell that sat idle past session_idle_timeout finds its
// session gone; it connects again and its next command is answered.
BOOST_AUTO_TEST_CASE(a_shell_idle_past_the_timeout_connects_again) {
  limited_node n;
  auto script = "(echo nodes; sleep 3; echo nodes) | '" + std::string{weft::test::caf_node_path()} +
                "' shell --connect " + n.address() + " --config '" + n.config + "' --json";
  auto r = run_command({"/bin/sh", "-c", script}, 90s);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(weft::test::occurrences(r.out, "\"solo\"") >= 2, r.out << r.err);
  BOOST_TEST(n.node.running());
}
