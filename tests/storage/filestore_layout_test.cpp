// The file store's layout (storage/filestore/layout.hpp): every path a writer
// builds is parsed back by the orphan sweep to the same batch and attempt.

#define BOOST_TEST_MODULE filestore_layout
#include <boost/test/unit_test.hpp>
#include <regex>

#include "storage/filestore/layout.hpp"

namespace fs = weft::filestore;

BOOST_AUTO_TEST_CASE(builds_every_path_below_the_job_folder) {
  BOOST_TEST(fs::job_dir("/r", 42) == "/r/jobs/42");
  BOOST_TEST(fs::input_dir("/r", 42) == "/r/jobs/42/input");
  BOOST_TEST(fs::keys_path("/r", 42) == "/r/jobs/42/keys.ndjson");
  BOOST_TEST(fs::plan_path("/r", 42, 3) == "/r/jobs/42/plan/3.txt");
  BOOST_TEST(fs::content_path("/r", 42, 7, 2) == "/r/jobs/42/content/m7.a2.bin");
  BOOST_TEST(fs::output_dir("/r", 42) == "/r/jobs/42/out");
  BOOST_TEST(fs::upload_dir("/r", "ab12") == "/r/uploads/ab12");
}

BOOST_AUTO_TEST_CASE(every_writer_gets_a_part_file_of_its_own) {
  const auto a = fs::part_path("/r/x.bin");
  const auto b = fs::part_path("/r/x.bin");
  BOOST_TEST(a != b);
  const std::regex shape(R"(/r/x\.bin\.[0-9a-f]{16}\.part)");
  BOOST_TEST(std::regex_match(a, shape), a);
  BOOST_TEST(std::regex_match(b, shape), b);
}

BOOST_AUTO_TEST_CASE(builds_the_resource_folders) {
  BOOST_TEST(fs::resources_dir("/r", 42) == "/r/jobs/42/resources");
  BOOST_TEST(fs::upload_resources_dir("/r", "ab12") == "/r/uploads/ab12/resources");
  BOOST_TEST(fs::cluster_resources_dir("/r", "resources") == "/r/resources");
  BOOST_TEST(fs::cluster_resources_dir("/r", "shared/images") == "/r/shared/images");
  BOOST_TEST((fs::area_of("resources") == fs::job_area::resources));
}

BOOST_AUTO_TEST_CASE(a_content_file_name_parses_back_to_its_batch_and_attempt) {
  const auto path = fs::content_path("/r", 5, 12, 3);
  const auto file = path.substr(path.rfind('/') + 1);
  auto parsed = fs::parse_content_name(file);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->batch_no == 12);
  BOOST_TEST(parsed->attempt == 3);
  auto part = fs::parse_content_name(fs::part_path(file));
  BOOST_REQUIRE(part);
  BOOST_TEST(part->batch_no == 12);
  BOOST_TEST(part->attempt == 3);
  // The older "<final>.part" (a file left by an earlier version) still parses.
  auto old = fs::parse_content_name(file + ".part");
  BOOST_REQUIRE(old);
  BOOST_TEST(old->attempt == 3);
  // A tag that is not 16 hex digits is part of the name, which then does not parse.
  BOOST_TEST(!fs::parse_content_name(file + ".xyz.part"));
}

BOOST_AUTO_TEST_CASE(an_output_file_name_parses_back_to_its_segment_and_attempt) {
  auto first = fs::parse_output_name(fs::output_file_name("invoices", "0004", 1, ".pdf"));
  BOOST_REQUIRE(first);
  BOOST_TEST(first->batch_no == 3);
  BOOST_TEST(first->attempt == 1);
  BOOST_TEST(fs::output_file_name("invoices", "0004", 1, ".pdf") == "invoices-0004.pdf");
  BOOST_TEST(fs::output_file_name("invoices", "0004", 2, ".pdf") == "invoices-0004.a2.pdf");
  auto second = fs::parse_output_name(fs::output_file_name("invoices", "0004", 2, ".pdf"));
  BOOST_REQUIRE(second);
  BOOST_TEST(second->batch_no == 3);
  BOOST_TEST(second->attempt == 2);
}

BOOST_AUTO_TEST_CASE(names_of_other_shapes_are_not_parsed) {
  BOOST_TEST(!fs::parse_content_name("notes.txt"));
  BOOST_TEST(!fs::parse_content_name("mX.a1.bin"));
  BOOST_TEST(!fs::parse_content_name("m1.b1.bin"));
  BOOST_TEST(!fs::parse_output_name("invoices.pdf"));
  BOOST_TEST(!fs::parse_output_name("invoices-0000.pdf"));
  BOOST_TEST(!fs::parse_job_dir_name("12a"));
  BOOST_TEST(!fs::parse_job_dir_name(""));
  BOOST_TEST(*fs::parse_job_dir_name("12") == 12);
}

BOOST_AUTO_TEST_CASE(areas_and_stored_paths_relative_to_a_job) {
  BOOST_TEST((fs::area_of("content") == fs::job_area::content));
  BOOST_TEST((fs::area_of("out") == fs::job_area::out));
  BOOST_TEST((fs::area_of("input") == fs::job_area::input));
  BOOST_TEST((fs::area_of("keys.ndjson") == fs::job_area::other));
  BOOST_TEST(fs::relative_to_job("/r/jobs/42/content/m1.a1.bin", 42) == "content/m1.a1.bin");
  BOOST_TEST(fs::relative_to_job("/r/jobs/142/content/m1.a1.bin", 42) == "");
  BOOST_TEST(fs::relative_to_job("/r/jobs/42/out/../input/d.csv", 42) == "input/d.csv");
}
