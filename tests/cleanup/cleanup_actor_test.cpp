// The clean-up schedule (cron next-fire times in UTC, per-node staggering) and the
// clean-up actor on an embedded SQLite database: a manual sweep, a skipped round while
// the lease is held, the history and the lease table.

#define BOOST_TEST_MODULE cleanup_actor
#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "actors/cleanup.hpp"
#include "config/cron.hpp"
#include "storage/database.hpp"

using namespace std::chrono_literals;
using std::chrono::system_clock;
namespace fs = std::filesystem;

namespace {

system_clock::time_point utc(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return system_clock::from_time_t(timegm(&tm));
}

weft::config::settings three_nodes(std::size_t self) {
  weft::config::settings s;
  for (const char* name : {"master", "ext1", "ext2"}) {
    weft::config::node_settings n;
    n.name = name;
    s.nodes.push_back(n);
  }
  s.self = self;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cleanup_schedule)

BOOST_AUTO_TEST_CASE(next_fire_finds_the_next_matching_minute_in_utc) {
  using weft::config::next_fire;
  BOOST_TEST((next_fire("*/15 * * * *", utc(2024, 5, 1, 12, 7, 30)) == utc(2024, 5, 1, 12, 15)));
  BOOST_TEST((next_fire("*/15 * * * *", utc(2024, 5, 1, 12, 15)) == utc(2024, 5, 1, 12, 30)));
  BOOST_TEST((next_fire("0 3 * * *", utc(2024, 5, 1, 3, 0)) == utc(2024, 5, 2, 3, 0)));
  BOOST_TEST((next_fire("59 23 31 12 *", utc(2024, 5, 1, 0, 0)) == utc(2024, 12, 31, 23, 59)));
  BOOST_TEST((next_fire("0 0 29 feb *", utc(2025, 1, 1, 0, 0)) == utc(2028, 2, 29, 0, 0)));
  // 2024-05-01 is a Wednesday: "mon-fri" at 8:30 → Thursday; "sun" (0 or 7) → the 5th.
  BOOST_TEST((next_fire("30 8 * * mon-fri", utc(2024, 5, 1, 9, 0)) == utc(2024, 5, 2, 8, 30)));
  BOOST_TEST((next_fire("0 0 * * 7", utc(2024, 5, 1, 9, 0)) == utc(2024, 5, 5, 0, 0)));
  // Both day fields restricted: either matches (the 10th, or a Sunday before it).
  BOOST_TEST((next_fire("0 0 10 * sun", utc(2024, 5, 1, 9, 0)) == utc(2024, 5, 5, 0, 0)));
  BOOST_TEST((next_fire("5/20 * * * *", utc(2024, 5, 1, 9, 26)) == utc(2024, 5, 1, 9, 45)));
  BOOST_TEST((next_fire("0 0 30 2 *", utc(2024, 1, 1, 0, 0)) == system_clock::time_point::max()));
  BOOST_CHECK_THROW(next_fire("61 * * * *", system_clock::now()), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(nodes_are_staggered_across_an_interval) {
  const auto t0 = utc(2024, 5, 1, 12, 0);  // a multiple of 60 s since the epoch
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = three_nodes(i);
    s.cleanup.interval = 60s;
    const auto first = weft::actors::next_sweep(s, t0);
    BOOST_TEST((first == t0 + 20s * static_cast<int>(i) + (i == 0 ? 60s : 0s)), i);
    BOOST_TEST((weft::actors::next_sweep(s, first) == first + 60s));
  }
}

BOOST_AUTO_TEST_CASE(nodes_are_staggered_across_the_gap_of_a_cron_schedule) {
  const auto t0 = utc(2024, 5, 1, 12, 1);
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = three_nodes(i);
    s.cleanup.schedule = "*/15 * * * *";
    const auto at = weft::actors::next_sweep(s, t0);
    BOOST_TEST((at == utc(2024, 5, 1, 12, 0) + 5min * static_cast<int>(i) + (i == 0 ? 15min : 0s)),
               i);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cleanup_actor)

BOOST_AUTO_TEST_CASE(a_manual_sweep_runs_records_its_history_and_the_next_round_is_skipped) {
  const fs::path root =
      fs::path(WEFT_BINARY_DIR) / "tests" / "cleanup-tmp" / ("actor_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "uploads" / "old");
  weft::config::settings s = three_nodes(0);
  s.nodes[0].database_sweep = true;
  s.files.root = root.string();
  s.cleanup.interval = 1h;
  s.cleanup.lock_at_least = 30s;
  weft::storage::database_spec spec;
  spec.kind = weft::storage::backend_kind::sqlite;
  spec.sqlite_path = (root / "weft.db").string();
  auto db = weft::storage::database::open(spec, 10s);
  weft::actors::node_context ctx;
  ctx.settings = &s;
  ctx.db = db.get();
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    auto cleanup = weft::actors::spawn_cleanup(sys, ctx);
    caf::scoped_actor self{sys};
    auto ask = [&](auto... xs) {
      std::string out;
      self->request(cleanup, 30s, xs...)
          .receive([&](const std::string& json) { out = json; },
                   [&](const caf::error& e) { BOOST_FAIL(sys.render(e)); });
      return nlohmann::json::parse(out);
    };
    auto first = ask(weft::actors::cleanup_atom::value, weft::actors::run_atom::value);
    BOOST_TEST_MESSAGE(first.dump());
    BOOST_TEST(first["status"] == "done");
    BOOST_TEST(first["token"] == 1);
    BOOST_TEST(first["node"] == "master");
    BOOST_TEST(first["database_sweep"] == true);
    BOOST_TEST(!first["finished_at"].get<std::string>().empty());
    auto second = ask(weft::actors::cleanup_atom::value, weft::actors::run_atom::value);
    BOOST_TEST(second["status"] == "skipped");  // lock_at_least keeps the lease
    BOOST_TEST(second["token"] == 1);
    auto history =
        ask(weft::actors::cleanup_atom::value, weft::actors::history_atom::value, int32_t{10});
    BOOST_TEST_REQUIRE(history.size() == 1u);
    BOOST_TEST(history[0]["id"] == first["id"]);
    BOOST_TEST(history[0]["status"] == "done");
    auto leases = ask(weft::actors::cleanup_atom::value, weft::actors::leases_atom::value);
    BOOST_TEST_REQUIRE(leases.size() == 1u);
    BOOST_TEST(leases[0]["name"] == "cleanup");
    BOOST_TEST(leases[0]["expired"] == false);
    ctx.stopping->store(true);  // it obeys an anonymous exit only when the node stops
    caf::anon_send_exit(cleanup, caf::exit_reason::user_shutdown);
  }
  db.reset();
  fs::remove_all(root);
}

BOOST_AUTO_TEST_SUITE_END()
