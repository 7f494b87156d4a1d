#define BOOST_TEST_MODULE config_endpoint
#include "config/endpoint.hpp"

#include <boost/test/unit_test.hpp>

#include "config/config_error.hpp"

using weft::config::config_error;
using weft::config::is_wildcard_host;
using weft::config::parse_endpoint;

BOOST_AUTO_TEST_SUITE(endpoints)

BOOST_AUTO_TEST_CASE(parses_host_and_port) {
  const auto e = parse_endpoint("10.0.0.10:4242");
  BOOST_TEST(e.host == "10.0.0.10");
  BOOST_TEST(e.port == 4242);
  BOOST_TEST(e.to_string() == "10.0.0.10:4242");
  BOOST_TEST(parse_endpoint("db.example.org:3306").host == "db.example.org");
  BOOST_TEST(parse_endpoint("h:1").port == 1);
  BOOST_TEST(parse_endpoint("h:65535").port == 65535);
}

BOOST_AUTO_TEST_CASE(parses_bracketed_ipv6_hosts) {
  const auto e = parse_endpoint("[::1]:4242");
  BOOST_TEST(e.host == "::1");
  BOOST_TEST(e.port == 4242);
  BOOST_TEST(e.to_string() == "[::1]:4242");
}

BOOST_AUTO_TEST_CASE(rejects_missing_or_out_of_range_parts) {
  for (const char* bad :
       {"", "host", "host:", ":4242", "host:0", "host:65536", "host:70000", "host:-1", "host:42a",
        "::1:4242", "[::1]4242", "[::1", "a b:1", "host:123456"})
    BOOST_CHECK_THROW(parse_endpoint(bad), config_error);
}

BOOST_AUTO_TEST_CASE(names_the_text_in_the_error) {
  try {
    parse_endpoint("127.0.0.1:70000");
    BOOST_FAIL("no error");
  } catch (const config_error& e) {
    BOOST_TEST(e.reason.find("127.0.0.1:70000") != std::string::npos);
    BOOST_TEST(e.reason.find("1..65535") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(knows_which_hosts_cannot_be_dialled) {
  BOOST_TEST(is_wildcard_host("0.0.0.0"));
  BOOST_TEST(is_wildcard_host("::"));
  BOOST_TEST(is_wildcard_host(""));
  BOOST_TEST(!is_wildcard_host("127.0.0.1"));
  BOOST_TEST(!is_wildcard_host("10.0.0.10"));
}

BOOST_AUTO_TEST_SUITE_END()
