// A job's resources (`caf-node submit --resources DIR`, docs/templates.md "Resources") on one
// real node: a job with resources completes and its files are in the job's folder of the file
// store, where the weaver reads them; a folder with a symbolic link or a file of unknown type is
// refused by the client before anything is sent; what reaches the node is checked again there
// (type, name, [jobs] size and count limits), refused with the key's name and removed; the node
// serves on after each refusal.
#define BOOST_TEST_MODULE resources
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/solo_node.hpp"

using namespace std::chrono_literals;
using weft::test::run_command;
namespace fs = std::filesystem;

namespace {

const std::string limits =
    "[jobs]\n"
    "max_resource_size = 20000\n"
    "max_resources_size = 30000\n"
    "max_resources = 3\n";

/// `n` bytes that start like a PNG file.
std::string png(std::size_t n) {
  std::string bytes("\x89PNG\r\n\x1a\n", 8);
  bytes.resize(n, 'p');
  return bytes;
}

struct resource_node : weft::test::solo_node {
  resource_node() : solo_node("resources") {
    start(limits);
    data = dir.write("in/data.csv", "invoice,name\n1,Ana\n2,Björn\n");
    tmpl = dir.write("in/invoice.mustache", "Invoice {{invoice}} for {{name}}\n");
  }
  std::string files() const { return dir.path() + "/files"; }
  std::string secret() const { return dir.path() + "/cluster.secret"; }
  weft::test::run_result submit(const std::string& resources) const {
    return run_command(
        {weft::test::caf_node_path(), "submit", "--connect", address(), "--config", config,
         "--data", data, "--template", tmpl, "--format", "txt", "--resources", resources, "--wait"},
        120s);
  }
  weft::test::run_result probe_upload(const std::string& path, const std::string& name) const {
    return run_command({GATE_PROBE, "upload", address(), secret(), path, files(), name}, 60s);
  }
  /// The node still runs, answers, and keeps no upload of the refused job.
  void still_serves() const {
    BOOST_TEST(node.running(), node.tail());
    BOOST_TEST(serves(), node.tail());
  }
  std::string data;
  std::string tmpl;
};

int64_t job_id(const std::string& out) {
  try {
    return std::stoll(out);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_job_with_resources_completes_and_its_files_are_in_its_folder) {
  resource_node n;
  auto res = n.dir.path() + "/res";
  n.dir.write("res/logo.png", png(5000));
  n.dir.write("res/fonts/Body.ttf", std::string("\0\1\0\0", 4) + std::string(3000, 'f'));
  auto r = n.submit(res);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  const auto id = job_id(r.out);
  BOOST_REQUIRE(id > 0);
  const auto job = fs::path(n.files()) / "jobs" / std::to_string(id);
  BOOST_TEST(weft::test::read_file((job / "resources/logo.png").string()) == png(5000));
  BOOST_TEST(fs::file_size(job / "resources/fonts/Body.ttf") == 3004u);
  // The inputs are where they were; the resources did not land among them.
  BOOST_TEST(fs::exists(job / "input/invoice.mustache"));
  BOOST_TEST(!fs::exists(job / "input/resources"));
  n.still_serves();
}

BOOST_AUTO_TEST_CASE(a_folder_with_a_symbolic_link_is_refused_before_anything_is_sent) {
  resource_node n;
  auto outside = n.dir.write("secret.png", png(100));
  n.dir.write("res/logo.png", png(100));
  fs::create_symlink(outside, n.dir / "res/link.png");
  auto r = n.submit(n.dir.path() + "/res");
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  BOOST_TEST(r.err.find("--resources: ") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("res/link.png is a symbolic link") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(fs::path(n.files()) / "jobs/1"));
  n.still_serves();
}

BOOST_AUTO_TEST_CASE(a_file_of_unknown_type_is_refused_by_the_client_and_by_the_node) {
  resource_node n;
  auto text = n.dir.write("res/notes.png", "plain text pretending to be a PNG\n");
  auto r = n.submit(n.dir.path() + "/res");
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  BOOST_TEST(r.err.find("notes.png is not a PNG, JPEG, TrueType, OpenType or WOFF file") !=
                 std::string::npos,
             r.err);
  // A client that skips the check meets the node's.
  auto p = n.probe_upload(text, "resources/notes.png");
  BOOST_TEST(p.out.find("upload error:") != std::string::npos, p.out << p.err);
  BOOST_TEST(p.out.find("resources/notes.png is not a PNG") != std::string::npos, p.out);
  BOOST_TEST(p.out.find("left: 0 bytes in 0 files") != std::string::npos, p.out);
  n.still_serves();
}

BOOST_AUTO_TEST_CASE(names_that_would_leave_the_resources_folder_are_refused_by_the_node) {
  resource_node n;
  auto logo = n.dir.write("logo.png", png(100));
  for (const std::string name : {"resources/../escape.png", "resources/a/../../escape.png",
                                 "resources//etc/x.png", "resources/.hidden.png"}) {
    auto p = n.probe_upload(logo, name);
    BOOST_TEST(p.out.find("upload error:") != std::string::npos, name << ": " << p.out << p.err);
    BOOST_TEST(p.out.find("bad resource name") != std::string::npos, name << ": " << p.out);
    BOOST_TEST(p.out.find("left: 0 bytes in 0 files") != std::string::npos, p.out);
  }
  BOOST_TEST(!fs::exists(fs::path(n.files()) / "escape.png"));
  BOOST_TEST(!fs::exists(fs::path(n.files()) / "uploads/escape.png"));
  n.still_serves();
}

BOOST_AUTO_TEST_CASE(a_resource_past_max_resource_size_is_refused_and_removed) {
  resource_node n;
  n.dir.write("res/logo.png", png(100));
  n.dir.write("res/photo.png", png(25000));
  auto r = n.submit(n.dir.path() + "/res");
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  BOOST_TEST(
      r.err.find("resources/photo.png is larger than 20000 bytes (jobs.max_resource_size)") !=
          std::string::npos,
      r.err);
  auto p = n.probe_upload((n.dir / "res/photo.png").string(), "resources/photo.png");
  BOOST_TEST(p.out.find("jobs.max_resource_size") != std::string::npos, p.out << p.err);
  BOOST_TEST(p.out.find("left: 0 bytes in 0 files") != std::string::npos, p.out);
  n.still_serves();
}

BOOST_AUTO_TEST_CASE(resources_past_the_jobs_total_or_count_are_refused) {
  resource_node n;
  n.dir.write("big/a.png", png(18000));
  n.dir.write("big/b.png", png(18000));
  auto r = n.submit(n.dir.path() + "/big");
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  BOOST_TEST(r.err.find("resources/b.png would make the job's resources larger than 30000 bytes "
                        "(jobs.max_resources_size)") != std::string::npos,
             r.err);
  for (const char* name : {"a.png", "b.png", "c.png", "d.png"})
    n.dir.write(std::string("many/") + name, png(100));
  r = n.submit(n.dir.path() + "/many");
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  BOOST_TEST(r.err.find("resources/d.png would be resource file number 4, more than 3 "
                        "(jobs.max_resources)") != std::string::npos,
             r.err);
  n.still_serves();
  // Within the limits the same node takes a job with resources.
  n.dir.write("few/a.png", png(100));
  r = n.submit(n.dir.path() + "/few");
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
}
