// The job pipeline end to end, as a user meets it: a real caf-node master on
// the embedded default, jobs submitted with `caf-node submit --wait --out` in
// every output format from CSV and from NDJSON (nested line items), and the
// downloaded files checked: valid PDF, every record exactly once, the file
// count that --split-every asks for, plausible page counts.
#define BOOST_TEST_MODULE pipeline_formats
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <regex>

#include "tests/pipeline/pipeline_support.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;

namespace {

/// Sample data of `records` invoices in `kind` (csv or ndjson), made once per
/// kind and size.
std::string sample_data(const std::string& kind, int64_t records) {
  auto& node = suite_node();
  auto path = node.dir() + "/data/invoices-" + std::to_string(records) + "." + kind;
  if (!fs::exists(path)) {
    fs::create_directories(fs::path(path).parent_path());
    std::string why;
    BOOST_REQUIRE_MESSAGE(generate_invoices(records, path, why), why);
  }
  return path;
}

std::string marked_template() {
  auto dir = suite_node().dir() + "/templates";
  fs::create_directories(dir);
  return write_marked_template(dir);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

/// Submits a job, waits, downloads, and checks everything a user can check
/// on the files.
void run_and_check(const std::string& format, const std::string& kind, int64_t records,
                   int64_t split_every) {
  auto& node = suite_node();
  temp_dir out;
  submit_request r;
  r.data = sample_data(kind, records);
  r.template_file = marked_template();
  r.format = format;
  r.split_every = split_every;
  r.out_dir = out.path();
  auto res = submit(node, r);
  BOOST_TEST_MESSAGE(format << " from " << kind << ", " << records << " records, split "
                            << split_every << ": " << last_line(res.err));
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, "submit exited " << res.exit_code << ": " << res.err
                                                             << "\nnode log:\n"
                                                             << node.log());

  auto outputs = parse_outputs(res.out);
  int64_t expected_files = split_every > 0 ? ceil_div(records, split_every) : 1;
  BOOST_TEST(static_cast<int64_t>(outputs.size()) == expected_files, res.out);

  std::map<std::string, int> seen;
  int64_t documents = 0;
  int64_t items_or_notes = 0;
  for (const auto& o : outputs) {
    BOOST_TEST_CONTEXT(o.path) {
      BOOST_TEST(fs::path(o.path).parent_path() == fs::path(out.path()));
      BOOST_TEST(fs::path(o.path).extension() == "." + format);
      BOOST_REQUIRE(fs::is_regular_file(o.path));
      BOOST_TEST(!fs::exists(o.path + ".part"));
      documents += o.documents;
      if (split_every > 0) BOOST_TEST(o.documents <= split_every);
      BOOST_TEST(o.documents >= 1);
      auto bytes = read_file(o.path);
      if (format == "pdf") {
        BOOST_TEST(bytes.rfind("%PDF-", 0) == 0);
        auto problems = qpdf_problems(o.path);
        BOOST_TEST(problems.empty(), problems);
        BOOST_TEST(o.pages >= o.documents);
      } else if (format == "txt") {
        BOOST_TEST(text_documents(bytes) == o.documents);
        BOOST_TEST(o.pages >= o.documents);
      } else {
        BOOST_TEST(bytes.rfind("<!DOCTYPE html>", 0) == 0);
        BOOST_TEST(bytes.find("</html>") != std::string::npos);
        BOOST_TEST(html_documents(bytes) == o.documents);
      }
      auto text = output_text(o.path);
      BOOST_TEST(!text.empty());
      auto markers = count_markers(text);
      BOOST_TEST(static_cast<int64_t>(markers.size()) == o.documents);
      merge_counts(seen, markers);
      // PDF: the text sample template is laid out as HTML, where its line breaks are spaces,
      // so pdftotext breaks its lines anywhere: compare with the line breaks collapsed.
      if (format == "pdf") {
        std::string flat;
        for (char c : text) {
          const bool space = c == ' ' || c == '\n' || c == '\f' || c == '\t' || c == '\r';
          if (!space)
            flat.push_back(c);
          else if (flat.empty() || flat.back() != ' ')
            flat.push_back(' ');
        }
        text = std::move(flat);
      }
      // Nested arrays reached the template: NDJSON invoices have line items
      // ("2 x Widget [SKU-1] at ..."), flat CSV ones the inverted section.
      static const std::regex item_re(R"(\d+ x [^\n]*\[[^\]\n]+\])");
      // (bounded: std::regex recurses per character, and the flattened PDF text is one line)
      static const std::regex flat_item_re(R"(\d+ x [^\[]{1,200}\[[^\]]{1,40}\])");
      const std::regex& items = format == "pdf" ? flat_item_re : item_re;
      if (kind == "ndjson")
        items_or_notes += std::distance(std::sregex_iterator(text.begin(), text.end(), items),
                                        std::sregex_iterator());
      else
        for (auto at = text.find("see the attached"); at != std::string::npos;
             at = text.find("see the attached", at + 1))
          ++items_or_notes;
    }
  }
  BOOST_TEST(documents == records);
  auto problems = exactly_once_problems(seen, records);
  BOOST_TEST(problems.empty(), problems);
  if (kind == "ndjson")
    BOOST_TEST(items_or_notes >= records);
  else
    BOOST_TEST(items_or_notes == records);
}

}  // namespace

BOOST_AUTO_TEST_CASE(pdf_from_csv_has_every_invoice_once_and_passes_qpdf) {
  run_and_check("pdf", "csv", 250, 0);
}

BOOST_AUTO_TEST_CASE(pdf_from_ndjson_with_line_items_split_every_100_gives_three_files) {
  run_and_check("pdf", "ndjson", 250, 100);
}

BOOST_AUTO_TEST_CASE(txt_from_csv_has_every_invoice_once) { run_and_check("txt", "csv", 250, 0); }

BOOST_AUTO_TEST_CASE(txt_from_ndjson_split_every_100_gives_three_files) {
  run_and_check("txt", "ndjson", 250, 100);
}

BOOST_AUTO_TEST_CASE(html_from_csv_has_every_invoice_once) { run_and_check("html", "csv", 250, 0); }

BOOST_AUTO_TEST_CASE(html_from_ndjson_split_every_100_gives_three_files) {
  run_and_check("html", "ndjson", 250, 100);
}

// Small (one engine), medium and large-ish jobs, split so that the last file
// is short, and split sizes that do not divide the record count.
BOOST_AUTO_TEST_CASE(split_every_n_gives_ceil_records_over_n_files) {
  for (auto [records, split] : std::vector<std::pair<int64_t, int64_t>>{
           {7, 1}, {7, 3}, {7, 7}, {7, 10}, {1001, 250}, {2500, 1000}})
    BOOST_TEST_CONTEXT(records << " records, split every " << split) {
      run_and_check("txt", "ndjson", records, split);
    }
}

BOOST_AUTO_TEST_CASE(a_larger_pdf_job_is_split_and_every_page_readable) {
  run_and_check("pdf", "ndjson", 3000, 1000);
}

BOOST_AUTO_TEST_CASE(name_sets_the_output_file_names) {
  auto& node = suite_node();
  temp_dir out;
  submit_request r;
  r.data = sample_data("csv", 7);
  r.template_file = marked_template();
  r.format = "txt";
  r.split_every = 3;
  r.name = "march-invoices";
  r.out_dir = out.path();
  auto res = submit(node, r);
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, res.err);
  auto outputs = parse_outputs(res.out);
  BOOST_REQUIRE_EQUAL(outputs.size(), 3u);
  BOOST_TEST(fs::path(outputs[0].path).filename() == "march-invoices-0001.txt");
  BOOST_TEST(fs::path(outputs[2].path).filename() == "march-invoices-0003.txt");
}

// Without --out the outputs stay on the node; submit lists their paths there.
BOOST_AUTO_TEST_CASE(wait_without_out_lists_the_outputs_in_the_file_store) {
  auto& node = suite_node();
  submit_request r;
  r.data = sample_data("csv", 7);
  r.template_file = marked_template();
  r.format = "html";
  auto res = submit(node, r);
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, res.err);
  auto id = job_id_of(res.out);
  BOOST_TEST(id > 0, res.out);
  auto outputs = parse_outputs(res.out);
  BOOST_REQUIRE_EQUAL(outputs.size(), 1u);
  auto expected_dir =
      fs::weakly_canonical(node.files_root() + "/jobs/" + std::to_string(id) + "/out");
  BOOST_TEST(fs::weakly_canonical(fs::path(outputs[0].path).parent_path()) == expected_dir);
  auto problems = exactly_once_problems(count_markers(read_file(outputs[0].path)), 7);
  BOOST_TEST(problems.empty(), problems);
}

// The latency of a one-record job, from submit to done: printed, not asserted
// (it depends on the machine).
BOOST_AUTO_TEST_CASE(one_record_job_latency_is_reported) {
  auto& node = suite_node();
  auto data = sample_data("ndjson", 1);
  auto tmpl = marked_template();
  for (const std::string format : {"txt", "pdf"}) {
    for (int round = 1; round <= 3; ++round) {
      submit_request r;
      r.data = data;
      r.template_file = tmpl;
      r.format = format;
      auto t0 = std::chrono::steady_clock::now();
      auto res = submit(node, r, 60s);
      auto wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
      BOOST_REQUIRE_MESSAGE(res.exit_code == 0, res.err);
      // The client's own measure: "job N done: 1 records in 0.123 s (...)".
      static const std::regex done_re(R"(done: 1 records in ([0-9.]+) s)");
      std::smatch m;
      std::string submit_to_done = std::regex_search(res.err, m, done_re) ? m[1].str() : "?";
      BOOST_TEST_MESSAGE("one-record " << format << " job, round " << round << ": submit-to-done "
                                       << submit_to_done
                                       << " s (client measure), whole submit command "
                                       << wall.count() << " ms");
    }
  }
}
