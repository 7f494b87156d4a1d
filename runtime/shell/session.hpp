#pragma once

#include <chrono>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/shell/command_spec.hpp"
#include "runtime/shell/completion.hpp"

namespace weft::shell {

class shell_backend;

/// How a session prints and waits.
struct session_options {
  bool json = false;    ///< print each answer as one line of JSON, nothing else
  bool colour = false;  ///< ANSI colours (the caller decides: colour_wanted())
  /// The limit of `cleanup run`, which waits for a whole sweep.
  std::chrono::milliseconds cleanup_timeout = std::chrono::minutes(15);
  /// How often `logs NODE -f` asks for new lines.
  std::chrono::milliseconds follow_interval = std::chrono::milliseconds(250);
  /// How many recent lines `logs NODE` prints.
  std::size_t log_lines = 200;
};

/// The shell without its line editor: runs shell lines against a backend
/// and prints the answers (docs/shell.md). Used by `-c`, by piped input and
/// by the interactive mode alike; tests drive it with a fake backend.
///
/// Output goes to `out`, errors to `err`. Not thread-safe.
class session {
 public:
  session(shell_backend& backend, session_options options, std::ostream& out, std::ostream& err);

  /// Runs one shell line and answers its exit code: 0 ok (a blank line or a
  /// `#` comment too), 1 the command failed (the node answered an error or
  /// did not answer in time, or answered something unreadable), 2 bad usage
  /// (unknown command, wrong arguments) or refused by the node. Never throws
  /// for any of these; the message went to `err`.
  int execute(const std::string& line);

  /// Checks a line as execute() would before asking the node (see
  /// parse_command): answers 0, or prints the usage error to `err` and
  /// answers 2. `-c` uses it to refuse a bad command without connecting.
  static int check_usage(const std::string& line, std::ostream& err);

  /// Runs the lines of `in` (a script, a pipe) until its end or `quit`,
  /// printing no prompt. Answers 0 if every command succeeded, else the
  /// exit code of the last one that failed.
  int run_stream(std::istream& in);

  /// Whether `quit` or `exit` ran.
  bool finished() const { return finished_; }

  /// The prompt: `weft:<node>> `.
  std::string prompt() const;

  /// Completion candidates for the word under the cursor (complete_line with
  /// the node's lists, cached for a few seconds).
  std::vector<std::string> complete(std::string_view line_before_cursor);

 private:
  int dispatch(const parsed_command& command);
  /// Asks the backend, prints the answer (JSON or rendered).
  int show(const std::string& command, const nlohmann::json& args,
           std::chrono::milliseconds timeout = {});
  int help(const std::vector<std::string>& args);
  int token(const std::vector<std::string>& args);
  int logs(const std::string& node, bool follow);

  shell_backend& backend_;
  session_options options_;
  std::ostream& out_;
  std::ostream& err_;
  completion_cache lists_;
  bool finished_ = false;
};

}  // namespace weft::shell
