#define BOOST_TEST_MODULE config_error
#include "config/config_error.hpp"

#include <boost/test/unit_test.hpp>

using weft::config::config_error;

BOOST_AUTO_TEST_SUITE(config_errors)

BOOST_AUTO_TEST_CASE(reads_file_line_column_key_and_reason) {
  const config_error e("weft.toml", 12, 5, "node[2].merge_engines", "expected an integer");
  BOOST_TEST(std::string(e.what()) == "weft.toml:12:5: node[2].merge_engines: expected an integer");
  BOOST_TEST(e.file == "weft.toml");
  BOOST_TEST(e.line == 12);
  BOOST_TEST(e.column == 5);
  BOOST_TEST(e.key == "node[2].merge_engines");
  BOOST_TEST(e.reason == "expected an integer");
}

BOOST_AUTO_TEST_CASE(leaves_out_unknown_line_and_column) {
  BOOST_TEST(std::string(config_error("t.toml", 0, 0, "node", "r").what()) == "t.toml: node: r");
  BOOST_TEST(std::string(config_error("t.toml", 3, 0, "k", "r").what()) == "t.toml:3: k: r");
}

BOOST_AUTO_TEST_CASE(leaves_out_an_unknown_key_or_file) {
  BOOST_TEST(std::string(config_error("t.toml", 3, 4, "", "r").what()) == "t.toml:3:4: r");
  BOOST_TEST(std::string(config_error("", 0, 0, "", "r").what()) == "r");
  BOOST_TEST(std::string(config_error("", 0, 0, "k", "r").what()) == "k: r");
}

BOOST_AUTO_TEST_SUITE_END()
