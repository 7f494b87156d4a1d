// The scheduler lease, its history and the write fence on both backends: one suite, two
// CTest entries (master_store_sqlite, master_store_mariadb), a fresh database per case
// (backend_fixture.hpp). docs/cluster.md "Master failover".

#define BOOST_TEST_MODULE master_store
#include "storage/master_store.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "storage/job_store.hpp"
#include "storage/settings_store.hpp"
#include "tests/storage/backend_fixture.hpp"

using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;

namespace {

new_job sample_job() {
  new_job j;
  j.template_path = "files/t/letter.mustache";
  j.data_path = "files/t/data.csv";
  j.data_format = "csv";
  j.options_json = "{}";
  return j;
}

std::vector<batch_row> two_batches(int64_t job) {
  std::vector<batch_row> out(2);
  for (int i = 0; i < 2; ++i) {
    out[i].job_id = job;
    out[i].batch_no = i;
    out[i].first_seq = 1 + i * 10;
    out[i].last_seq = 10 + i * 10;
    out[i].attempt = 1;
  }
  return out;
}

bool refused_by_fence(const std::function<void()>& write) {
  try {
    write();
  } catch (const storage_error& e) {
    return e.code == errc::fenced;
  }
  return false;
}

struct migrated {
  fresh_database fresh;
  std::unique_ptr<database> db = fresh.open();
  migrated() { db->migrate(10s); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(master_store_suite, migrated)

BOOST_AUTO_TEST_CASE(the_first_take_over_gets_token_1_and_a_second_candidate_waits) {
  master_store m(*db);
  BOOST_TEST(!m.holder().has_value());
  auto a = m.take_over("a", 10s, "first start");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(*a == 1);
  BOOST_TEST(!m.take_over("b", 10s, "standby").has_value());
  auto h = m.holder();
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(h->holder == "a");
  BOOST_TEST(h->token == 1);
  BOOST_TEST(!h->expired);
}

BOOST_AUTO_TEST_CASE(an_expired_lease_is_taken_over_with_a_higher_token_and_recorded) {
  master_store m(*db);
  BOOST_REQUIRE(m.take_over("a", 300ms, "first start"));
  BOOST_TEST(!m.take_over("b", 10s, "too early").has_value());
  std::optional<int64_t> b;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!b && std::chrono::steady_clock::now() < deadline) {
    b = m.take_over("b", 10s, "the lease of 'a' expired");
    if (!b) std::this_thread::sleep_for(20ms);  // polling the database clock, not synchronising
  }
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(*b == 2);
  // The old holder can neither renew nor write any more.
  BOOST_TEST(!m.renew("a", 1, 10s));
  BOOST_TEST(m.renew("b", 2, 10s));
  auto history = m.history();
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST(history[0].node == "b");
  BOOST_TEST(history[0].event == "take-over");
  BOOST_TEST(history[0].token == 2);
  BOOST_TEST(history[0].reason == "the lease of 'a' expired");
  BOOST_TEST(history[1].node == "a");
}

BOOST_AUTO_TEST_CASE(a_restarted_holder_reclaims_its_own_lease_at_once) {
  master_store m(*db);
  BOOST_REQUIRE(m.take_over("a", 1h, "first start"));
  auto again = m.take_over("a", 1h, "restarted");
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(*again == 2);
  BOOST_TEST(!m.take_over("a", 1h, "not reclaiming", false).has_value());
}

BOOST_AUTO_TEST_CASE(a_hand_over_frees_the_lease_at_once_and_is_recorded) {
  master_store m(*db);
  auto a = m.take_over("a", 1h, "first start");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(m.step_down("a", *a, "drained", true));
  auto b = m.take_over("b", 1h, "handed over");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(*b == 2);
  // A stale step-down records itself but frees nothing.
  BOOST_TEST(m.step_down("a", *a, "late"));
  BOOST_TEST(!m.take_over("c", 1h, "must wait").has_value());
  auto history = m.history();
  BOOST_REQUIRE(history.size() == 4u);
  BOOST_TEST(history[2].event == "hand-over");
  BOOST_TEST(history[0].event == "step-down");
}

BOOST_AUTO_TEST_CASE(every_scheduler_write_of_a_superseded_master_is_refused_and_changes_nothing) {
  master_store m(*db);
  auto a = m.take_over("a", 1h, "first start");
  BOOST_REQUIRE(a.has_value());
  job_store plain(*db);
  job_store old_master(*db, write_fence{"a", *a});
  const int64_t id = plain.create_job(sample_job());
  // While "a" holds the lease its writes go through.
  BOOST_TEST(old_master.set_state(id, job_state::mapping));
  old_master.insert_records(id, {{1, "{}"}, {2, "{}"}});
  // "b" takes over (the lease is handed over so the test need not wait).
  BOOST_REQUIRE(m.step_down("a", *a, "test", true));
  auto b = m.take_over("b", 1h, "test");
  BOOST_REQUIRE(b.has_value());
  job_store new_master(*db, write_fence{"b", *b});
  auto batches = two_batches(id);
  BOOST_TEST(refused_by_fence([&] { old_master.finish_mapping(id, 20, batches); }));
  BOOST_TEST(refused_by_fence([&] { old_master.set_state(id, job_state::cancelled); }));
  BOOST_TEST(refused_by_fence([&] { old_master.insert_records(id, {{3, "{}"}}); }));
  BOOST_TEST(refused_by_fence([&] { old_master.reset_mapping(id); }));
  BOOST_TEST(refused_by_fence([&] { old_master.set_class(id, "large", ""); }));
  BOOST_TEST(refused_by_fence([&] { old_master.set_mapping_report(id, "{}"); }));
  auto job = plain.job(id);
  BOOST_TEST(to_string(job.state) == std::string{"mapping"});
  BOOST_TEST(job.job_class.empty());
  BOOST_TEST(plain.records(id, 1, 10).size() == 2u);
  // The new master's writes go through; the old one's batch grants do not.
  new_master.finish_mapping(id, 20, batches);
  batch_row grant = batches[0];
  grant.attempt = 2;
  grant.engine = "old-engine";
  grant.node = "a";
  BOOST_TEST(refused_by_fence([&] { old_master.set_attempt(id, phase::merge, 0, 2); }));
  BOOST_TEST(refused_by_fence([&] { old_master.mark_running(grant); }));
  BOOST_TEST(refused_by_fence([&] { old_master.start_weaving(id, {}); }));
  auto open = plain.open_batches(id, phase::merge);
  BOOST_REQUIRE(open.size() == 2u);
  BOOST_TEST(open[0].attempt == 1);
  BOOST_TEST(open[0].engine.empty());
  new_master.set_attempt(id, phase::merge, 0, 2);
  BOOST_TEST(plain.open_batches(id, phase::merge)[0].attempt == 2);
  BOOST_TEST(to_string(plain.job(id).state) == std::string{"merging"});
  // Engines' completions are fenced by the attempt only.
  content_row c;
  c.job_id = id;
  c.batch_no = 0;
  c.attempt = 2;
  c.path = "content/x";
  BOOST_TEST(plain.complete_merge(c, "e", "n"));
}

// `set` on a master that lost its lease changes nothing (the shell's settings).
BOOST_AUTO_TEST_CASE(a_superseded_masters_settings_are_refused_and_a_result_names_its_file) {
  master_store m(*db);
  auto a = m.take_over("a", 1h, "first start");
  BOOST_REQUIRE(a.has_value());
  settings_store old_master(*db, write_fence{"a", *a});
  old_master.put("scheduler.min_batch_size", "5", "shell");
  BOOST_REQUIRE(m.step_down("a", *a, "test", true));
  auto b = m.take_over("b", 1h, "test");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(refused_by_fence([&] { old_master.put("scheduler.min_batch_size", "7", "shell"); }));
  BOOST_TEST(refused_by_fence([&] { old_master.remove("scheduler.min_batch_size"); }));
  settings_store plain(*db);
  auto rows = plain.all();
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].value == "5");
  settings_store new_master(*db, write_fence{"b", *b});
  new_master.put("scheduler.min_batch_size", "9", "shell");
  BOOST_TEST(plain.all()[0].value == "9");
  BOOST_TEST(new_master.remove("scheduler.min_batch_size"));
  BOOST_TEST(plain.all().empty());

  // names_file: what an engine checks before deleting the file of a refused result.
  job_store jobs(*db);
  const int64_t id = jobs.create_job(sample_job());
  jobs.insert_records(id, {{1, "{}"}});
  jobs.finish_mapping(id, 20, two_batches(id));
  content_row c;
  c.job_id = id;
  c.batch_no = 0;
  c.attempt = 1;
  c.path = "content/m0.a1.bin";
  BOOST_REQUIRE(jobs.complete_merge(c, "e", "n"));
  BOOST_TEST(jobs.names_file(id, "content/m0.a1.bin"));
  BOOST_TEST(!jobs.names_file(id, "content/m0.a2.bin"));
  BOOST_TEST(!jobs.names_file(id + 1, "content/m0.a1.bin"));
}

// Fenced writes against plain ones: the figure docs/cluster.md quotes (one run).
BOOST_AUTO_TEST_CASE(the_cost_of_the_fence_per_batch_write) {
  master_store m(*db);
  auto a = m.take_over("a", 1h, "first start");
  BOOST_REQUIRE(a.has_value());
  job_store plain(*db);
  job_store fenced(*db, write_fence{"a", *a});
  const int64_t id = plain.create_job(sample_job());
  BOOST_REQUIRE(plain.set_state(id, job_state::mapping));
  const int n = 200;
  std::vector<batch_row> batches;
  for (int i = 0; i < n; ++i) {
    batch_row b;
    b.job_id = id;
    b.batch_no = i;
    b.first_seq = i + 1;
    b.last_seq = i + 1;
    b.attempt = 1;
    batches.push_back(b);
  }
  plain.finish_mapping(id, n, batches);
  // One grant per batch = set_attempt + mark_running, as the scheduler writes them.
  auto run = [&](job_store& store, int attempt) {
    const auto start = std::chrono::steady_clock::now();
    for (auto b : batches) {
      b.attempt = attempt;
      b.engine = "e";
      b.node = "a";
      store.set_attempt(id, phase::merge, b.batch_no, attempt);
      store.mark_running(b);
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
               .count() /
           n;
  };
  const double without = run(plain, 2);
  const double with = run(fenced, 3);
  std::printf("fence cost (%s): %.0f us per batch grant without the fence, %.0f us with it\n",
              selected_backend() == backend_kind::mariadb ? "mariadb" : "sqlite", without, with);
  BOOST_TEST(plain.open_batches(id, phase::merge)[0].attempt == 3);
}

BOOST_AUTO_TEST_SUITE_END()
