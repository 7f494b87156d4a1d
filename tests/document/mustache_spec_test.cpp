// Conformance with the public Mustache specification (github.com/mustache/spec, MIT; the
// suites are vendored in tests/document/mustache-spec/ with their licence).
//
// Every case of the interpolation, sections, inverted, comments, delimiters and partials suites
// runs through the code path a job uses: the template and its partials are written as files
// into a directory, compiled with template_engine::compile_file (partials found next to the
// template, as in a job and in `caf-node render`) with the escaping of HTML output (the
// specification's: `{{x}}` escapes, `{{{x}}}` and `{{& x}}` do not), and rendered with
// compiled_template::render from the case's JSON data.
//
// One difference is deliberate (docs/templates.md, "Conformance"): a partial that does not exist
// is a compile error with its line and column, where the specification renders it empty. It is
// listed below by suite and name and checked to be exactly that error.
#define BOOST_TEST_MODULE document_mustache_spec
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "actors/document/output_format.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "test_support.hpp"

using namespace weft::document;
using nlohmann::json;

namespace {

const std::string spec_dir = std::string(WEFT_SOURCE_DIR) + "/tests/document/mustache-spec";

/// The one expected difference: suite, case name.
const std::set<std::pair<std::string, std::string>> deviations = {
    {"partials", "Failed Lookup"},
};

json load_suite(const std::string& suite) {
  std::ifstream in(spec_dir + "/" + suite + ".json", std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << spec_dir << "/" << suite << ".json");
  return json::parse(in);
}

/// The text with control characters made visible, so that expected and actual can be compared
/// in the log ("\n", "\r", "\t").
std::string visible(const std::string& s) { return json(s).dump(); }

/// Compiles and renders one case the way a job does. Throws what the engine throws.
std::string run_case(const json& test, const std::string& suite, std::size_t index) {
  weft::document::test::temp_dir dir("spec-" + suite + "-" + std::to_string(index));
  weft::document::test::write_file(dir / "template.mustache",
                                   test.at("template").get<std::string>());
  if (test.contains("partials")) {
    for (const auto& [name, text] : test.at("partials").items()) {
      weft::document::test::write_file(dir / (name + ".mustache"), text.get<std::string>());
    }
  }
  const template_engine engine(template_escape_for(output_format::html));
  auto compiled = engine.compile_file(dir / "template.mustache");
  return compiled.render(test.at("data"));
}

struct suite_result {
  std::size_t cases = 0;
  std::size_t passed = 0;
  std::size_t deviations = 0;
};

suite_result run_suite(const std::string& suite) {
  const json doc = load_suite(suite);
  const json& tests = doc.at("tests");
  suite_result result;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const json& test = tests[i];
    const std::string name = test.at("name").get<std::string>();
    const std::string expected = test.at("expected").get<std::string>();
    ++result.cases;
    BOOST_TEST_CONTEXT(suite << ".json: \"" << name << "\" (template "
                             << visible(test.at("template").get<std::string>()) << ")") {
      if (deviations.count({suite, name}) > 0) {
        ++result.deviations;
        continue;  // checked by its own test case below
      }
      try {
        const std::string actual = run_case(test, suite, i);
        BOOST_TEST(actual == expected, suite << ".json: \"" << name << "\": expected "
                                             << visible(expected) << ", got " << visible(actual));
        if (actual == expected) ++result.passed;
      } catch (const std::exception& e) {
        BOOST_ERROR(suite << ".json: \"" << name << "\": expected " << visible(expected)
                          << ", got an error: " << e.what());
      }
    }
  }
  BOOST_TEST_MESSAGE(suite << ": " << result.passed << "/" << result.cases - result.deviations
                           << " cases pass (" << result.deviations << " deliberate deviation"
                           << (result.deviations == 1 ? "" : "s") << ")");
  return result;
}

void check_suite(const std::string& suite, std::size_t expected_cases) {
  const suite_result r = run_suite(suite);
  // The vendored files are read, not skipped: a truncated or emptied suite fails here.
  BOOST_TEST(r.cases == expected_cases);
  BOOST_TEST(r.passed == r.cases - r.deviations);
}

}  // namespace

BOOST_AUTO_TEST_CASE(spec_interpolation) { check_suite("interpolation", 42); }
BOOST_AUTO_TEST_CASE(spec_sections) { check_suite("sections", 34); }
BOOST_AUTO_TEST_CASE(spec_inverted) { check_suite("inverted", 22); }
BOOST_AUTO_TEST_CASE(spec_comments) { check_suite("comments", 12); }
BOOST_AUTO_TEST_CASE(spec_delimiters) { check_suite("delimiters", 14); }
BOOST_AUTO_TEST_CASE(spec_partials) { check_suite("partials", 12); }

// The deliberate deviation: the specification renders a missing partial as nothing; Weft refuses
// the template when it is compiled, naming the partial with its line and column, so that a
// missing file is never a silent gap in thousands of documents.
BOOST_AUTO_TEST_CASE(spec_deviation_missing_partial_is_a_compile_error) {
  const json doc = load_suite("partials");
  const json* failed_lookup = nullptr;
  std::size_t index = 0;
  for (std::size_t i = 0; i < doc.at("tests").size(); ++i) {
    if (doc["tests"][i].at("name") == "Failed Lookup") {
      failed_lookup = &doc["tests"][i];
      index = i;
    }
  }
  BOOST_REQUIRE_MESSAGE(failed_lookup != nullptr, "partials.json has no \"Failed Lookup\" case");
  BOOST_REQUIRE_EQUAL(failed_lookup->at("template").get<std::string>(), "\"{{>text}}\"");
  BOOST_REQUIRE(failed_lookup->value("partials", json::object()).empty());
  try {
    const std::string out = run_case(*failed_lookup, "partials", index);
    BOOST_ERROR("a missing partial rendered as " << visible(out) << " instead of an error");
  } catch (const template_error& e) {
    BOOST_TEST(e.template_name() == "template.mustache");
    BOOST_TEST(e.line() == 1u);
    BOOST_TEST(e.column() == 2u);
    BOOST_TEST(std::string(e.what()) ==
               "template.mustache:1:2: unknown partial \"text\" (no text.mustache)");
  }
}
