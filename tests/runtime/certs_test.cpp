// runtime/certs: the files `caf-node certs` writes, their modes, and that the chain verifies
// with OpenSSL (X509_verify_cert) for the uses each certificate is for.
#define BOOST_TEST_MODULE certs
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "runtime/certs/certs.hpp"
#include "tests/support/child_process.hpp"

namespace certs = weft::certs;
using weft::test::temp_dir;

namespace {

int mode_of(const std::string& path) {
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

}  // namespace

BOOST_AUTO_TEST_CASE(ca_node_and_client_chain_verifies_with_the_right_purposes) {
  temp_dir tmp("certs");
  const auto dir = (tmp / "pki").string();
  auto ca = certs::create_ca(dir);
  BOOST_TEST(mode_of(dir) == 0700);
  BOOST_TEST(mode_of(ca.key_file) == 0600);
  BOOST_TEST(mode_of(ca.cert_file) == 0644);
  BOOST_TEST(ca.days == 3650);
  auto node = certs::create_node(dir, "ext1", {"10.0.0.11", "ext1.example.org"});
  BOOST_TEST(mode_of(node.key_file) == 0600);
  BOOST_TEST(node.days == 730);
  BOOST_TEST(node.subject.find("CN=ext1") != std::string::npos);
  std::vector<std::string> want{"DNS:ext1", "IP:10.0.0.11", "DNS:ext1.example.org"};
  BOOST_TEST(node.alt_names == want, boost::test_tools::per_element());
  auto client = certs::create_client(dir, "operator");
  BOOST_TEST(mode_of(client.key_file) == 0600);

  const auto ca_pem = ca.cert_file;
  BOOST_TEST(certs::verify(ca_pem, node.cert_file, "server") == "");
  BOOST_TEST(certs::verify(ca_pem, node.cert_file, "client") == "");
  BOOST_TEST(certs::verify(ca_pem, client.cert_file, "client") == "");
  // A client certificate is no server certificate.
  BOOST_TEST(certs::verify(ca_pem, client.cert_file, "server") != "");
}

BOOST_AUTO_TEST_CASE(a_certificate_of_another_ca_does_not_verify) {
  temp_dir tmp("certs");
  const auto a = (tmp / "a").string();
  const auto b = (tmp / "b").string();
  certs::create_ca(a);
  certs::create_ca(b);
  auto node = certs::create_node(b, "n1", {});
  BOOST_TEST(certs::verify(a + "/ca.pem", node.cert_file) ==
             "unable to get local issuer certificate");
  BOOST_TEST(certs::verify(b + "/ca.pem", node.cert_file) == "");
}

BOOST_AUTO_TEST_CASE(nothing_is_overwritten_and_bad_names_are_refused) {
  temp_dir tmp("certs");
  const auto dir = (tmp / "pki").string();
  BOOST_CHECK_EXCEPTION(certs::create_node(dir, "n1", {}), certs::cert_error,
                        [](const certs::cert_error& e) {
                          return std::string(e.what()).find("create-ca") != std::string::npos;
                        });
  certs::create_ca(dir);
  BOOST_CHECK_THROW(certs::create_ca(dir), certs::cert_error);
  auto first = certs::create_node(dir, "n1", {});
  BOOST_CHECK_EXCEPTION(certs::create_client(dir, "n1"), certs::cert_error,
                        [](const certs::cert_error& e) {
                          return std::string(e.what()).find("already exists") != std::string::npos;
                        });
  BOOST_TEST(certs::verify(dir + "/ca.pem", first.cert_file, "server") == "");
  BOOST_CHECK_THROW(certs::create_node(dir, "../evil", {}), certs::cert_error);
  BOOST_CHECK_THROW(certs::create_node(dir, "ca", {}), certs::cert_error);
  BOOST_CHECK_THROW(certs::create_node(dir, "n2", {"a b"}), certs::cert_error);
  BOOST_TEST(!std::filesystem::exists(dir + "/n2.key"));
}
