// The node's log file rotates at [log].max_size and keeps [log].max_files old
// files (runtime/logging.cpp), so that a flood of log lines cannot fill the disk.
#define BOOST_TEST_MODULE log_rotation
#include <spdlog/spdlog.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "runtime/logging.hpp"
#include "tests/support/child_process.hpp"

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(log_rotation)

BOOST_AUTO_TEST_CASE(the_log_file_rotates_at_max_size_and_keeps_max_files) {
  weft::test::temp_dir dir("logrot");
  weft::config::log_settings log;
  log.file = (dir / "node.log").string();
  log.max_size = 4096;
  log.max_files = 2;
  weft::runtime::init_logging(log, "rot");
  const std::string line(100, 'x');
  for (int i = 0; i < 400; ++i) spdlog::info("line {} {}", i, line);  // ~55 KB in all
  weft::runtime::shutdown_logging();
  BOOST_TEST(fs::exists(dir / "node.log"));
  BOOST_TEST(fs::exists(dir / "node.1.log"));
  BOOST_TEST(fs::exists(dir / "node.2.log"));
  BOOST_TEST(!fs::exists(dir / "node.3.log"), "only max_files old files are kept");
  for (const char* name : {"node.log", "node.1.log", "node.2.log"})
    BOOST_TEST(fs::file_size(dir / name) <= 4096u, name << " is larger than max_size");
  // The newest lines are in the current file.
  BOOST_TEST(weft::test::read_file((dir / "node.log").string()).find("line 399") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
