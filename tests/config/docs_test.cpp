#define BOOST_TEST_MODULE config_docs
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/known_keys.hpp"

using weft::config::known_keys;

namespace {

std::string read_docs() {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/docs/configuration.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// How a table is named in a `### ` heading: "Top level", "`[[node]]`", "`[cluster]`".
/// One heading may name several tables ("`[scheduler.merge]`, `[scheduler.weaver]`").
std::string heading_mark(std::string_view table) {
  if (table.empty()) return "Top level";
  if (table == "node") return "`[[node]]`";
  return "`[" + std::string(table) + "]`";
}

/// The section under the `### ` heading that names `table`, up to the next heading.
std::string section_of(const std::string& docs, std::string_view table) {
  std::size_t pos = 0;
  while ((pos = docs.find("\n### ", pos)) != std::string::npos) {
    const auto eol = docs.find('\n', pos + 1);
    const auto heading = docs.substr(pos + 1, eol - pos - 1);
    if (heading.find(heading_mark(table)) != std::string::npos) {
      const auto next = docs.find("\n#", eol);
      return docs.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    }
    pos = eol;
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(configuration_docs)

BOOST_AUTO_TEST_CASE(documents_every_known_key_in_its_section) {
  const auto docs = read_docs();
  BOOST_REQUIRE(!docs.empty());
  for (const auto& k : known_keys()) {
    const auto section = section_of(docs, k.table);
    BOOST_TEST(!section.empty(), "no section for " << heading_mark(k.table));
    BOOST_TEST(section.find("| `" + std::string(k.key) + "` |") != std::string::npos,
               "key `" << k.key << "` is not documented under " << heading_mark(k.table));
  }
}

BOOST_AUTO_TEST_CASE(documents_no_key_the_loader_does_not_know) {
  const auto docs = read_docs();
  std::istringstream lines(docs);
  std::string line;
  std::vector<std::string_view> tables;  // the tables the current section documents
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) {
      tables.clear();
      if (line.rfind("### ", 0) == 0)
        for (const auto& k : known_keys())
          if (line.find(heading_mark(k.table)) != std::string::npos) tables.push_back(k.table);
      continue;
    }
    if (tables.empty() || line.rfind("| `", 0) != 0) continue;
    const auto key = line.substr(3, line.find('`', 3) - 3);
    bool known = false;
    for (const auto& k : known_keys())
      for (auto t : tables) known = known || (k.table == t && k.key == key);
    BOOST_TEST(known, "docs list `" << key << "` in: " << line.substr(0, 40)
                                    << "... but the loader does not know it there");
  }
}

BOOST_AUTO_TEST_SUITE_END()
