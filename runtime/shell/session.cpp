#include "runtime/shell/session.hpp"

#include <algorithm>
#include <csignal>
#include <deque>
#include <istream>
#include <ostream>
#include <thread>

#include "runtime/shell/command_line.hpp"
#include "runtime/shell/render.hpp"
#include "runtime/shell/shell_backend.hpp"

namespace weft::shell {

using nlohmann::json;

namespace {

constexpr int exit_ok = 0, exit_failure = 1, exit_usage = 2;

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_sigint(int) { interrupted = 1; }

/// SIGINT sets a flag instead of ending the shell, for as long as it lives
/// (`logs -f` runs until Ctrl-C and then returns to the prompt).
class sigint_guard {
 public:
  sigint_guard() {
    interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ::sigaction(SIGINT, &sa, &old_);
  }
  ~sigint_guard() { ::sigaction(SIGINT, &old_, nullptr); }
  sigint_guard(const sigint_guard&) = delete;
  sigint_guard& operator=(const sigint_guard&) = delete;

 private:
  struct sigaction old_ {};
};

/// Sleeps for `d`, or less when Ctrl-C comes.
void nap(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!interrupted && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(20), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           until - std::chrono::steady_clock::now()) +
                                           std::chrono::milliseconds(1)));
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

void print_usage_error(const usage_error& e, std::ostream& err) {
  err << "error: " << e.what() << "\n";
  if (!e.usage.empty()) err << "usage: " << e.usage << "\n";
}

}  // namespace

session::session(shell_backend& backend, session_options options, std::ostream& out,
                 std::ostream& err)
    : backend_(backend), options_(options), out_(out), err_(err), lists_(backend) {}

std::string session::prompt() const { return "weft:" + backend_.node_name() + "> "; }

std::vector<std::string> session::complete(std::string_view line) {
  return complete_line(line, [this](arg_kind kind) { return lists_(kind); });
}

int session::execute(const std::string& line) {
  auto text = trimmed(line);
  if (text.empty() || text[0] == '#') return exit_ok;
  try {
    auto command = parse_command(text);
    if (command.spec == nullptr) return exit_ok;
    int code = dispatch(command);
    out_.flush();
    return code;
  } catch (const usage_error& e) {
    out_.flush();
    print_usage_error(e, err_);
    return exit_usage;
  } catch (const request_error& e) {
    out_.flush();
    err_ << "error: " << e.what() << "\n";
    return e.exit_code == exit_usage ? exit_usage : exit_failure;
  } catch (const json::exception& e) {
    out_.flush();
    err_ << "error: the node's answer to '" << text << "' is not what this shell expects ("
         << e.what() << ")\n";
    return exit_failure;
  } catch (const std::exception& e) {
    out_.flush();
    err_ << "error: " << e.what() << "\n";
    return exit_failure;
  }
}

int session::check_usage(const std::string& line, std::ostream& err) {
  try {
    parse_command(trimmed(line));
    return exit_ok;
  } catch (const usage_error& e) {
    print_usage_error(e, err);
    return exit_usage;
  }
}

int session::run_stream(std::istream& in) {
  int result = exit_ok;
  std::string line;
  while (!finished_ && std::getline(in, line)) {
    int code = execute(line);
    if (code != exit_ok) result = code;
  }
  return result;
}

int session::show(const std::string& command, const json& args, std::chrono::milliseconds timeout) {
  auto answer = backend_.request(command, args, timeout);
  if (!answer.is_object())
    throw request_error(exit_failure, command + ": the node's answer is not a JSON object");
  if (options_.json)
    out_ << answer.dump() << "\n";
  else
    render_answer(command, answer, out_, options_.colour);
  return exit_ok;
}

int session::dispatch(const parsed_command& command) {
  const auto& name = command.spec->name;
  const auto& a = command.args;
  auto arg = [&](std::size_t i) { return i < a.size() ? a[i] : std::string{}; };
  if (name == "quit" || name == "exit") {
    finished_ = true;
    return exit_ok;
  }
  if (name == "help") return help(a);
  if (name == "nodes" || name == "capacity" || name == "settings" || name == "locks")
    return show(name, json::object());
  if (name == "engines") return show(name, {{"type", arg(0)}});
  if (name == "actors" || name == "config") return show(name, {{"node", arg(0)}});
  if (name == "jobs") return show(name, {{"state", arg(0)}});
  if (name == "job") return show(name, {{"id", parse_job_id(arg(0))}});
  if (name == "cancel") {
    lists_.clear();
    return show(name, {{"id", parse_job_id(arg(0))}});
  }
  if (name == "set") {
    lists_.clear();
    return show(name, {{"key", arg(0)}, {"value", arg(1)}});
  }
  if (name == "drain" || name == "undrain") return show(name, {{"node", arg(0)}});
  if (name == "token") return token(a);
  if (name == "cleanup") {
    if (arg(0) == "status") return show("cleanup_status", {{"limit", 20}});
    return show("cleanup_run", {{"node", arg(1)}}, options_.cleanup_timeout);
  }
  if (name == "logs") return logs(arg(0), a.size() > 1);
  if (name == "submit") {
    out_.flush();
    lists_.clear();
    int code = backend_.submit(a);
    return code == exit_ok ? exit_ok : (code == exit_usage ? exit_usage : exit_failure);
  }
  throw usage_error("'" + name + "' is not implemented");  // a command_specs() entry too many
}

int session::token(const std::vector<std::string>& a) {
  const auto* spec = find_command("token");
  const auto action = a.at(0);
  if (action == "list") {
    if (a.size() != 1) throw usage_error("'token list' takes no arguments", spec->usage);
    return show("token_list", json::object());
  }
  if (action == "revoke") {
    if (a.size() != 2) throw usage_error("'token revoke' wants a NAME", spec->usage);
    return show("token_revoke", {{"name", a[1]}});
  }
  if (action != "create")
    throw usage_error("unknown token action '" + action + "' (create, list, revoke)", spec->usage);
  if (a.size() < 2 || a[1].rfind("--", 0) == 0)
    throw usage_error("'token create' wants a NAME", spec->usage);
  json args{{"name", a[1]}, {"scope", ""}, {"expires", ""}};
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if ((a[i] != "--scope" && a[i] != "--expires") || i + 1 >= a.size())
      throw usage_error("'token create' takes --scope S and --expires D, not '" + a[i] + "'",
                        spec->usage);
    args[a[i].substr(2)] = a[i + 1];
  }
  if (args["scope"] == "") throw usage_error("'token create' wants --scope", spec->usage);
  return show("token_create", args);
}

int session::help(const std::vector<std::string>& args) {
  if (args.empty()) {
    // Usages longer than this (submit's) get a line of their own.
    const std::size_t width = 26;
    out_ << "commands:\n";
    for (const auto& s : command_specs()) {
      if (s.name == "exit") continue;  // listed with quit
      std::string usage = s.name == "quit" ? "quit, exit" : s.usage;
      if (usage.size() > width)
        out_ << "  " << usage << "\n" << std::string(width + 4, ' ');
      else
        out_ << "  " << usage << std::string(width - usage.size() + 2, ' ');
      out_ << s.summary << "\n";
    }
    out_ << "'help COMMAND' says more about one command. Tab completes commands, node names,\n"
            "job ids and settings keys; --json prints the node's answers as JSON.\n";
    return exit_ok;
  }
  const auto* s = find_command(args[0]);
  out_ << "usage: " << s->usage << "\n" << s->summary << "\n";
  if (!s->details.empty()) out_ << s->details << "\n";
  if (s->name == "submit") {
    auto options = backend_.submit_help();
    if (!options.empty()) out_ << "\n" << options << (options.back() == '\n' ? "" : "\n");
  }
  return exit_ok;
}

int session::logs(const std::string& node, bool follow) {
  const int page = 200;
  // The node keeps its last lines; page through them and keep the latest.
  std::deque<json> recent;
  long long next = 0;
  for (int pages = 0; pages < 100; ++pages) {
    // A node that knows "last" answers the newest lines at once; the paging is for others.
    auto answer = backend_.request("logs", {{"node", node},
                                            {"after", next},
                                            {"max", page},
                                            {"last", static_cast<long long>(options_.log_lines)}});
    const auto& lines = answer.at("lines");
    for (const auto& l : lines) {
      recent.push_back(l);
      if (recent.size() > options_.log_lines) recent.pop_front();
    }
    long long after = answer.value("next", next);
    bool more = lines.size() >= static_cast<std::size_t>(page) && after > next;
    next = after;
    if (!more) break;
  }
  auto print = [&](const json& lines) {
    for (const auto& l : lines) out_ << l.value("text", "") << "\n";
  };
  auto latest = json::array();
  for (auto& l : recent) latest.push_back(std::move(l));
  if (options_.json)
    out_ << json{{"node", node}, {"lines", latest}, {"next", next}}.dump() << "\n";
  else
    print(latest);
  out_.flush();
  if (!follow) return exit_ok;

  sigint_guard guard;
  while (!interrupted) {
    nap(options_.follow_interval);
    if (interrupted) break;
    auto answer = backend_.request("logs", {{"node", node}, {"after", next}, {"max", page}});
    const auto& lines = answer.at("lines");
    if (!lines.empty()) {
      if (options_.json)
        out_ << answer.dump() << "\n";
      else
        print(lines);
      out_.flush();
    }
    next = answer.value("next", next);
  }
  if (!options_.json) out_ << "\n";  // after the terminal's ^C
  return exit_ok;
}

}  // namespace weft::shell
