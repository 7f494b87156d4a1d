// The interactive shell through a real pseudo-terminal (expect): line editing,
// completion and history as an operator uses them, against a running master.
#define BOOST_TEST_MODULE shell_pty
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

BOOST_AUTO_TEST_CASE(completion_history_and_suggestions_in_an_interactive_session) {
  test_cluster c(cluster_options::master_only());
  c.start_master();
  temp_dir home;
  auto history = home.path() + "/history";
  auto r =
      run_command({EXPECT, SHELL_SESSION_EXP, CAF_NODE, c.connect(), c.topology(), history}, 120s);
  BOOST_TEST(r.exit_code == 0, "expect step " << r.exit_code << " failed:\n" << r.out << r.err);

  // The history file keeps the session's commands for the next one.
  std::ifstream in(history);
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str().find("nodes") != std::string::npos, text.str());
  BOOST_TEST(text.str().find("actors master") != std::string::npos, text.str());
}
