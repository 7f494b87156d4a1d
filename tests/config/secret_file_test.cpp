#define BOOST_TEST_MODULE config_secret_file
#include "config/secret_file.hpp"

#include <boost/test/unit_test.hpp>

#include "config/config_error.hpp"
#include "tests/config/test_support.hpp"

using weft::config::config_error;
using weft::config::read_secret_file;
using weft::config::test::scratch_dir;

namespace {

std::string reason_for(const std::string& path) {
  try {
    read_secret_file(path);
  } catch (const config_error& e) {
    BOOST_TEST(e.line == 0);
    return e.reason;
  }
  return "no error";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secret_files)

BOOST_AUTO_TEST_CASE(reads_a_private_file_without_its_trailing_newline) {
  scratch_dir dir;
  BOOST_TEST(read_secret_file(dir.write("s", "top secret\n")) == "top secret");
  BOOST_TEST(read_secret_file(dir.write("s", "line\r\n\n")) == "line");
}

BOOST_AUTO_TEST_CASE(rejects_a_missing_file) {
  scratch_dir dir;
  BOOST_TEST(reason_for((dir / "nope").string()).find("No such file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_file) {
  scratch_dir dir;
  BOOST_TEST(reason_for(dir.write("s", "")).find("is empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_file_open_to_group_or_others_with_the_fix) {
  scratch_dir dir;
  for (mode_t mode : {0644, 0640, 0604, 0602, 0620}) {
    const auto path = dir.write("s", "x\n", mode);
    BOOST_TEST(reason_for(path).find("chmod 600 " + path) != std::string::npos, mode);
  }
}

BOOST_AUTO_TEST_CASE(rejects_a_directory) {
  scratch_dir dir;
  BOOST_TEST(reason_for(dir.path()).find("not a regular file") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
