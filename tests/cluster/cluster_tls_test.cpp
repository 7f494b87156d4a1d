// What travels on the wire: a loopback packet capture (tcpdump) of the nodes' ports during a
// job over three nodes. With mutual TLS it holds none of the job's record markers (the
// invoice numbers) in clear; the same capture without TLS does (the control: the test can
// fail). Needs tcpdump and the right to capture (root).
#define BOOST_TEST_MODULE cluster_tls
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>

#include "tests/cluster/cluster_support.hpp"

using namespace weft::test;
using namespace weft::test::cluster;

namespace {

/// `tcpdump -i lo -U -w FILE port P1 or port P2 ...`, capturing once constructed.
class capture {
 public:
  capture(const std::string& dir, const std::vector<uint16_t>& ports) : file_(dir + "/lo.pcap") {
    std::vector<std::string> argv{
        "/usr/bin/tcpdump", "-i", "lo", "-U", "-n", "-s", "0", "-w", file_};
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (i > 0) argv.push_back("or");
      argv.push_back("port");
      argv.push_back(std::to_string(ports[i]));
    }
    process_ = std::make_unique<child_process>(argv, dir + "/tcpdump");
    if (!wait_until(
            [&] { return process_->stderr_text().find("listening on") != std::string::npos; }, 10s))
      throw std::runtime_error("tcpdump did not start: " + process_->stderr_text());
  }
  /// Stops the capture; the captured bytes.
  std::string stop() {
    process_->signal(SIGINT);
    if (!process_->wait_for(10s)) throw std::runtime_error("tcpdump did not stop");
    std::ifstream in(file_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string file_;
  std::unique_ptr<child_process> process_;
};

/// A job of `records` invoices over a master and two extensions, captured; the capture.
std::string captured_job(bool tls, int64_t records) {
  cluster_options o;
  o.tls = tls;
  test_cluster c(o);
  c.start_all();
  std::vector<uint16_t> ports;
  for (const auto& n : c.spec().nodes) ports.push_back(n.port);
  capture cap(c.dir(), ports);
  auto id = c.submit(invoices(records));
  auto json = c.wait_for_job(id, 120s);
  auto job = parse_job(json);
  BOOST_TEST(job.state == "done", json);
  // The outputs go back to a client through the node too.
  auto r = c.client({"job", std::to_string(id)});
  BOOST_TEST(r.exit_code == 0, r.err);
  auto bytes = cap.stop();
  std::cout << (tls ? "with" : "without") << " TLS: captured " << bytes.size() << " bytes"
            << std::endl;
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(with_tls_no_record_marker_crosses_the_wire_in_clear) {
  auto bytes = captured_job(true, 2000);
  BOOST_TEST(bytes.size() > 100000u, "the capture should hold the job's traffic");
  BOOST_TEST(occurrences(bytes, "INV-00") == 0);
  BOOST_TEST(occurrences(bytes, "Invoice") == 0);
}

BOOST_AUTO_TEST_CASE(without_tls_the_same_capture_shows_the_records) {
  auto bytes = captured_job(false, 2000);
  BOOST_TEST(occurrences(bytes, "INV-00") > 0);
}
