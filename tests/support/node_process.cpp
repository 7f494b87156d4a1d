// One `caf-node run` process of a system test (node_process.hpp).
#include "tests/support/node_process.hpp"

#include <csignal>
#include <stdexcept>

namespace weft::test {

using namespace std::chrono_literals;

const char* caf_node_path() { return CAF_NODE; }

std::string solo_topology(const std::string& name, uint16_t port, const std::string& extra) {
  return "[cluster]\n"
         "name = \"" +
         name +
         "\"\n"
         "secret_file = \"cluster.secret\"\n"
         "\n"
         "[files]\n"
         "root = \"files\"\n"
         "\n" +
         extra +
         "\n"
         "[[node]]\n"
         "name = \"" +
         name +
         "\"\n"
         "role = \"master\"\n"
         "listen = \"127.0.0.1:" +
         std::to_string(port) +
         "\"\n"
         "merge_engines = 2\n"
         "weaver_engines = 1\n";
}

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

std::string last_lines(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  for (std::size_t n = 0; n <= lines; ++n) {
    if (at == 0) return text;
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
  }
  return text.substr(at + 1);
}

node_process::node_process(std::string name, std::string log_dir)
    : name_(std::move(name)), dir_(std::move(log_dir)) {}

node_process::~node_process() = default;  // child_process kills and reaps

void node_process::start(const std::string& topology, const std::vector<std::string>& env) {
  if (running()) throw std::runtime_error("node " + name_ + " is already running");
  ++runs_;
  std::vector<std::string> argv;
  if (!env.empty()) {
    argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), env.begin(), env.end());
  }
  argv.insert(argv.end(), {CAF_NODE, "run", "--config", topology});
  if (!name_.empty()) argv.insert(argv.end(), {"--node", name_});
  const auto label = name_.empty() ? std::string{"node"} : name_;
  process_ =
      std::make_unique<child_process>(argv, dir_ + "/" + label + ".run" + std::to_string(runs_));
}

std::string node_process::start_serving(std::string topology, const serving_check& check,
                                        const std::vector<std::string>& env) {
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    start(topology, env);
    const bool ended_or_serves =
        wait_until([&] { return !running() || check.serves(); }, check.timeout);
    if (ended_or_serves && running()) return "";
    if (!ended_or_serves) {
      return "node " + name_ + " did not serve within " + std::to_string(check.timeout.count()) +
             " ms:\n" + tail();
    }
    if (!listen_failed() || !check.move_port || attempt == attempts) {
      auto code = wait_exit(0ms);
      return "node " + name_ + " ended (exit " + (code ? std::to_string(*code) : "?") +
             ") before it served:\n" + tail();
    }
    // Someone who does not take the test port locks listens there: another port.
    topology = check.move_port();
  }
}

bool node_process::running() const { return process_ && process_->running(); }

pid_t node_process::pid() const { return process_ ? process_->pid() : -1; }

void node_process::signal(int sig) {
  if (process_) process_->signal(sig);
}

void node_process::kill() {
  if (!process_) return;
  process_->signal(SIGCONT);  // a stopped process dies of SIGKILL too, but reaping is quicker
  process_->signal(SIGKILL);
  process_->wait_for(10s);
}

std::optional<int> node_process::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  process_->signal(SIGTERM);
  return process_->wait_for(timeout);
}

std::optional<int> node_process::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait_for(timeout);
}

bool node_process::listen_failed() const {
  if (!process_ || process_->running()) return false;
  auto code = process_->wait_for(0ms);
  return code && *code == 1 && log().find("node.listen") != std::string::npos;
}

std::string node_process::log() const { return process_ ? process_->stderr_text() : std::string{}; }

int node_process::count(const std::string& text) const { return occurrences(log(), text); }

std::string node_process::tail(std::size_t lines) const { return last_lines(log(), lines); }

}  // namespace weft::test
