// A small data file mapped at submission (planning::map_inline): its rows and mapping report,
// and every case in which it declines (too large, too many records, a bad row, no record, a row
// too large for one statement) so that the mapper maps the job and names what is wrong.

#define BOOST_TEST_MODULE record_mapping
#include "actors/planning/record_mapping.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/child_process.hpp"

using weft::document::data_format;
using weft::planning::map_inline;

namespace {

struct files {
  weft::test::temp_dir dir{"record-mapping"};
  std::string tmpl = dir.write("t.mustache", "{{id}} {{name}}\n");
  weft::document::reader_options options(const std::string& name) {
    weft::document::reader_options o;
    o.source_name = name;
    return o;
  }
  std::optional<weft::planning::inline_mapping> map(const std::string& name,
                                                    const std::string& text, data_format f,
                                                    std::size_t max_statement = 1 << 20) {
    return map_inline(dir.write(name, text), f, options(name), tmpl, max_statement);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_small_file_is_mapped_with_its_report, files) {
  auto m = map("d.ndjson", "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\",\"extra\":1}\n",
               data_format::ndjson);
  BOOST_REQUIRE(m);
  BOOST_REQUIRE_EQUAL(m->mapped.records.size(), 2u);
  BOOST_TEST(m->mapped.records[0].seq == 1);
  BOOST_TEST(m->mapped.records[1].seq == 2);
  BOOST_TEST(nlohmann::json::parse(m->mapped.records[1].body)["name"] == "b");
  BOOST_TEST(m->description.find("NDJSON") != std::string::npos, m->description);
  auto report = nlohmann::json::parse(m->mapped.report_json);
  BOOST_TEST(report.is_object());
  // the same warnings the mapper logs: a data field no template variable uses
  std::string all;
  for (const auto& w : report["warnings"]) all += w.get<std::string>() + "\n";
  BOOST_TEST(all.find("extra") != std::string::npos, all);
  // CSV too
  auto c = map("d.csv", "id,name\n1,a\n2,b\n3,c\n", data_format::csv);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->mapped.records.size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(it_declines_what_the_mapper_must_do_or_name, files) {
  // larger than 64 KiB
  std::string big;
  while (big.size() <= weft::planning::inline_mapping_max_bytes)
    big += "{\"id\":1,\"name\":\"" + std::string(100, 'x') + "\"}\n";
  BOOST_TEST(!map("big.ndjson", big, data_format::ndjson));
  // more than 1,000 records, though small
  std::string many = "id\n";
  for (int i = 0; i <= weft::planning::inline_mapping_max_records; ++i)
    many += std::to_string(i % 10) + "\n";
  BOOST_TEST(many.size() < weft::planning::inline_mapping_max_bytes);
  BOOST_TEST(!map("many.csv", many, data_format::csv));
  // a bad row (the mapper fails the job naming it), no record at all
  BOOST_TEST(!map("bad.ndjson", "{\"id\":1}\n{\"id\": \n", data_format::ndjson));
  BOOST_TEST(!map("short.csv", "id,name\n1,a\n2\n", data_format::csv));
  BOOST_TEST(!map("header.csv", "id,name\n", data_format::csv));
  // a row the database would not take in one statement
  BOOST_TEST(!map("wide.ndjson", "{\"id\":1,\"name\":\"" + std::string(2000, 'y') + "\"}\n",
                  data_format::ndjson, 2048));
  BOOST_TEST(map("wide.ndjson", "{\"id\":1,\"name\":\"" + std::string(2000, 'y') + "\"}\n",
                 data_format::ndjson, 8192)
                 .has_value());
}
