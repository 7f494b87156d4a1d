// The test port allocator (tests/support/test_port.hpp, scripts/test_port.sh):
// ports reserved at the same moment by several processes, C++ and shell, are
// never the same and never in the kernel's ephemeral range.
#define BOOST_TEST_MODULE test_port
#include "tests/support/test_port.hpp"

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <set>
#include <sstream>

#include "tests/support/child_process.hpp"

using namespace std::chrono_literals;
using namespace weft::test;

namespace {

std::vector<int> numbers(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  for (int n; in >> n;) out.push_back(n);
  return out;
}

/// Starts `argv` (it prints `count` ports and holds them), waits until it has
/// printed them all; the ports.
struct holder {
  holder(std::vector<std::string> argv, const temp_dir& dir, const std::string& name)
      : process(std::move(argv), dir.path() + "/" + name) {}
  child_process process;
  std::vector<int> ports() const { return numbers(process.stdout_text()); }
};

bool ephemeral(int port) {
  const auto [lo, hi] = test_port_pool().ephemeral;
  return port >= lo && port <= hi;
}

/// No port in `sets` twice, none in the ephemeral range.
void check_apart(const std::vector<std::vector<int>>& sets) {
  std::set<int> all;
  std::size_t total = 0;
  for (const auto& ports : sets) {
    for (int p : ports) {
      BOOST_TEST(!ephemeral(p), p << " lies in the ephemeral range");
      BOOST_TEST(p >= 1024);
      BOOST_TEST(p <= 65535);
      all.insert(p);
      ++total;
    }
  }
  BOOST_TEST(all.size() == total, total - all.size() << " ports were handed out twice");
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_pool_leaves_out_the_ephemeral_range) {
  const auto pool = test_port_pool();
  BOOST_TEST_MESSAGE("ephemeral " << pool.ephemeral.first << "-" << pool.ephemeral.second);
  BOOST_REQUIRE(!pool.ranges.empty());
  for (const auto& [from, to] : pool.ranges) {
    BOOST_TEST(from <= to);
    BOOST_TEST(!(from <= pool.ephemeral.second && to >= pool.ephemeral.first));
  }
}

BOOST_AUTO_TEST_CASE(one_process_never_hands_out_a_port_twice) {
  std::vector<int> ports;
  for (int i = 0; i < 100; ++i) ports.push_back(reserve_port());
  BOOST_TEST(ports.size() == 100u);
  check_apart({ports});
}

BOOST_AUTO_TEST_CASE(two_processes_reserving_200_ports_at_once_share_none) {
  temp_dir dir;
  holder a({WEFT_TEST_PORT, "100", "--hold"}, dir, "a");
  holder b({WEFT_TEST_PORT, "100", "--hold"}, dir, "b");
  BOOST_REQUIRE_MESSAGE(
      wait_until([&] { return a.ports().size() == 100 && b.ports().size() == 100; }, 60s),
      "a: " << a.process.stderr_text() << " b: " << b.process.stderr_text());
  // While both hold theirs, this process gets others too.
  std::vector<int> mine;
  for (int i = 0; i < 20; ++i) mine.push_back(reserve_port());
  check_apart({a.ports(), b.ports(), mine});
  a.process.signal(SIGTERM);
  b.process.signal(SIGTERM);
  BOOST_TEST(a.process.wait_for(10s).value_or(-1) == 0);
  BOOST_TEST(b.process.wait_for(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(the_shell_helper_and_a_test_process_share_none) {
  temp_dir dir;
  const std::string script = "set -eu; . '" WEFT_SOURCE_DIR
                             "/scripts/test_port.sh'; for i in $(seq 100); do weft_test_port p; "
                             "echo $p; done; exec sleep 600";
  holder shell({"/bin/bash", "-c", script}, dir, "shell");
  holder cxx({WEFT_TEST_PORT, "100", "--hold"}, dir, "cxx");
  BOOST_REQUIRE_MESSAGE(
      wait_until([&] { return shell.ports().size() == 100 && cxx.ports().size() == 100; }, 120s),
      "shell: " << shell.process.stderr_text() << " cxx: " << cxx.process.stderr_text());
  check_apart({shell.ports(), cxx.ports()});
  // The shell's locks outlive the script (its `sleep` holds them): a new process
  // does not get its ports.
  holder late({WEFT_TEST_PORT, "50", "--hold"}, dir, "late");
  BOOST_REQUIRE(wait_until([&] { return late.ports().size() == 50; }, 60s));
  const auto reserved = shell.ports();
  const std::set<int> shells(reserved.begin(), reserved.end());
  for (int p : late.ports()) BOOST_TEST(!shells.count(p), p << " was reserved by the shell");
}
