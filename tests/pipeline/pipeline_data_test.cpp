// Data as people have it, through a real node (issue 16): a semicolon CSV with quoted
// semicolons and line breaks, Windows-1252 with €, UTF-16 with a BOM, a headerless CSV, a JSON
// array and an XML document of invoices — every record exactly once; the blank-variable
// warning on a mis-read file and --strict refusing it; broken XML and JSON, an entity bomb, an
// external entity and an unknown encoding each a clear error, the node serving the next job.
#define BOOST_TEST_MODULE pipeline_data
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "tests/pipeline/pipeline_support.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;

namespace {

std::string write_bytes(const std::string& name, const std::string& bytes) {
  auto path = suite_node().dir() + "/input/" + name;
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

/// A template printing one line per record: "MARK <id> END <name> | <city>".
std::string id_template() {
  return suite_node().write("input/ids.mustache", "MARK {{id}} END {{name}} | {{city}}\n");
}

/// Runs a txt job and returns the outputs' text; fails the test when the job fails.
std::string run_ok(submit_request r, run_result* result = nullptr) {
  temp_dir out;
  r.format = "txt";
  r.out_dir = out.path();
  auto res = submit(suite_node(), r, 300s);
  BOOST_TEST_MESSAGE(fs::path(r.data).filename().string() << ": " << res.err);
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, "exit " << res.exit_code << ": " << res.err
                                                    << "\nnode log:\n"
                                                    << suite_node().log());
  std::string text;
  for (const auto& o : parse_outputs(res.out)) text += output_text(o.path);
  if (result != nullptr) *result = res;
  return text;
}

/// A job that fails while mapping: exit 1 and the reason; then a good job still succeeds.
std::string run_failing(submit_request r) {
  r.format = "txt";
  r.wait = true;
  auto res = submit(suite_node(), r, 180s);
  BOOST_TEST_MESSAGE(fs::path(r.data).filename().string() << ": " << res.err);
  BOOST_TEST(res.exit_code == 1, "exit " << res.exit_code << ": " << res.err);
  BOOST_TEST(contains(res.err, "failed"), res.err);
  BOOST_TEST(contains(res.err, fs::path(r.data).filename().string()), res.err);
  auto problems = good_job_problems(suite_node());
  BOOST_TEST(problems.empty(), problems);
  return res.err;
}

submit_request job(const std::string& data, const std::string& tmpl,
                   std::vector<std::string> extra = {}) {
  submit_request r;
  r.data = data;
  r.template_file = tmpl;
  r.extra = std::move(extra);
  return r;
}

/// `ids` markers each once, nothing else.
void expect_each_once(const std::string& text, const std::vector<std::string>& ids) {
  auto seen = count_markers(text);
  BOOST_TEST(seen.size() == ids.size(), text);
  for (const auto& id : ids) BOOST_TEST(seen[id] == 1, id << " in " << text);
}

const std::string semicolon_csv =
    "\xEF\xBB\xBFid;name;city;note\r\n"
    "1;M\xC3\xBCller GmbH;Berlin;\"Lieferung; Teil 1\"\r\n"
    "2;\"Meier; Sohn\";K\xC3\xB6ln;\"zwei\r\nZeilen\"\r\n"
    "3;Schmidt & Co;Hamburg;\r\n";

}  // namespace

BOOST_AUTO_TEST_CASE(a_semicolon_csv_with_quoted_semicolons_and_newlines_maps_every_row_once) {
  run_result res;
  auto text = run_ok(job(write_bytes("semicolon.csv", semicolon_csv), id_template()), &res);
  expect_each_once(text, {"1", "2", "3"});
  BOOST_TEST(contains(text, "Meier; Sohn | K\xC3\xB6ln"), text);
  BOOST_TEST(contains(res.err, "delimiter ';' (detected"), res.err);
  BOOST_TEST(contains(res.err, "data fields no template variable uses: note"), res.err);
  BOOST_TEST(!contains(res.err, "is empty in"), res.err);
}

BOOST_AUTO_TEST_CASE(the_semicolon_file_read_with_commas_warns_and_strict_refuses_it) {
  auto data = write_bytes("semicolon-as-comma.csv", semicolon_csv);
  run_result res;
  run_ok(job(data, id_template(), {"--csv-delimiter", ","}), &res);
  BOOST_TEST(contains(res.err, "warning: job"), res.err);
  BOOST_TEST(contains(res.err, "{{name}} is empty in 100 % of records"), res.err);
  BOOST_TEST(contains(res.err, "is the delimiter right?"), res.err);
  auto err = run_failing(job(data, id_template(), {"--csv-delimiter", ",", "--strict"}));
  BOOST_TEST(contains(err, "row 1"), err);
  BOOST_TEST(contains(err, "is missing from this record (--strict)"), err);
}

BOOST_AUTO_TEST_CASE(a_windows_1252_file_with_euro_signs_renders_them) {
  const std::string bytes =
      "id;name;city\r\n1;M\xE4rz \x80 Co;D\xFCsseldorf\r\n2;Caf\xE9;Z\xFCrich\r\n";
  auto data = write_bytes("legacy.csv", bytes);
  auto text = run_ok(job(data, id_template(), {"--data-encoding", "windows-1252"}));
  expect_each_once(text, {"1", "2"});
  BOOST_TEST(contains(text, "M\xC3\xA4rz \xE2\x82\xAC Co | D\xC3\xBCsseldorf"), text);
  // Read as UTF-8 (the default) it fails naming the row, the offset and the encoding assumed.
  auto err = run_failing(job(data, id_template()));
  BOOST_TEST(contains(err, "row 1 (line 2): invalid UTF-8 at byte offset 4"), err);
  BOOST_TEST(contains(err, "read as utf-8"), err);
}

BOOST_AUTO_TEST_CASE(a_utf16_file_with_a_bom_is_read_without_being_told) {
  const std::u16string text16 = u"id,name,city\r\n1,Zo\u00EB,\u20AC-land\r\n2,Bo,Oslo\r\n";
  std::string bytes = "\xFF\xFE";
  for (char16_t c : text16) bytes += {static_cast<char>(c & 0xFF), static_cast<char>(c >> 8)};
  auto text = run_ok(job(write_bytes("utf16.csv", bytes), id_template()));
  expect_each_once(text, {"1", "2"});
  BOOST_TEST(contains(text, "Zo\xC3\xAB | \xE2\x82\xAC-land"), text);
}

BOOST_AUTO_TEST_CASE(a_headerless_csv_takes_its_column_names_from_the_command_line) {
  auto data = write_bytes("headerless.csv", "1|Ada|London\n2|Grace|Arlington\n3|Lin|Oslo\n");
  auto text =
      run_ok(job(data, id_template(),
                 {"--csv-no-header", "--csv-columns", "id,name,city", "--csv-delimiter", "|"}));
  expect_each_once(text, {"1", "2", "3"});
  BOOST_TEST(contains(text, "Grace | Arlington"), text);
}

BOOST_AUTO_TEST_CASE(json_and_xml_invoices_map_every_record_once_and_render_alike) {
  const int64_t records = 2000;
  auto dir = suite_node().dir() + "/invoices";
  fs::create_directories(dir);
  std::string why;
  BOOST_REQUIRE_MESSAGE(generate_invoices(records, dir + "/invoices.json", why), why);
  BOOST_REQUIRE_MESSAGE(generate_invoices(records, dir + "/invoices.xml", why), why);
  auto tmpl = write_marked_template(dir);
  auto json_text = run_ok(job(dir + "/invoices.json", tmpl, {"--record-path", "/invoices"}));
  auto xml_text = run_ok(job(dir + "/invoices.xml", tmpl, {"--record-path", "/invoices/invoice"}));
  for (const auto* text : {&json_text, &xml_text}) {
    auto problems = exactly_once_problems(count_markers(*text), records);
    BOOST_TEST(problems.empty(), problems);
  }
  BOOST_TEST(json_text == xml_text, "the same template renders JSON and XML invoices alike");
}

BOOST_AUTO_TEST_CASE(unbalanced_xml_fails_with_line_and_column) {
  auto data = write_bytes("broken.xml",
                          "<invoices>\n<invoice><id>1</id></invoice>\n<invoice><id>2</id>\n"
                          "</invoices>\n");
  auto err = run_failing(job(data, id_template(), {"--record-path", "/invoices/invoice"}));
  BOOST_TEST(contains(err, "malformed XML at line 4, column"), err);
}

BOOST_AUTO_TEST_CASE(an_entity_bomb_and_an_external_entity_are_refused) {
  std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n <!ENTITY a \"aaaaaaaaaa\">\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string refs;
    for (int i = 0; i < 10; ++i) refs += "&" + prev + ";";
    bomb += " <!ENTITY " + std::string(1, c) + " \"" + refs + "\">\n";
    prev = std::string(1, c);
  }
  bomb += "]>\n<r><p><id>1</id><name>&j;</name></p></r>\n";
  auto err = run_failing(job(write_bytes("bomb.xml", bomb), id_template()));
  BOOST_TEST(contains(err, "entit"), err);
  auto secret = suite_node().write("input/secret.txt", "TOP SECRET");
  auto xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file://" + secret +
             "\">]>\n<r><p><id>1</id><name>&x;</name></p></r>\n";
  err = run_failing(job(write_bytes("xxe.xml", xxe), id_template()));
  BOOST_TEST(contains(err, "entit"), err);
  BOOST_TEST(!contains(err, "TOP SECRET"), err);
}

BOOST_AUTO_TEST_CASE(a_json_array_that_ends_early_fails_naming_where) {
  auto data = write_bytes("short.json", "[\n{\"id\": \"1\"},\n{\"id\": \"2\"},\n{\"id\": \"3\"");
  auto err = run_failing(job(data, id_template()));
  BOOST_TEST(contains(err, "ends early"), err);
}

BOOST_AUTO_TEST_CASE(an_unknown_encoding_is_bad_usage_before_anything_is_sent) {
  auto data = write_bytes("enc.csv", "id,name,city\n1,a,b\n");
  submit_request r = job(data, id_template(), {"--data-encoding", "ebcdic"});
  auto res = submit(suite_node(), r, 30s);
  BOOST_TEST(res.exit_code == 2, res.err);
  BOOST_TEST(contains(res.err, "unknown data encoding 'ebcdic'"), res.err);
  BOOST_TEST(job_id_of(res.out) == 0, res.out);
}
