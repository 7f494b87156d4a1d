// The caf-node binary as an operator meets it: version, check and run on the
// embedded default, as a real process.
#define BOOST_TEST_MODULE caf_node_cli
#include <boost/test/unit_test.hpp>
#include <csignal>
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

std::string single_node_topology(uint16_t port) { return weft::test::solo_topology("solo", port); }

/// A `caf-node run` on the embedded default in a directory of its own, serving
/// (it answers the shell) once constructed.
struct serving_node : weft::test::solo_node {
  serving_node() : solo_node("cli") { start(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(version_names_weft_and_its_libraries) {
  auto r = run_command({CAF_NODE, "version"}, 10s);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Weft") != std::string::npos);
  BOOST_TEST(r.out.find("CAF: 0.17") != std::string::npos);
  BOOST_TEST(r.out.find("SOCI: 4.0") != std::string::npos);
  BOOST_TEST(r.out.find("MariaDB Connector/C: 3.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_command_is_bad_usage) {
  auto r = run_command({CAF_NODE, "frobnicate"}, 10s);
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(check_prints_effective_settings_without_the_secret) {
  temp_dir dir;
  dir.write("cluster.secret", "s3cr3t-do-not-print\n");
  auto cfg = dir.write("weft.toml", single_node_topology(4242));
  auto r = run_command({CAF_NODE, "check", "--config", cfg}, 10s);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("solo") != std::string::npos);
  BOOST_TEST(r.out.find("s3cr3t-do-not-print") == std::string::npos);
}

// Every malformed fixture of the config suite is refused by the binary with
// exit code 2 and a message that names the file. (The config suites check
// the line and key of each; this checks the binary's exit code and output.)
BOOST_AUTO_TEST_CASE(check_refuses_every_malformed_fixture_with_exit_code_2) {
  namespace fs = std::filesystem;
  auto fixtures = fs::path(WEFT_SOURCE_DIR) / "tests" / "config" / "fixtures";
  BOOST_REQUIRE(fs::is_directory(fixtures));
  temp_dir dir;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fixtures)) {
    auto name = entry.path().filename().string();
    if (name.rfind("bad_", 0) != 0 || entry.path().extension() != ".toml") continue;
    // Copy the fixture directory's secrets with safe modes: git keeps no modes.
    auto copy = fs::path(dir.path()) / name;
    fs::copy_file(entry.path(), copy, fs::copy_options::overwrite_existing);
    for (const auto& other : fs::directory_iterator(fixtures))
      if (other.path().extension() != ".toml" && other.is_regular_file()) {
        auto target = fs::path(dir.path()) / other.path().filename();
        fs::copy_file(other.path(), target, fs::copy_options::overwrite_existing);
        // open.* is the fixture for a secret readable by others; the rest are private.
        auto mode = fs::perms::owner_read | fs::perms::owner_write;
        if (other.path().filename().string().rfind("open.", 0) == 0)
          mode |= fs::perms::group_read | fs::perms::others_read;
        fs::permissions(target, mode);
      }
    auto r = run_command({CAF_NODE, "check", "--config", copy.string()}, 10s);
    BOOST_TEST_CONTEXT(name << ": " << r.err) {
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(r.err.find(name) != std::string::npos);
    }
    ++checked;
  }
  BOOST_TEST(checked >= 12);
}

BOOST_AUTO_TEST_CASE(run_refuses_a_bad_config_with_exit_code_2) {
  temp_dir dir;
  auto cfg = dir.write("weft.toml", "[cluster]\nname = 42\n");
  auto r = run_command({CAF_NODE, "run", "--config", cfg}, 10s);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("weft.toml:2") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(run_on_the_embedded_default_stops_on_sigterm_within_a_second) {
  serving_node n;
  BOOST_TEST(std::filesystem::exists(n.dir.path() + "/files/weft.db"));

  auto t0 = std::chrono::steady_clock::now();
  auto code = n.node.stop(5s);
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST_MESSAGE("stopped " << took.count() << " ms after SIGTERM");
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST(*code == 0, n.node.log());
  BOOST_TEST(took.count() < 1000);
}

BOOST_AUTO_TEST_CASE(run_stops_on_sigint_too) {
  serving_node n;
  n.node.signal(SIGINT);
  auto code = n.node.wait_exit(5s);
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST(*code == 0, n.node.log());
}

// Clients that follow the active master (docs/cluster.md "Master failover"): bad addresses
// are bad usage before anything is dialled; a list where no master answers fails (exit 1)
// once --reconnect-timeout-ms has passed, naming the addresses; a list with the single
// master and a dead address reaches the master and says so.
BOOST_AUTO_TEST_CASE(a_client_with_several_addresses_finds_the_master_or_gives_up_in_time) {
  temp_dir dir;
  auto secret = dir.write("cluster.secret", "a-secret-of-this-test\n");
  auto garbage = run_command(
      {CAF_NODE, "job", "1", "--connect", "127.0.0.1:4242,garbage", "--secret-file", secret}, 10s);
  BOOST_TEST(garbage.exit_code == 2);
  BOOST_TEST(garbage.err.find("--connect wants HOST:PORT, not 'garbage'") != std::string::npos,
             garbage.err);
  auto nowhere = run_command({CAF_NODE, "job", "1", "--secret-file", secret}, 10s);
  BOOST_TEST(nowhere.exit_code == 2);
  BOOST_TEST(
      nowhere.err.find("--connect HOST:PORT[,HOST:PORT...] or --topology F") != std::string::npos,
      nowhere.err);

  // Two reserved ports nobody listens on.
  const auto dead = "127.0.0.1:" + std::to_string(weft::test::reserve_port()) +
                    ",127.0.0.1:" + std::to_string(weft::test::reserve_port());
  auto t0 = std::chrono::steady_clock::now();
  auto none = run_command({CAF_NODE, "job", "1", "--connect", dead, "--secret-file", secret,
                           "--reconnect-timeout-ms", "1500"},
                          30s);
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  BOOST_TEST(none.exit_code == 1, none.err);
  BOOST_TEST(
      none.err.find("no active master among " + dead + " within 1500 ms") != std::string::npos,
      none.err);
  BOOST_TEST(took >= 1500);
  BOOST_TEST(took < 15000);

  serving_node n;
  const auto with_dead =
      "127.0.0.1:" + std::to_string(weft::test::reserve_port()) + "," + n.address();
  auto r = run_command(
      {CAF_NODE, "shell", "--connect", with_dead, "--config", n.config, "--json", "-c", "nodes"},
      30s);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("talking to the master 'solo' at " + n.address()) != std::string::npos,
             r.err);
  auto nodes = nlohmann::json::parse(r.out, nullptr, false);
  BOOST_REQUIRE(!nodes.is_discarded());
  BOOST_TEST(nodes["master"]["node"] == "solo", r.out);
  BOOST_TEST(nodes["nodes"][0]["active_master"] == true, r.out);
}
