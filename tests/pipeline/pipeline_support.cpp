#include "tests/pipeline/pipeline_support.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/shell_client.hpp"
#include "tests/support/test_port.hpp"

namespace weft::test::pipeline {

namespace fs = std::filesystem;

namespace {

int64_t count_of(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

}  // namespace

test_node::test_node(std::string extra_toml)
    : extra_toml_(std::move(extra_toml)), dir_("pipeline"), port_(reserve_port()) {
  dir_.write("cluster.secret", "pipeline-secret-0123456789\n");
  write_topology();
  process_ = std::make_unique<node_process>("", dir_.path());
}

test_node::~test_node() = default;

void test_node::write_topology() const {
  dir_.write("weft.toml", solo_topology("solo", port_, extra_toml_));
}

bool test_node::start(std::string& why) {
  node_process::serving_check check;
  check.serves = [&] { return shell_answer({connect(), config_file()}, "nodes").has_value(); };
  check.move_port = [&] {
    port_ = reserve_port();
    write_topology();
    return config_file();
  };
  why = process_->start_serving(config_file(), check);
  return why.empty();
}

void test_node::kill() { process_->kill(); }

std::optional<int> test_node::stop(std::chrono::milliseconds timeout) {
  return process_->stop(timeout);
}

bool test_node::running() { return process_->running(); }

test_node& suite_node() {
  static test_node node;
  static std::string why;
  static bool started = node.start(why);
  if (!started) throw std::runtime_error("the suite's node did not start: " + why);
  if (!node.running()) throw std::runtime_error("the suite's node is gone: " + node.log());
  return node;
}

std::string test_node::connect() const { return "127.0.0.1:" + std::to_string(port_); }

std::string test_node::log() const { return process_->log(); }

run_result submit(const test_node& node, const submit_request& r,
                  std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{
      caf_node_path(), "submit",
      "--connect",     r.connect.empty() ? node.connect() : r.connect,
      "--secret-file", r.secret_file.empty() ? node.secret_file() : r.secret_file,
      "--data",        r.data,
      "--template",    r.template_file};
  if (!r.format.empty()) argv.insert(argv.end(), {"--format", r.format});
  if (r.split_every != 0) argv.insert(argv.end(), {"--split-every", std::to_string(r.split_every)});
  if (!r.name.empty()) argv.insert(argv.end(), {"--name", r.name});
  if (r.wait) argv.push_back("--wait");
  if (!r.out_dir.empty()) argv.insert(argv.end(), {"--out", r.out_dir});
  argv.insert(argv.end(), r.extra.begin(), r.extra.end());
  return run_command(argv, timeout);
}

std::vector<output_line> parse_outputs(const std::string& stdout_text) {
  static const std::regex line_re(R"(^(.+)\t(\d+) documents\t(\d+) pages$)");
  std::vector<output_line> out;
  std::istringstream in(stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) continue;
    out.push_back({m[1].str(), std::stoll(m[2].str()), std::stoll(m[3].str())});
  }
  return out;
}

int64_t job_id_of(const std::string& stdout_text) {
  std::istringstream in(stdout_text);
  std::string first;
  std::getline(in, first);
  try {
    std::size_t used = 0;
    auto id = std::stoll(first, &used);
    return used == first.size() ? id : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

std::string write_marked_template(const std::string& dir) {
  const fs::path sample = invoice_template();
  fs::copy_file(sample, fs::path(dir) / "invoice.mustache", fs::copy_options::overwrite_existing);
  auto path = (fs::path(dir) / "marked.mustache").string();
  // PDF templates are HTML: the marker is a paragraph of its own that never wraps, so that
  // pdftotext gives it on one line.
  std::ofstream(path)
      << "{{> invoice}}\n<p style=\"white-space: nowrap\">MARK {{invoice}} END</p>\n";
  return path;
}

std::map<std::string, int> count_markers(const std::string& text) {
  static const std::regex marker_re(R"(MARK (\S+) END)");
  std::map<std::string, int> seen;
  for (std::sregex_iterator i(text.begin(), text.end(), marker_re), end; i != end; ++i)
    ++seen[(*i)[1].str()];
  return seen;
}

std::string output_text(const std::string& path) {
  if (fs::path(path).extension() != ".pdf") return read_file(path);
  temp_dir tmp;
  auto txt = tmp.path() + "/out.txt";
  auto r = run_command({"/usr/bin/pdftotext", path, txt}, 300s);
  if (r.exit_code != 0) return "";
  return read_file(txt);
}

std::string qpdf_problems(const std::string& path) {
  auto r = run_command({"/usr/bin/qpdf", "--check", path}, 300s);
  if (r.exit_code == 0) return "";
  return "qpdf --check " + path + " exited " + std::to_string(r.exit_code) + ": " + r.out + r.err;
}

int64_t text_documents(const std::string& text) {
  if (text.empty()) return 0;
  return 1 + count_of(text, "\f\n");
}

int64_t html_documents(const std::string& text) {
  return count_of(text, "<article class=\"document\"");
}

std::string good_job_problems(const test_node& node) {
  auto dir = node.dir() + "/good";
  fs::create_directories(dir);
  auto tmpl = write_marked_template(dir);
  auto data = dir + "/good.csv";
  std::string why;
  if (!generate_invoices(5, data, why)) return why;
  temp_dir out;
  submit_request r;
  r.data = data;
  r.template_file = tmpl;
  r.format = "txt";
  r.out_dir = out.path();
  auto res = submit(node, r, 120s);
  if (res.exit_code != 0)
    return "good job: exit " + std::to_string(res.exit_code) + ": " + res.err + "\nnode log:\n" +
           node.log();
  std::map<std::string, int> seen;
  for (const auto& o : parse_outputs(res.out)) merge_counts(seen, count_markers(read_file(o.path)));
  auto problems = exactly_once_problems(seen, 5);
  return problems.empty() ? "" : "good job: " + problems;
}

}  // namespace weft::test::pipeline
