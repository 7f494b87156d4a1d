#include "tests/pipeline/pipeline_support.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace weft::test::pipeline {

namespace fs = std::filesystem;

namespace {

std::string topology(uint16_t port, const std::string& extra) {
  return "[cluster]\n"
         "name = \"pipeline\"\n"
         "secret_file = \"cluster.secret\"\n"
         "\n"
         "[files]\n"
         "root = \"files\"\n"
         "\n" +
         extra +
         "\n"
         "[[node]]\n"
         "name = \"solo\"\n"
         "role = \"master\"\n"
         "listen = \"127.0.0.1:" +
         std::to_string(port) +
         "\"\n"
         "merge_engines = 2\n"
         "weaver_engines = 1\n";
}

int64_t count_of(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

}  // namespace

test_node::test_node(std::string extra_toml) : port_(free_port()) {
  dir_.write("cluster.secret", "pipeline-secret-0123456789\n");
  dir_.write("weft.toml", topology(port_, extra_toml));
}

test_node::~test_node() = default;

bool test_node::start(std::string& why) {
  ++starts_;
  auto prefix = dir_.path() + "/node" + std::to_string(starts_);
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{CAF_NODE, "run", "--config", config_file()}, prefix);
  bool up = wait_until(
      [&] { return log().find("listening on") != std::string::npos || !process_->running(); }, 30s);
  if (up && process_->running()) return true;
  why = "node did not start: " + log();
  return false;
}

void test_node::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_for(10s);
}

std::optional<int> test_node::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  process_->signal(SIGTERM);
  return process_->wait_for(timeout);
}

bool test_node::running() { return process_ && process_->running(); }

std::string test_node::connect() const { return "127.0.0.1:" + std::to_string(port_); }

std::string test_node::log() const { return process_ ? process_->stderr_text() : std::string{}; }

run_result submit(const test_node& node, const submit_request& r,
                  std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{
      CAF_NODE,        "submit",
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

bool generate_invoices(int64_t count, const std::string& path, std::string& why) {
  auto r = run_command({GEN_INVOICES, "--count", std::to_string(count), "--out", path}, 120s);
  if (r.exit_code == 0) return true;
  why = "weft_gen_invoices failed (" + std::to_string(r.exit_code) + "): " + r.err;
  return false;
}

std::string invoice_number(int64_t n) {
  char id[32];
  std::snprintf(id, sizeof id, "INV-%06lld", static_cast<long long>(n));
  return id;
}

std::string write_marked_template(const std::string& dir) {
  auto sample = fs::path(WEFT_SOURCE_DIR) / "actors" / "document" / "samples" / "invoice.mustache";
  fs::copy_file(sample, fs::path(dir) / "invoice.mustache", fs::copy_options::overwrite_existing);
  auto path = (fs::path(dir) / "marked.mustache").string();
  std::ofstream(path) << "{{> invoice}}\nMARK {{invoice}} END\n";
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

std::string exactly_once_problems(const std::map<std::string, int>& seen, int64_t records) {
  std::ostringstream problems;
  int shown = 0;
  auto note = [&](const std::string& what) {
    if (++shown <= 10) problems << what << "; ";
  };
  for (int64_t n = 1; n <= records; ++n) {
    auto id = invoice_number(n);
    auto i = seen.find(id);
    int times = i == seen.end() ? 0 : i->second;
    if (times != 1) note(id + " appears " + std::to_string(times) + " times");
  }
  for (const auto& [id, times] : seen) {
    std::string number = id.size() > 4 ? id.substr(4) : "";
    int64_t n = 0;
    try {
      n = std::stoll(number);
    } catch (const std::exception&) {
    }
    if (n < 1 || n > records) note("unexpected marker " + id + " (" + std::to_string(times) + "x)");
  }
  if (shown > 10) problems << "and " << (shown - 10) << " more";
  return problems.str();
}

void merge_counts(std::map<std::string, int>& a, const std::map<std::string, int>& b) {
  for (const auto& [k, v] : b) a[k] += v;
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
