// Mutual TLS as an operator and an attacker on the same network meet it, with real caf-node
// processes on loopback: `caf-node certs`, a TLS node serving a client that has a
// certificate of the cluster's CA, and refusing a plain-TCP peer, a client without TLS and a
// client whose certificate comes from another CA (each logged, the node serving on); `check`
// refusing a topology reachable from other machines without [tls].
#define BOOST_TEST_MODULE tls
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <stdexcept>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/sample_invoices.hpp"
#include "tests/support/shell_client.hpp"
#include "tests/support/solo_node.hpp"
#include "tests/support/test_port.hpp"

using namespace std::chrono_literals;
using weft::test::run_command;
using weft::test::run_result;
using weft::test::temp_dir;

namespace {

int mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

run_result certs(std::vector<std::string> args) {
  args.insert(args.begin(), {CAF_NODE, "certs"});
  return run_command(args, 30s);
}

std::string tls_table(const std::string& pki, const std::string& name) {
  return "[tls]\nca_file = \"" + pki + "/ca.pem\"\ncert_file = \"" + pki + "/" + name +
         ".pem\"\nkey_file = \"" + pki + "/" + name + ".key\"\n\n";
}

/// A one-node cluster on the embedded default with mutual TLS, serving (it answers a shell
/// that uses the topology's [tls]) once constructed; `pki` has the CA, the node's
/// certificate and a client certificate "operator".
struct tls_node : weft::test::solo_node {
  tls_node() : solo_node("tls") {
    for (auto args :
         std::vector<std::vector<std::string>>{{"create-ca", pki},
                                               {"create-node", pki, "solo", "--host", "127.0.0.1"},
                                               {"create-client", pki, "operator"}}) {
      auto r = certs(args);
      if (r.exit_code != 0) throw std::runtime_error("certs failed: " + r.out + r.err);
    }
    start(tls_table(pki, "solo"));
  }
  /// `caf-node shell -c CMD` with the secret and the given TLS options only.
  run_result shell_with(const std::vector<std::string>& tls_options) const {
    std::vector<std::string> argv{CAF_NODE,       "shell",         "--connect",
                                  address(),      "--secret-file", dir.path() + "/cluster.secret",
                                  "--timeout-ms", "5000"};
    argv.insert(argv.end(), tls_options.begin(), tls_options.end());
    argv.insert(argv.end(), {"--json", "-c", "nodes"});
    return run_command(argv, 30s);
  }

  std::string pki = dir.path() + "/pki";
};

/// Connects to 127.0.0.1:`port`, writes `bytes` in clear and waits (5 s) until the peer
/// closes the connection; whether it did.
bool plaintext_peer_is_dropped(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to the node");
  }
  (void)!::write(fd, bytes.data(), bytes.size());
  bool closed = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    const auto n = ::read(fd, buf, sizeof(buf));
    closed = n <= 0;  // an alert may come first; then end of stream or a reset
  }
  ::close(fd);
  return closed;
}

}  // namespace

BOOST_AUTO_TEST_CASE(certs_commands_write_private_keys_and_refuse_to_overwrite) {
  temp_dir dir("tls");
  const auto pki = dir.path() + "/pki";
  auto ca = certs({"create-ca", pki});
  BOOST_TEST(ca.exit_code == 0, ca.err);
  BOOST_TEST(ca.out.find("valid until") != std::string::npos, ca.out);
  BOOST_TEST(ca.out.find("3650 days") != std::string::npos, ca.out);
  auto node = certs({"create-node", pki, "ext1", "--host", "10.0.0.11", "--host", "ext1.lan"});
  BOOST_TEST(node.exit_code == 0, node.err);
  BOOST_TEST(node.out.find("IP:10.0.0.11") != std::string::npos, node.out);
  BOOST_TEST(node.out.find("DNS:ext1.lan") != std::string::npos, node.out);
  BOOST_TEST(node.out.find("730 days") != std::string::npos, node.out);
  auto client = certs({"create-client", pki, "alice"});
  BOOST_TEST(client.exit_code == 0, client.err);
  for (auto name : {"ca", "ext1", "alice"}) {
    BOOST_TEST(mode_of(pki + "/" + name + ".key") == 0600, name);
    BOOST_TEST(mode_of(pki + "/" + name + ".pem") == 0644, name);
  }
  const auto key_before = run_command({"/usr/bin/sha256sum", pki + "/ext1.key"}, 10s).out;
  auto again = certs({"create-node", pki, "ext1"});
  BOOST_TEST(again.exit_code == 2);
  BOOST_TEST(again.err.find("already exists") != std::string::npos, again.err);
  BOOST_TEST(run_command({"/usr/bin/sha256sum", pki + "/ext1.key"}, 10s).out == key_before);
  auto ca_again = certs({"create-ca", pki});
  BOOST_TEST(ca_again.exit_code == 2);
  // The chain verifies with OpenSSL's own tool too.
  auto verify = run_command({"/usr/bin/openssl", "verify", "-CAfile", pki + "/ca.pem", "-purpose",
                             "sslserver", pki + "/ext1.pem"},
                            10s);
  BOOST_TEST(verify.exit_code == 0, verify.out + verify.err);
}

BOOST_AUTO_TEST_CASE(a_client_with_a_certificate_of_the_cluster_runs_a_job) {
  tls_node n;
  BOOST_TEST(n.node.log().find("(mutual TLS)") != std::string::npos, n.node.tail());
  const auto out_dir = n.dir.path() + "/out";
  std::filesystem::create_directories(out_dir);
  auto r = run_command({CAF_NODE,        "submit",
                        "--connect",     n.address(),
                        "--secret-file", n.dir.path() + "/cluster.secret",
                        "--tls-ca",      n.pki + "/ca.pem",
                        "--tls-cert",    n.pki + "/operator.pem",
                        "--tls-key",     n.pki + "/operator.key",
                        "--data",        weft::test::invoices(50),
                        "--template",    weft::test::invoice_template(),
                        "--format",      "txt",
                        "--wait",        "--out",
                        out_dir},
                       120s);
  BOOST_TEST(r.exit_code == 0, r.out + r.err + n.node.tail());
  BOOST_TEST(r.out.find("50 documents") != std::string::npos, r.out);
}

// A client that exits without TLS's close_notify leaves an error in OpenSSL's per-thread queue
// of the node's I/O thread; CAF's openssl module does not clear it, and the next read on any
// other connection was taken for a failure and that connection closed (actors/transport.cpp).
BOOST_AUTO_TEST_CASE(clients_that_come_and_go_do_not_drop_a_waiting_client) {
  tls_node n;
  weft::test::child_process waiting({CAF_NODE, "submit", "--connect", n.address(), "--config",
                                     n.config, "--data", weft::test::invoices(3000), "--template",
                                     weft::test::invoice_template(), "--format", "pdf", "--wait"},
                                    n.dir.path() + "/waiting");
  BOOST_REQUIRE(weft::test::wait_until(
      [&] { return n.node.count("submitted by") >= 1 || !waiting.running(); }, 30s));
  for (int i = 0; i < 8 && waiting.running(); ++i) BOOST_TEST(n.serves(), n.node.tail());
  auto code = waiting.wait_for(120s);
  BOOST_REQUIRE(code.has_value());
  BOOST_TEST(*code == 0, waiting.stderr_text() + n.node.tail());
  BOOST_TEST(waiting.stdout_text().find("3000 documents") != std::string::npos,
             waiting.stdout_text() + waiting.stderr_text());
}

BOOST_AUTO_TEST_CASE(a_plaintext_peer_is_dropped_logged_and_the_node_serves_on) {
  tls_node n;
  BOOST_TEST(plaintext_peer_is_dropped(n.port, std::string("GET / HTTP/1.0\r\n\r\n")));
  BOOST_TEST(plaintext_peer_is_dropped(n.port, std::string(64, '\0') + "BASP?"));
  BOOST_TEST(n.serves(), n.node.tail());
  BOOST_TEST(
      weft::test::wait_until(
          [&] { return n.node.count("tls: refused a connection from 127.0.0.1:") >= 1; }, 5s),
      n.node.tail());
  // Once per peer address a minute: the second plaintext peer is not logged again.
  BOOST_TEST(n.node.count("tls: refused a connection from 127.0.0.1:") == 1, n.node.tail());
  BOOST_TEST(n.node.count("not a TLS client") == 1, n.node.tail());
}

BOOST_AUTO_TEST_CASE(a_client_without_tls_is_refused) {
  tls_node n;
  auto r = n.shell_with({});
  BOOST_TEST(r.exit_code != 0, r.out);
  BOOST_TEST(r.out.find("\"name\"") == std::string::npos, r.out);
  BOOST_TEST(n.serves(), n.node.tail());
}

BOOST_AUTO_TEST_CASE(a_client_with_a_certificate_of_another_ca_is_refused_and_logged) {
  tls_node n;
  const auto other = n.dir.path() + "/other";
  BOOST_REQUIRE(certs({"create-ca", other}).exit_code == 0);
  BOOST_REQUIRE(certs({"create-client", other, "mallory"}).exit_code == 0);
  // Trusting the node's CA but presenting another CA's certificate: the node refuses it.
  auto r = n.shell_with({"--tls-ca", n.pki + "/ca.pem", "--tls-cert", other + "/mallory.pem",
                         "--tls-key", other + "/mallory.key"});
  BOOST_TEST(r.exit_code != 0, r.out);
  BOOST_TEST(r.out.find("\"name\"") == std::string::npos, r.out);
  BOOST_TEST(weft::test::wait_until(
                 [&] {
                   return n.node.count("tls: refused a connection from 127.0.0.1:") >= 1 &&
                          n.node.count("certificate") >= 1;
                 },
                 5s),
             n.node.tail());
  // Trusting only its own CA, the client refuses the node: it never sends its secret's proof.
  auto r2 = n.shell_with({"--tls-ca", other + "/ca.pem", "--tls-cert", other + "/mallory.pem",
                          "--tls-key", other + "/mallory.key"});
  BOOST_TEST(r2.exit_code != 0, r2.out);
  BOOST_TEST(r2.err.find("TLS handshake failed") != std::string::npos, r2.err);
  BOOST_TEST(n.serves(), n.node.tail());
}

BOOST_AUTO_TEST_CASE(check_refuses_a_topology_reachable_from_other_machines_without_tls) {
  temp_dir dir("tls");
  dir.write("cluster.secret", "tls-test-secret-0123456789\n");
  auto topology = weft::test::solo_topology("solo", 4242);
  const auto at = topology.find("127.0.0.1:4242");
  BOOST_REQUIRE(at != std::string::npos);
  auto open = topology;
  open.replace(at, 9, "0.0.0.0");
  auto r = run_command({CAF_NODE, "check", "--config", dir.write("open.toml", open)}, 10s);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("open.toml:") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("node \"solo\" listens on 0.0.0.0:4242") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("[tls]") != std::string::npos, r.err);

  // With [tls] it passes, and a key readable by others is refused at key_file.
  const auto pki = dir.path() + "/pki";
  BOOST_REQUIRE(certs({"create-ca", pki}).exit_code == 0);
  BOOST_REQUIRE(certs({"create-node", pki, "solo"}).exit_code == 0);
  auto with_tls = open;
  with_tls.insert(with_tls.find("[[node]]"), tls_table(pki, "solo"));
  auto ok = run_command({CAF_NODE, "check", "--config", dir.write("tls.toml", with_tls)}, 10s);
  BOOST_TEST(ok.exit_code == 0, ok.err);
  ::chmod((pki + "/solo.key").c_str(), 0644);
  auto bad = run_command({CAF_NODE, "check", "--config", dir.path() + "/tls.toml"}, 10s);
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("tls.key_file") != std::string::npos, bad.err);
  BOOST_TEST(bad.err.find("chmod 600") != std::string::npos, bad.err);
}
