// `caf-node shell`: the inspection shell's wiring. The shell itself
// (parsing, rendering, completion, line editing) is runtime/shell/ and knows
// no CAF; here it gets a real connection.

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "runtime/client.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"
#include "runtime/shell/history.hpp"
#include "runtime/shell/line_editor.hpp"
#include "runtime/shell/session.hpp"
#include "runtime/shell/shell_backend.hpp"
#include "runtime/shell/table.hpp"

namespace weft::runtime {

namespace {

/// The shell's backend on a real node: client::inspect, with the node's
/// errors as request_error. A session that the node ended while the shell sat
/// idle (limits.session_idle_timeout) does not answer: after such a silence
/// the shell connects again, once, and repeats the request. A shell that follows
/// the active master (several addresses) finds it again after a lost connection and
/// repeats the request there (client_link).
class client_backend : public shell::shell_backend {
 public:
  explicit client_backend(client_options options) : link_(std::move(options)) {}

  nlohmann::json request(const std::string& command, const nlohmann::json& args,
                         std::chrono::milliseconds timeout) override {
    std::string text;
    auto idle = std::chrono::steady_clock::now() - last_request_;
    try {
      if (link_.follows()) {
        text = link_.again_on_master(
            [&](client& c) { return c.inspect(command, args.dump(), timeout); });
      } else {
        try {
          text = link_->inspect(command, args.dump(), timeout);
        } catch (const client_error& e) {
          const bool silent = std::string{e.what()}.find("did not answer") != std::string::npos;
          if (!silent || idle < std::chrono::seconds(1)) throw;
          link_.reconnect("no answer after an idle while");
          text = link_->inspect(command, args.dump(), timeout);
        }
      }
    } catch (const client_error& e) {
      throw shell::request_error(e.exit_code, e.what());
    }
    last_request_ = std::chrono::steady_clock::now();
    auto answer = nlohmann::json::parse(text, nullptr, false);
    if (answer.is_discarded())
      throw shell::request_error(exit_failure, command + ": the node's answer is not JSON");
    return answer;
  }

  std::string node_name() const override { return link_->node(); }

  int submit(const std::vector<std::string>& args) override {
    submit_args a;
    CLI::App app{"submit a job, as `caf-node submit`", "submit"};
    add_submit_options(app, a);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them so
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? exit_ok : exit_usage;
    }
    return run_submit(link_, a);
  }

  std::string submit_help() const override {
    submit_args a;
    CLI::App app{"", "submit"};
    add_submit_options(app, a);
    return app.help();
  }

 private:
  client_link link_;
  std::chrono::steady_clock::time_point last_request_ = std::chrono::steady_clock::now();
};

/// "shell alice@ops1": who is at the prompt, for the node's log and `set`.
std::string operator_name() {
  const char* user = std::getenv("USER");
  if (user == nullptr || *user == '\0') {
    const passwd* pw = ::getpwuid(::getuid());
    user = pw != nullptr ? pw->pw_name : nullptr;
  }
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string{"shell "} + (user && *user ? user : "unknown") + "@" +
         (host[0] ? host : "localhost");
}

}  // namespace

int cmd_shell(const shell_args& a) {
  // A bad -c command is refused before connecting: exit 2 even with no node.
  if (a.one_command && shell::session::check_usage(a.command, std::cerr) != exit_ok)
    return exit_usage;
  return run_client_command([&] {
    auto options = client_options_from(a);
    options.name = operator_name();  // the node logs it; `settings` shows who set what
    client_backend backend(options);
    shell::session_options o;
    o.json = a.json;
    o.colour = !a.json && shell::colour_wanted();
    shell::session session(backend, o, std::cout, std::cerr);
    if (a.one_command) return session.execute(a.command);
    if (::isatty(STDIN_FILENO) != 0) {
      auto history = a.history_file.empty() ? shell::history::default_path() : a.history_file;
      return shell::run_interactive(session, history, std::cerr);
    }
    return session.run_stream(std::cin);
  });
}

}  // namespace weft::runtime
