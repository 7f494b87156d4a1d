// The run-time settings overrides (`settings` table) and the migration that shaped it
// (version 5), on SQLite (settings_store_sqlite) and MariaDB (settings_store_mariadb), a fresh
// database per case (backend_fixture.hpp).

#define BOOST_TEST_MODULE settings_store
#include "storage/settings_store.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "storage/migrations.hpp"
#include "tests/storage/backend_fixture.hpp"

using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;

namespace {

std::vector<std::string> names(const std::vector<setting_row>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.name);
  return out;
}

/// A database at schema version 4, the one before `settings` got set_by, set_at and seq.
std::unique_ptr<database> open_at_version_4(fresh_database& fresh) {
  auto db = database::open(fresh.spec, 10s, open_options{false});
  const auto report = detail::migrate(*db, 10s, 4);
  BOOST_REQUIRE(report.version == 4);
  BOOST_REQUIRE(db->schema_version() == 4);
  return db;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(settings_overrides)

BOOST_AUTO_TEST_CASE(a_fresh_database_has_no_overrides) {
  fresh_database fresh;
  auto db = fresh.open();
  BOOST_TEST(settings_store(*db).all().empty());
}

BOOST_AUTO_TEST_CASE(puts_are_listed_in_the_order_they_were_made) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  store.put("scheduler.min_batch_size", "5", "shell alice@ops1");
  store.put("cleanup.schedule", "\"*/5 * * * *\"", "shell bob@ops2");
  store.put("cleanup.interval", "\"15m\"", "shell alice@ops1");
  const auto rows = store.all();
  BOOST_TEST(names(rows) == (std::vector<std::string>{"scheduler.min_batch_size",
                                                      "cleanup.schedule", "cleanup.interval"}),
             boost::test_tools::per_element());
  BOOST_TEST(rows[0].value == "5");
  BOOST_TEST(rows[1].value == "\"*/5 * * * *\"");
  BOOST_TEST(rows[1].set_by == "shell bob@ops2");
  BOOST_TEST(rows[0].seq < rows[1].seq);
  BOOST_TEST(rows[1].seq < rows[2].seq);
  // set_at is the database's clock.
  for (const auto& r : rows) {
    const auto skew = detail::parse_timestamp(r.set_at) - db->now();
    BOOST_TEST((skew < 5s && skew > -5s), r.set_at);
  }
}

BOOST_AUTO_TEST_CASE(a_put_replaces_the_value_and_moves_it_last) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  store.put("a", "1", "x");
  store.put("b", "2", "x");
  const auto first_a = store.all().front();
  store.put("a", "3", "y");
  const auto rows = store.all();
  BOOST_TEST(names(rows) == (std::vector<std::string>{"b", "a"}), boost::test_tools::per_element());
  BOOST_TEST(rows[1].value == "3");
  BOOST_TEST(rows[1].set_by == "y");
  BOOST_TEST(rows[1].seq > rows[0].seq);
  BOOST_TEST(rows[1].seq > first_a.seq);
  // Putting the same value again still moves it last (a newer change).
  store.put("b", "2", "x");
  BOOST_TEST(names(store.all()) == (std::vector<std::string>{"a", "b"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(remove_goes_back_to_no_override) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  store.put("a", "1", "x");
  store.put("b", "2", "x");
  BOOST_TEST(store.remove("a"));
  BOOST_TEST(!store.remove("a"));
  BOOST_TEST(!store.remove("never-set"));
  BOOST_TEST(names(store.all()) == (std::vector<std::string>{"b"}),
             boost::test_tools::per_element());
  // A removed name set again comes after the others.
  store.put("a", "4", "x");
  BOOST_TEST(names(store.all()) == (std::vector<std::string>{"b", "a"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(values_are_kept_as_given) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  const std::string awkward = "it's \"quoted\" \\ Grüße 日本 ; DROP TABLE settings; --";
  store.put("k", awkward, "shell o'brien@host");
  store.put("empty", "", "");
  const auto rows = store.all();
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].value == awkward);
  BOOST_TEST(rows[0].set_by == "shell o'brien@host");
  BOOST_TEST(rows[1].value == "");
}

BOOST_AUTO_TEST_CASE(refuses_names_and_authors_the_columns_cannot_hold) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  for (const auto& [name, by] : {std::pair<std::string, std::string>{"", "x"},
                                 {std::string(192, 'n'), "x"},
                                 {"ok", std::string(201, 'b')}}) {
    auto e = expect_storage_error([&] { store.put(name, "1", by); });
    BOOST_TEST((e.code == errc::invalid), e.what());
  }
  store.put(std::string(191, 'n'), "1", std::string(200, 'b'));
  BOOST_TEST(store.all().size() == 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_puts_get_distinct_growing_seqs) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store store(*db);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        try {
          // Two names per thread, each put several times, and one shared name.
          store.put("t" + std::to_string(t) + "/" + std::to_string(i % 2), std::to_string(i),
                    "thread");
          if (i % 5 == 0) store.put("shared", std::to_string(t), "thread");
        } catch (const std::exception& e) {
          ++failures;
          BOOST_TEST_MESSAGE("put failed: " << e.what());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failures.load() == 0);
  const auto rows = store.all();
  BOOST_TEST(rows.size() == 9u);
  std::set<int64_t> seqs;
  for (const auto& r : rows) seqs.insert(r.seq);
  BOOST_TEST(seqs.size() == rows.size());
  for (std::size_t i = 1; i < rows.size(); ++i) BOOST_TEST(rows[i - 1].seq < rows[i].seq);
  // Every thread's last value of its own names is the one kept.
  for (const auto& r : rows)
    if (r.name != "shared") BOOST_TEST((r.value == "13" || r.value == "14"), r.name);
}

BOOST_AUTO_TEST_CASE(upgrades_a_version_4_database_keeping_its_settings) {
  fresh_database fresh;
  auto db = open_at_version_4(fresh);
  const std::string updated_at = "2024-05-01 12:00:00";
  detail::with_session(*db, [&](soci::session& s) {
    for (const char* name : {"b", "a"})
      s << "INSERT INTO settings (name, value, updated_at) VALUES ('" + std::string(name) +
               "', 'old', '" + updated_at + "')";
  });
  const auto report = db->migrate(10s);
  BOOST_TEST(report.version == database::known_schema_version());
  BOOST_TEST(report.applied == database::known_schema_version() - 4);
  settings_store store(*db);
  auto rows = store.all();
  // Rows kept, numbered in key order, with their time and no author.
  BOOST_TEST(names(rows) == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].seq == 1);
  BOOST_TEST(rows[1].seq == 2);
  BOOST_TEST(rows[0].value == "old");
  BOOST_TEST(rows[0].set_by == "");
  BOOST_TEST(detail::format_timestamp(detail::parse_timestamp(rows[0].set_at)) ==
             updated_at + ".000000");
  store.put("a", "new", "shell");
  rows = store.all();
  BOOST_TEST(names(rows) == (std::vector<std::string>{"b", "a"}), boost::test_tools::per_element());
  BOOST_TEST(rows[1].seq > 2);
  // Opened again by a newer process: nothing more to do.
  db.reset();
  BOOST_TEST(fresh.open()->migrate(5s).applied == 0);
}

BOOST_AUTO_TEST_CASE(an_empty_version_4_database_upgrades_too) {
  fresh_database fresh;
  auto db = open_at_version_4(fresh);
  BOOST_TEST(db->migrate(10s).version == database::known_schema_version());
  settings_store store(*db);
  store.put("a", "1", "x");
  BOOST_TEST(store.all().at(0).seq == 1);
}

// On MariaDB every DDL statement commits on its own: a process that died after the ALTER of
// version 5 but before recording it leaves the next one to skip the ALTER, not repeat it.
BOOST_AUTO_TEST_CASE(an_upgrade_cut_short_after_the_alter_is_finished_by_the_next_process,
                     *boost::unit_test::precondition(only_on_mariadb)) {
  fresh_database fresh;
  auto db = fresh.open();
  settings_store(*db).put("a", "1", "x");
  // Later migrations are idempotent on MariaDB too: forget them as well.
  detail::with_session(
      *db, [](soci::session& s) { s << "DELETE FROM schema_migrations WHERE version >= 5"; });
  BOOST_TEST(db->schema_version() == 4);
  const auto report = db->migrate(10s);
  BOOST_TEST(report.applied == database::known_schema_version() - 4);
  BOOST_TEST(report.version == database::known_schema_version());
  settings_store store(*db);
  BOOST_TEST(names(store.all()) == (std::vector<std::string>{"a"}),
             boost::test_tools::per_element());
  store.put("b", "2", "x");
  BOOST_TEST(store.all().back().seq == 2);
}

BOOST_AUTO_TEST_SUITE_END()
