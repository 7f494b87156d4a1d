#pragma once

// Helpers for the pipeline system tests: a real caf-node master on the
// embedded default (tests/support/node_process.hpp, on a reserved port),
// `caf-node submit` runs, sample data, and checks on the output files (every
// record's marker exactly once, tests/support/sample_invoices.hpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/sample_invoices.hpp"

namespace weft::test::pipeline {

using namespace std::chrono_literals;

/// One `caf-node run` master on a reserved loopback port, with its topology,
/// secret and file store in a temporary directory of its own. It can be
/// killed and started again on the same files (a restart).
class test_node {
 public:
  /// `extra_toml` is appended to the topology (e.g. a `[scheduler]` table).
  explicit test_node(std::string extra_toml = "");
  ~test_node();

  /// Starts the node and waits (deadline 30 s) until it answers the shell (on
  /// another port when its own was taken). Returns false with the log in `why`
  /// when it does not come up.
  bool start(std::string& why);
  /// SIGKILL, and waits for the process to be gone.
  void kill();
  /// SIGTERM; returns the exit code, or nothing when it did not stop in `timeout`.
  std::optional<int> stop(std::chrono::milliseconds timeout = 10s);
  bool running();

  /// HOST:PORT for --connect.
  std::string connect() const;
  const std::string& dir() const { return dir_.path(); }
  std::string secret_file() const { return dir_.path() + "/cluster.secret"; }
  std::string config_file() const { return dir_.path() + "/weft.toml"; }
  std::string files_root() const { return dir_.path() + "/files"; }
  std::string database_file() const { return files_root() + "/weft.db"; }
  /// The stderr (the log) of the current, or last, process.
  std::string log() const;
  /// Writes a file into the node's directory (inputs for jobs live there too).
  std::string write(const std::string& name, const std::string& text) const {
    return dir_.write(name, text);
  }

 private:
  void write_topology() const;

  std::string extra_toml_;
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<node_process> process_;
};

/// One node for a whole suite, started at its first use: jobs queue on it one
/// after another, as they would on a real master. Throws (failing the test case)
/// when it did not start or is gone.
/// Whether `text` contains `what`.
inline bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

test_node& suite_node();

/// What to pass to `caf-node submit`.
struct submit_request {
  std::string data;
  std::string template_file;
  std::string format;  ///< empty: the default (pdf)
  int64_t split_every = 0;
  std::string name;
  bool wait = true;
  std::string out_dir;             ///< implies waiting
  std::string secret_file;         ///< empty: the node's own
  std::string connect;             ///< empty: the node's own
  std::vector<std::string> extra;  ///< more options, e.g. {"--csv-delimiter", ";"}
};

run_result submit(const test_node& node, const submit_request& r,
                  std::chrono::milliseconds timeout = 300s);

/// One line of `submit`'s result: "PATH\tN documents\tP pages".
struct output_line {
  std::string path;
  int64_t documents = 0;
  int64_t pages = 0;
};
std::vector<output_line> parse_outputs(const std::string& stdout_text);

/// The job id `submit` prints first; 0 when there is none.
int64_t job_id_of(const std::string& stdout_text);

/// Writes the sample invoice template (as the partial `invoice`) and a
/// template `marked.mustache` that includes it and adds one line
/// "MARK <invoice> END" per document, into `dir`; returns the latter's path.
std::string write_marked_template(const std::string& dir);

/// How often each marker "MARK <invoice> END" occurs in `text`.
std::map<std::string, int> count_markers(const std::string& text);

/// The text of an output file: pdftotext for a PDF, the bytes otherwise.
std::string output_text(const std::string& path);

/// `qpdf --check` on a file: "" when it passes, else qpdf's output.
std::string qpdf_problems(const std::string& path);

/// Number of documents in a txt (form-feed separated) or html (one
/// <article> per document) output file.
int64_t text_documents(const std::string& text);
int64_t html_documents(const std::string& text);

/// A small good job on `node` (5 CSV records, txt): "" when it succeeds with
/// every marker once, else what went wrong.
std::string good_job_problems(const test_node& node);

}  // namespace weft::test::pipeline
