#pragma once

// The basics of every test that touches the world outside its process: real
// child processes, waiting on a condition with a deadline, temporary
// directories, files. Part of weft_test_support (tests/CMakeLists.txt).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

/// A real child process for system tests: started with posix_spawn, its
/// stdout and stderr written to files, waited for with a deadline and killed
/// for real. The destructor kills (SIGKILL) and reaps a child still running.
class child_process {
 public:
  /// Starts `argv[0]` (a path) with the given arguments; `log_prefix` names the
  /// files that receive stdout (`.out`) and stderr (`.err`).
  child_process(std::vector<std::string> argv, std::string log_prefix);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Sends a signal (SIGTERM, SIGKILL, SIGSTOP, SIGCONT).
  void signal(int sig);
  /// Waits until the child exits or `timeout` passes; returns its exit code
  /// (128 + signal when killed by a signal), or nothing on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
/// Returns whether it held. This is the only way tests wait for each other.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// Runs a command to completion (deadline `timeout`) and returns its exit code
/// and combined output.
struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};
run_result run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout);

/// A fresh private directory `weft-TAG.XXXXXX` under the temporary directory,
/// removed with its contents by the destructor (kept when WEFT_KEEP_TEST_DIRS is
/// set, to look at a failed test's files).
class temp_dir {
 public:
  explicit temp_dir(const std::string& tag = "test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  /// The path of `name` inside the directory.
  std::filesystem::path operator/(const std::string& name) const {
    return std::filesystem::path(path_) / name;
  }
  /// Writes `text` to `name` inside the directory and returns the full path.
  std::string write(const std::string& name, const std::string& text, int mode = 0600) const;

 private:
  std::string path_;
};

/// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

}  // namespace weft::test
