// The `cleanup` lease on both backends (cleanup_lease_sqlite, cleanup_lease_mariadb): one
// winner among racing threads and racing processes, expiry after lock_at_most,
// lock_at_least honoured, a token that only grows, and fencing of stale holders.

#define BOOST_TEST_MODULE cleanup_lease
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "storage/lease_store.hpp"
#include "tests/storage/backend_fixture.hpp"

extern char** environ;

using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

bool lease_free(lease_store& leases, const std::string& name) {
  auto info = leases.describe(name);
  return !info || info->expired;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cleanup_lease)

BOOST_AUTO_TEST_CASE(the_first_acquisition_creates_the_lease_and_a_held_lease_is_not_taken) {
  fresh_database fresh;
  auto db = fresh.open();
  lease_store leases(*db);
  BOOST_TEST(leases.describe().empty());
  auto token = leases.try_acquire("cleanup", "a", 10s);
  BOOST_TEST_REQUIRE(token.has_value());
  BOOST_TEST(*token == 1);
  BOOST_TEST(!leases.try_acquire("cleanup", "b", 10s).has_value());
  BOOST_TEST(!leases.try_acquire("cleanup", "a", 10s).has_value());  // not re-entrant
  auto info = leases.describe("cleanup");
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->holder == "a");
  BOOST_TEST(info->token == 1);
  BOOST_TEST(!info->expired);
  // lock_until = acquired_at + lock_at_most, on the database clock.
  const auto held_for =
      detail::parse_timestamp(info->lock_until) - detail::parse_timestamp(info->acquired_at);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(held_for).count() == 10000);
  // Another name is another lease.
  BOOST_TEST(leases.try_acquire("other", "b", 10s).value_or(0) == 1);
  BOOST_TEST(leases.describe().size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_lease_expires_after_lock_at_most_and_the_token_grows) {
  fresh_database fresh;
  auto db = fresh.open();
  lease_store leases(*db);
  const auto start = steady::now();
  auto first = leases.try_acquire("cleanup", "a", 600ms);
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(!leases.try_acquire("cleanup", "b", 600ms).has_value());
  std::optional<int64_t> second;
  wait_until([&] { return (second = leases.try_acquire("cleanup", "b", 600ms)).has_value(); }, 10s,
             "the lease to expire");
  BOOST_TEST((steady::now() - start >= 550ms));  // not before lock_at_most (clock granularity)
  BOOST_TEST(*second > *first);
  BOOST_TEST(leases.describe("cleanup")->holder == "b");
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(leases.release("cleanup", "b", *second, 0ms));
    // Free right after lock_until = now (the same clock tick still counts as held).
    std::optional<int64_t> next;
    wait_until([&] { return (next = leases.try_acquire("cleanup", "b", 600ms)).has_value(); }, 2s,
               "the released lease");
    BOOST_TEST(*next == *second + 1);
    second = next;
  }
}

BOOST_AUTO_TEST_CASE(release_keeps_the_lease_for_lock_at_least) {
  fresh_database fresh;
  auto db = fresh.open();
  lease_store leases(*db);
  auto token = leases.try_acquire("cleanup", "a", 60s);
  BOOST_TEST_REQUIRE(token.has_value());
  const auto released = steady::now();
  BOOST_TEST(leases.release("cleanup", "a", *token, 1500ms));
  BOOST_TEST(!leases.try_acquire("cleanup", "b", 60s).has_value());  // a short sweep: still held
  auto info = leases.describe("cleanup");
  const auto held_for =
      detail::parse_timestamp(info->lock_until) - detail::parse_timestamp(info->acquired_at);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(held_for).count() == 1500);
  wait_until([&] { return leases.try_acquire("cleanup", "b", 60s).has_value(); }, 10s,
             "lock_at_least to pass");
  BOOST_TEST((steady::now() - released >= 1200ms));
}

BOOST_AUTO_TEST_CASE(release_after_lock_at_least_frees_the_lease_at_once) {
  fresh_database fresh;
  auto db = fresh.open();
  lease_store leases(*db);
  auto token = leases.try_acquire("cleanup", "a", 60s);
  BOOST_TEST_REQUIRE(token.has_value());
  std::this_thread::sleep_for(300ms);  // the sweep's work
  BOOST_TEST(leases.release("cleanup", "a", *token, 200ms));
  wait_until([&] { return leases.try_acquire("cleanup", "b", 60s).has_value(); }, 2s,
             "the lease to be free");
}

BOOST_AUTO_TEST_CASE(a_stale_holder_can_neither_release_nor_renew) {
  fresh_database fresh;
  auto db = fresh.open();
  lease_store leases(*db);
  auto stale = leases.try_acquire("cleanup", "a", 300ms);
  BOOST_TEST_REQUIRE(stale.has_value());
  BOOST_TEST(leases.renew("cleanup", "a", *stale, 300ms));
  std::optional<int64_t> current;
  wait_until([&] { return (current = leases.try_acquire("cleanup", "b", 60s)).has_value(); }, 10s,
             "the lease to expire");
  BOOST_TEST(!leases.release("cleanup", "a", *stale, 0ms));
  BOOST_TEST(!leases.renew("cleanup", "a", *stale, 60s));
  BOOST_TEST(!leases.release("cleanup", "a", *current, 0ms));  // right token, wrong holder
  auto info = leases.describe("cleanup");
  BOOST_TEST(info->holder == "b");
  BOOST_TEST(info->token == *current);
  BOOST_TEST(!info->expired);
  BOOST_TEST(!leases.try_acquire("cleanup", "c", 60s).has_value());
  BOOST_TEST(leases.renew("cleanup", "b", *current, 60s));
}

BOOST_AUTO_TEST_CASE(racing_threads_with_their_own_pools_have_one_winner_per_round) {
  fresh_database fresh;
  constexpr int threads = 6;
  constexpr int rounds = 8;
  std::vector<std::unique_ptr<database>> dbs;
  for (int i = 0; i < threads; ++i) dbs.push_back(fresh.open());
  lease_store watcher(*dbs[0]);
  for (int round = 0; round < rounds; ++round) {
    // Even rounds race for a new name (two first inserts), odd ones for an expired row.
    const std::string name = "lease" + std::to_string(round / 2);
    if (round % 2 == 1)
      wait_until([&] { return lease_free(watcher, name); }, 10s, "the lease to expire");
    std::mutex m;
    std::condition_variable cv;
    int ready = 0;
    bool go = false;
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < threads; ++i) {
      racers.emplace_back([&, i] {
        lease_store leases(*dbs[i]);
        {
          std::unique_lock<std::mutex> lock(m);
          ++ready;
          cv.notify_all();
          cv.wait(lock, [&] { return go; });
        }
        try {
          if (leases.try_acquire(name, "t" + std::to_string(i), 300ms)) ++winners;
        } catch (const std::exception& e) {
          ++errors;
          BOOST_TEST_MESSAGE("racer " << i << ": " << e.what());
        }
      });
    }
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return ready == threads; });
      go = true;
      cv.notify_all();
    }
    for (auto& t : racers) t.join();
    BOOST_TEST(errors == 0, "round " << round);
    BOOST_TEST(winners == 1, "round " << round << ": " << winners << " winners");
    BOOST_TEST(watcher.describe(name)->token == round % 2 + 1);
  }
}

BOOST_AUTO_TEST_CASE(racing_processes_have_one_winner_per_round) {
  fresh_database fresh;
  auto db = fresh.open();  // migrated before the probes start
  lease_store watcher(*db);
  constexpr int processes = 5;
  constexpr int rounds = 4;
  const fs::path out_dir =
      fs::path(WEFT_BINARY_DIR) / "tests" / "cleanup-tmp" / ("lease_" + std::to_string(::getpid()));
  fs::create_directories(out_dir);
  int64_t last_token = 0;
  for (int round = 0; round < rounds; ++round) {
    if (round > 0)
      wait_until([&] { return lease_free(watcher, "cleanup"); }, 10s, "the lease to expire");
    int go[2], ready[2];
    BOOST_REQUIRE(::pipe(go) == 0);
    BOOST_REQUIRE(::pipe(ready) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < processes; ++i) {
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      const std::string out = (out_dir / ("probe" + std::to_string(i) + ".out")).string();
      posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
      posix_spawn_file_actions_addclose(&actions, go[1]);
      posix_spawn_file_actions_addclose(&actions, ready[0]);
      std::vector<std::string> args = {WEFT_LEASE_PROBE,
                                       "--ready-fd",
                                       std::to_string(ready[1]),
                                       "--go-fd",
                                       std::to_string(go[0]),
                                       fresh.url,
                                       fresh.password_file.empty() ? "-" : fresh.password_file,
                                       "cleanup",
                                       "p" + std::to_string(i),
                                       "400"};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      BOOST_REQUIRE(posix_spawn(&pid, WEFT_LEASE_PROBE, &actions, nullptr, argv.data(), environ) ==
                    0);
      posix_spawn_file_actions_destroy(&actions);
      pids.push_back(pid);
    }
    ::close(go[0]);
    ::close(ready[1]);
    int connected = 0;
    const auto ready_deadline = steady::now() + 60s;
    while (connected < processes && steady::now() < ready_deadline) {
      pollfd p{ready[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(ready[0], &c, 1) != 1) break;
      ++connected;
    }
    ::close(ready[0]);
    BOOST_TEST(connected == processes);
    ::close(go[1]);  // all at once
    int winners = 0;
    for (int i = 0; i < processes; ++i) {
      int status = 0;
      const auto deadline = steady::now() + 60s;
      while (::waitpid(pids[i], &status, WNOHANG) == 0) {
        if (steady::now() > deadline) {
          ::kill(pids[i], SIGKILL);
          ::waitpid(pids[i], &status, 0);
          break;
        }
        std::this_thread::sleep_for(5ms);
      }
      std::ifstream in(out_dir / ("probe" + std::to_string(i) + ".out"));
      std::stringstream text;
      text << in.rdbuf();
      BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), text.str());
      std::string word;
      int64_t token = 0;
      text >> word >> token;
      if (word == "won") {
        ++winners;
        BOOST_TEST(token > last_token);
        last_token = token;
      } else {
        BOOST_TEST(word == "lost", text.str());
      }
    }
    BOOST_TEST(winners == 1, "round " << round << ": " << winners << " winners");
  }
  BOOST_TEST(last_token == rounds);
  fs::remove_all(out_dir);
}

BOOST_AUTO_TEST_SUITE_END()
