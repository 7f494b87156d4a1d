#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_plan.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/document/resources.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "runtime/client.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"

namespace weft::runtime {

namespace fs = std::filesystem;

namespace {

/// The progress of a job on one line: a bar on a terminal, plain text otherwise.
class progress_printer {
 public:
  progress_printer() : tty_(::isatty(STDERR_FILENO) != 0) {}

  void show(const nlohmann::json& job) {
    std::string state = job.value("state", "?");
    int64_t records = job.value("records", int64_t{0});
    auto merge = job["merge"], weave = job["weave"];
    int total = merge.value("total", 0) + weave.value("total", 0);
    int done = merge.value("done", 0) + weave.value("done", 0);
    // Weaving starts once merging is done: count its batches as a second half.
    double fraction = 0;
    if (state == "merging" && merge.value("total", 0) > 0)
      fraction = 0.5 * merge.value("done", 0) / merge.value("total", 1);
    else if (state == "weaving" && weave.value("total", 0) > 0)
      fraction = 0.5 + 0.5 * weave.value("done", 0) / weave.value("total", 1);
    else if (state == "done")
      fraction = 1;
    int percent = static_cast<int>(fraction * 100);
    if (tty_) {
      const int width = 30;
      int filled = static_cast<int>(fraction * width);
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
                << percent << "% " << state << " (" << records << " records, " << done << "/"
                << total << " batches)   " << std::flush;
    } else if (state != last_state_ || percent / 10 != last_percent_ / 10) {
      std::cerr << "job " << job.value("id", int64_t{0}) << ": " << state << " " << percent << "% ("
                << records << " records)\n";
    }
    last_state_ = state;
    last_percent_ = percent;
  }

  void end() {
    if (tty_) std::cerr << "\n";
  }

 private:
  bool tty_;
  std::string last_state_;
  int last_percent_ = -1;
};

/// The data options the command line gives (docs/jobs.md "Data").
/// @throws client_error (bad usage) naming the option that is wrong.
document::data_options data_options_of(const submit_args& a) {
  document::data_options d;
  if (!a.csv_delimiter.empty()) {
    auto delimiter = document::parse_delimiter(a.csv_delimiter);
    if (!delimiter)
      throw client_error(exit_usage,
                         "--csv-delimiter: '" + a.csv_delimiter + "' is not one of , ; | tab auto");
    d.delimiter = *delimiter;
  }
  if (!a.csv_quote.empty()) {
    if (a.csv_quote.size() != 1) throw client_error(exit_usage, "--csv-quote: one character");
    d.quote = a.csv_quote[0];
  }
  d.header = !a.csv_no_header;
  d.columns = a.csv_columns;
  if (a.csv_skip_lines < 0) throw client_error(exit_usage, "--csv-skip-lines must be 0 or more");
  d.skip_lines = static_cast<std::size_t>(a.csv_skip_lines);
  d.encoding = a.data_encoding;
  d.record_path = a.record_path;
  d.strict = a.strict;
  auto problem = document::check_data_options(d);
  if (!problem.empty()) throw client_error(exit_usage, a.data + ": " + problem);
  return d;
}

/// Refuses a sort_by/group_by field the first record does not have, before
/// uploading anything (the node checks it again while mapping).
void check_fields(const submit_args& a) {
  if (a.sort_by.empty() && a.group_by.empty()) return;
  std::optional<document::data_format> format;
  if (!a.data_format.empty()) format = document::parse_data_format(a.data_format);
  document::reader_options options;
  options.data = data_options_of(a);
  auto reader = document::open_record_reader(a.data, format, options);
  document::record first;
  if (!reader->next(first)) return;
  document::output_plan::options o;
  o.sort_by = a.sort_by;
  o.group_by = a.group_by;
  auto key = document::output_plan::key_of(first, o);
  if (!a.sort_by.empty() && !key.sort_value)
    throw client_error(exit_usage, a.data + ": unknown --sort-by field '" + a.sort_by + "'");
  if (!a.group_by.empty() && !key.group_value)
    throw client_error(exit_usage, a.data + ": unknown --group-by field '" + a.group_by + "'");
}

bool finished(const std::string& state) {
  return state == "done" || state == "failed" || state == "cancelled";
}

/// What goes with the template and the data.
struct job_files {
  std::vector<std::string> partials;               ///< the partials the template includes
  std::vector<document::resource_file> resources;  ///< --resources, checked
};

/// The files of --resources, checked here for what only this machine can see (links, kinds of
/// file, names) and their types; the node checks names, types and sizes again.
std::vector<document::resource_file> resources_of(const submit_args& a) {
  if (a.resources.empty()) return {};
  try {
    return document::list_resources(a.resources);
  } catch (const document::resource_error& e) {
    throw client_error(exit_usage, std::string{"--resources: "} + e.what());
  }
}

/// Refuses what we can refuse here, before anything crosses the wire.
job_files check_arguments(const submit_args& a) {
  auto format = document::parse_output_format(a.format);
  if (!format)
    throw client_error(exit_usage, "unknown format '" + a.format + "' (use pdf, txt or html)");
  if (!fs::is_regular_file(a.data)) throw client_error(exit_usage, a.data + ": no such data file");
  if (fs::file_size(a.data) == 0)
    throw client_error(exit_usage, a.data + ": the data file is empty");
  if (a.split_every < 0) throw client_error(exit_usage, "--split-every must be positive");
  if (!a.data_format.empty() && !document::parse_data_format(a.data_format))
    throw client_error(exit_usage, "unknown data format '" + a.data_format +
                                       "' (use csv, tsv, ndjson, json or xml)");
  data_options_of(a);
  document::template_engine engine(document::template_escape_for(*format));
  auto tmpl = engine.compile_file(a.template_file);
  check_fields(a);
  return {tmpl.partials(), resources_of(a)};
}

/// Uploads, submits and follows the job on an open connection; while it follows the job,
/// a lost master is found again (client_link) and asked for the job by its id.
int submit_on(client_link& link, const submit_args& a, const job_files& files) {
  client& c = *link;
  // The template, its partials and the data go to the node's file store.
  auto template_name = fs::path(a.template_file).filename().string();
  c.upload(template_name, a.template_file);
  auto dir = fs::path(a.template_file).parent_path();
  for (const auto& partial : files.partials)
    c.upload(partial + ".mustache", (dir / (partial + ".mustache")).string());
  // Resources go below "resources/" in the session's upload area; the job takes them along.
  for (const auto& resource : files.resources)
    c.upload("resources/" + resource.name, resource.path.string());
  auto data_name = fs::path(a.data).filename().string();
  if (data_name == template_name) data_name = "data-" + data_name;
  c.upload(data_name, a.data);

  nlohmann::json spec{{"data", data_name},           {"template", template_name},
                      {"format", a.format},          {"data_format", a.data_format},
                      {"sort_by", a.sort_by},        {"group_by", a.group_by},
                      {"split_every", a.split_every}};
  if (!a.name.empty()) spec["name"] = a.name;
  if (!a.callback_url.empty()) spec["callback_url"] = a.callback_url;
  spec["data_options"] = document::to_json(data_options_of(a));
  auto submitted = std::chrono::steady_clock::now();
  auto id = c.submit(spec.dump());
  std::cout << id << std::endl;
  if (!a.wait && a.out_dir.empty()) return exit_ok;

  progress_printer progress;
  nlohmann::json job;
  for (;;) {
    job = nlohmann::json::parse(link.again_on_master([&](client& m) { return m.wait(id, 250); }));
    progress.show(job);
    if (finished(job.value("state", ""))) break;
  }
  progress.end();
  if (!job.value("data", "").empty())
    std::cerr << "job " << id << " data: " << job.value("data", "") << "\n";
  for (const auto& w : job.value("warnings", nlohmann::json::array()))
    std::cerr << "warning: job " << id << ": " << w.get<std::string>() << "\n";
  auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - submitted).count();
  auto state = job.value("state", "");
  if (state != "done") {
    std::cerr << "caf-node: job " << id << " " << state << ": " << job.value("error", "") << "\n";
    return exit_failure;
  }
  int64_t pages = 0;
  for (const auto& o : job["outputs"]) {
    pages += o.value("pages", int64_t{0});
    std::string path = o.value("path", "");
    if (!a.out_dir.empty()) {
      fs::create_directories(a.out_dir);
      auto local = (fs::path(a.out_dir) / fs::path(path).filename()).string();
      link.again_on_master([&](client& m) { m.fetch(id, o.value("segment", 0), local); });
      path = local;
    }
    std::cout << path << "\t" << o.value("documents", int64_t{0}) << " documents\t"
              << o.value("pages", int64_t{0}) << " pages\n";
  }
  auto records = job.value("records", int64_t{0});
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.3f s (%.0f records/s)", seconds,
                seconds > 0 ? static_cast<double>(records) / seconds : 0.0);
  std::cerr << "job " << id << " done: " << records << " records in " << rate << ", "
            << job["outputs"].size() << " files, " << pages << " pages\n";
  return exit_ok;
}

/// Runs `f` like every client command; a bad template or data file is bad usage.
template <class F>
int guarded(F f) {
  return run_client_command([&]() -> int {
    try {
      return f();
    } catch (const document::template_error& e) {
      std::cerr << "caf-node: template error: " << e.what() << "\n";
      return exit_usage;
    } catch (const document::data_error& e) {
      std::cerr << "caf-node: data error: " << e.what() << "\n";
      return exit_usage;
    }
  });
}

}  // namespace

void add_submit_options(CLI::App& app, submit_args& a) {
  app.add_option("--data", a.data, "the data file (.csv, .tsv, .ndjson, .jsonl, .json, .xml)")
      ->required();
  app.add_option("--data-format", a.data_format,
                 "csv, tsv, ndjson, json or xml (default: by extension)");
  app.add_option("--data-encoding", a.data_encoding,
                 "utf-8 (default), windows-1252, iso-8859-1, iso-8859-15, utf-16 (with BOM), "
                 "utf-16le, utf-16be");
  app.add_option("--csv-delimiter", a.csv_delimiter,
                 ", ; | tab or auto (default: auto, sniffed; tab for .tsv)");
  app.add_option("--csv-quote", a.csv_quote, "the CSV quote character (default \")");
  app.add_flag("--csv-no-header", a.csv_no_header,
               "the CSV file has no header row (name the columns with --csv-columns)");
  app.add_option("--csv-columns", a.csv_columns, "column names of a headerless CSV file")
      ->delimiter(',');
  app.add_option("--csv-skip-lines", a.csv_skip_lines, "lines to skip before the CSV header");
  app.add_option("--record-path", a.record_path,
                 "where the records are in a JSON or XML document, e.g. /invoices/invoice");
  app.add_flag("--strict", a.strict,
               "fail the job when a template variable is missing from any record, or (pdf) "
               "when the template uses HTML/CSS outside the subset");
  app.add_option("--template", a.template_file, "the Mustache template")->required();
  app.add_option("--format", a.format, "pdf, txt or html")->capture_default_str();
  app.add_option("--sort-by", a.sort_by, "sort documents by this field");
  app.add_option("--group-by", a.group_by, "a new output file whenever this field changes");
  app.add_option("--split-every", a.split_every, "documents per output file");
  app.add_option("--callback-url", a.callback_url,
                 "POST the job's status here when it ends (http/https; signed, retried)");
  app.add_option("--name", a.name, "base name of the output files");
  app.add_option("--resources", a.resources,
                 "a folder of images and fonts (PNG, JPEG, TTF, OTF, WOFF) the template refers to");
  app.add_flag("--wait", a.wait, "show progress until the job is finished");
  app.add_option("--out", a.out_dir, "download the outputs into this directory (implies --wait)");
}

int cmd_submit(const submit_args& a) {
  return guarded([&] {
    auto files = check_arguments(a);
    client_link link(client_options_from(a));
    return submit_on(link, a, files);
  });
}

int run_submit(client_link& link, const submit_args& a) {
  return guarded([&] { return submit_on(link, a, check_arguments(a)); });
}

}  // namespace weft::runtime
