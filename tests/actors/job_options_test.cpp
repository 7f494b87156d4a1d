// A job's output options as stored in `jobs.options` (actors/planning/job_json.hpp): read back
// by the scheduler, engines, mapper and inspector, so a wrong type is a clear error.

#define BOOST_TEST_MODULE job_options
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>

#include "actors/planning/job_json.hpp"

using weft::planning::job_options;
using weft::planning::parse_job_options;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_job_options(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  BOOST_ERROR("accepted " + text);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_the_options_and_survives_their_json_form) {
  auto o = parse_job_options(
      R"({"name":"inv","sort_by":"n","group_by":"g","split_every":100,"data":{}})");
  BOOST_TEST(o.name == "inv");
  BOOST_TEST(o.sort_by == "n");
  BOOST_TEST(o.group_by == "g");
  BOOST_TEST(o.split_every == 100);
  auto back = parse_job_options(weft::planning::to_json(o));
  BOOST_TEST(back.name == o.name);
  BOOST_TEST(back.split_every == o.split_every);
}

BOOST_AUTO_TEST_CASE(gives_defaults_for_empty_or_non_object_text_and_null_fields) {
  for (const char* text : {"", "not json", "[1,2]", "{}", R"({"name":null,"split_every":null})"}) {
    auto o = parse_job_options(text);
    BOOST_TEST(o.name == "job");
    BOOST_TEST(o.sort_by.empty());
    BOOST_TEST(o.split_every == 0);
  }
}

// Found by fuzzing (tests/fuzz/corpus/job_options/regression-*): {"name":1} threw
// nlohmann's type_error out of the scheduler's `submitted` handler (issue 11), and
// {"split_every":1e300} converted a double to int64 (undefined behaviour).
BOOST_AUTO_TEST_CASE(refuses_wrong_types_naming_the_field) {
  BOOST_TEST(error_of(R"({"name":1})") == "job options: 'name' must be a string, not number");
  BOOST_TEST(error_of(R"({"sort_by":[]})") == "job options: 'sort_by' must be a string, not array");
  BOOST_TEST(error_of(R"({"group_by":{}})") ==
             "job options: 'group_by' must be a string, not object");
  BOOST_TEST(error_of(R"({"split_every":1e300})") ==
             "job options: 'split_every' must be an integer >= 0, not 1e+300");
  BOOST_TEST(error_of(R"({"split_every":-1})") ==
             "job options: 'split_every' must be an integer >= 0, not -1");
  BOOST_TEST(error_of(R"({"split_every":18446744073709551615})") ==
             "job options: 'split_every' must be an integer >= 0, not 18446744073709551615");
  BOOST_TEST(error_of(R"({"split_every":"5"})") ==
             "job options: 'split_every' must be an integer >= 0, not string");
}
