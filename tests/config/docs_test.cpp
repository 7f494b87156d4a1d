#define BOOST_TEST_MODULE config_docs
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/known_keys.hpp"
#include "config/runtime_settings.hpp"

using weft::config::key_info;
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

/// The cells of a table row "| `key` | type | default | meaning | example |", trimmed.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::size_t begin = row.find('|');
  while (begin != std::string::npos) {
    const auto end = row.find('|', begin + 1);
    if (end == std::string::npos) break;
    auto cell = row.substr(begin + 1, end - begin - 1);
    const auto first = cell.find_first_not_of(' ');
    const auto last = cell.find_last_not_of(' ');
    out.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
    begin = end;
  }
  return out;
}

/// The row documenting `key` in `section`, or "".
std::string row_of(const std::string& section, std::string_view key) {
  const auto mark = "\n| `" + std::string(key) + "` |";
  const auto pos = section.find(mark);
  if (pos == std::string::npos) return {};
  return section.substr(pos + 1, section.find('\n', pos + 1) - pos - 1);
}

/// The default column as the docs write it: typed defaults as code (`"250ms"`), notes as
/// text.
std::string default_cell(const key_info& k) {
  return k.has_typed_default() ? "`" + k.default_text() + "`" : k.default_text();
}

/// Checks the type and default columns of `row` against the descriptor `k`.
void check_row(const key_info& k, const std::string& row) {
  const auto c = cells(row);
  BOOST_TEST_INFO("docs row: " << row);
  BOOST_REQUIRE_EQUAL(c.size(), 5u);
  BOOST_TEST(c[1] == k.type_text(),
             k.dotted() << ": docs say type " << c[1] << ", the table " << k.type_text());
  BOOST_TEST(c[2] == default_cell(k),
             k.dotted() << ": docs say default " << c[2] << ", the table " << default_cell(k));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(configuration_docs)

BOOST_AUTO_TEST_CASE(documents_every_known_key_in_its_section) {
  const auto docs = read_docs();
  BOOST_REQUIRE(!docs.empty());
  for (const auto& k : known_keys()) {
    const auto section = section_of(docs, k.table);
    BOOST_TEST(!section.empty(), "no section for " << heading_mark(k.table));
    const auto row = row_of(section, k.key);
    BOOST_TEST(!row.empty(),
               "key `" << k.key << "` is not documented under " << heading_mark(k.table));
    if (!row.empty()) check_row(k, row);
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
          if (line.find(heading_mark(k.table)) != std::string::npos &&
              std::count(tables.begin(), tables.end(), k.table) == 0)
            tables.push_back(k.table);
      continue;
    }
    if (tables.empty() || line.rfind("| `", 0) != 0) continue;
    const auto key = line.substr(3, line.find('`', 3) - 3);
    bool known = false;
    for (const auto& k : known_keys())
      for (auto t : tables)
        if (k.table == t && k.key == key) {
          known = true;
          check_row(k, line);
        }
    BOOST_TEST(known, "docs list `" << key << "` in: " << line.substr(0, 40)
                                    << "... but the loader does not know it there");
  }
}

BOOST_AUTO_TEST_CASE(lists_exactly_the_keys_that_set_accepts) {
  const auto docs = read_docs();
  const auto begin = docs.find("**Which keys.**");
  BOOST_REQUIRE(begin != std::string::npos);
  // The paragraph and the bullet list after it.
  auto end = docs.find("\n\n", begin);
  while (end != std::string::npos && docs.compare(end + 2, 2, "* ") == 0)
    end = docs.find("\n\n", end + 2);
  const auto list = docs.substr(begin, end - begin);
  // The list names the merge keys once "for `merge` and `weaver` alike".
  const auto as_listed = [](std::string key) {
    const std::string weaver = "scheduler.weaver.";
    if (key.rfind(weaver, 0) == 0) key = "scheduler.merge." + key.substr(weaver.size());
    return key;
  };
  std::vector<std::string> listed;
  for (auto pos = list.find('`'); pos != std::string::npos; pos = list.find('`', pos + 1)) {
    const auto close = list.find('`', pos + 1);
    if (close == std::string::npos) break;
    const auto name = list.substr(pos + 1, close - pos - 1);
    pos = close;
    if (name.find('.') == std::string::npos) continue;  // `merge`, `weaver`
    listed.push_back(name);
    BOOST_TEST(weft::config::is_settable(name), "docs list `" << name << "` as settable");
  }
  for (const auto& key : weft::config::settable_keys())
    BOOST_TEST(std::count(listed.begin(), listed.end(), as_listed(key)) > 0,
               "`" << key << "` can be set but is not in the list under \"Which keys.\"");
}

BOOST_AUTO_TEST_SUITE_END()
