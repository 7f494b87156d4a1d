// A job's callback_url: parsed and checked the same way at submit and at delivery
// (actors/planning/callback_url.hpp; docs/operations.md "Webhooks").
#define BOOST_TEST_MODULE callback_url_test
#include "actors/planning/callback_url.hpp"

#include <boost/test/unit_test.hpp>

using namespace weft::planning;

BOOST_AUTO_TEST_CASE(http_and_https_urls_are_taken_apart) {
  std::string problem;
  auto u = parse_callback_url("https://ERP.example.com/hooks/weft?x=1", problem);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->scheme == "https");
  BOOST_TEST(u->host == "erp.example.com");
  BOOST_TEST(u->port == 443);
  BOOST_TEST(u->target == "/hooks/weft?x=1");
  u = parse_callback_url("http://127.0.0.1:8081", problem);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->port == 8081);
  BOOST_TEST(u->target == "/");
  u = parse_callback_url("http://[::1]:9000/h", problem);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->host == "::1");
  BOOST_TEST(u->port == 9000);
}

BOOST_AUTO_TEST_CASE(other_schemes_and_odd_urls_are_refused_naming_why) {
  const std::pair<const char*, const char*> cases[] = {
      {"ftp://h/x", "scheme 'ftp' is not http or https"},
      {"file:///etc/passwd", "scheme 'file' is not http or https"},
      {"gopher://h", "scheme 'gopher'"},
      {"h/x", "not an http:// or https:// URL"},
      {"http://u:p@h/x", "user information"},
      {"http://h:0/", "port '0' is not 1..65535"},
      {"http://h:99999/", "port '99999'"},
      {"http://h:8a/", "port '8a'"},
      {"http:///x", "no host"},
      {"http://h/a b", "space or a control character"},
      {"http://h/x#frag", "fragment"},
  };
  for (const auto& [url, words] : cases) {
    std::string problem;
    BOOST_TEST(!parse_callback_url(url, problem), url);
    BOOST_TEST(problem.find(words) != std::string::npos, url << ": " << problem);
  }
  std::string problem;
  BOOST_TEST(!parse_callback_url("http://h/" + std::string(3000, 'a'), problem));
  BOOST_TEST(problem.find("2048") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(allowed_hosts_restrict_the_host_case_insensitively) {
  BOOST_TEST(callback_url_problem("http://anything.example/", "").empty());
  BOOST_TEST(
      callback_url_problem("http://ERP.example.com/x", " erp.example.com , 10.0.0.7").empty());
  BOOST_TEST(callback_url_problem("https://10.0.0.7:8443/", "erp.example.com,10.0.0.7").empty());
  auto p = callback_url_problem("http://169.254.169.254/latest", "erp.example.com");
  BOOST_TEST(p == "callback_url: host '169.254.169.254' is not in [webhooks].allowed_hosts");
  // Still a URL check first.
  BOOST_TEST(callback_url_problem("ftp://erp.example.com/", "erp.example.com").find("scheme") !=
             std::string::npos);
}
