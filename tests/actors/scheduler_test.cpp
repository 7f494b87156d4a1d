// The scheduler in one process on CAF's test coordinator (actor_fixture.hpp):
// a fake store, engines and clients played by the test, virtual time. Every
// case runs in milliseconds; the multi-process suites (tests/cluster) keep
// what only real processes show.
#define BOOST_TEST_MODULE actor_scheduler
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/actors/actor_fixture.hpp"

// How Boost.Test prints the enums it compares.
namespace weft::storage {
std::ostream& operator<<(std::ostream& out, job_state s) { return out << to_string(s); }
}  // namespace weft::storage
namespace weft::planning {
std::ostream& operator<<(std::ostream& out, engine_type t) { return out << to_string(t); }
}  // namespace weft::planning

using namespace weft::actors::testing;
using namespace std::chrono_literals;
using weft::storage::job_state;
using weft::storage::phase;

namespace {

std::string state_in(const std::optional<std::string>& job_json) {
  if (!job_json) return "(no answer)";
  return nlohmann::json::parse(*job_json).value("state", "(no state)");
}

nlohmann::json engine_row(const std::string& engines_json, const std::string& id) {
  for (const auto& e : nlohmann::json::parse(engines_json))
    if (e["id"] == id) return e;
  return nullptr;
}

nlohmann::json capacity_of(const std::string& capacity_json, const std::string& type) {
  for (const auto& c : nlohmann::json::parse(capacity_json))
    if (c["type"] == type) return c;
  return nullptr;
}

bool attempt_stored(const store_model& store, const batch& b) {
  for (const auto& a : store.attempts)
    if (a.job == b.job_id && a.batch_no == b.batch_no && a.attempt == b.attempt &&
        a.phase == (b.type == engine_type::merge ? phase::merge : phase::weave))
      return true;
  return false;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(scheduler, scheduler_fixture)

BOOST_AUTO_TEST_CASE(an_engine_registers_and_pulls_a_batch) {
  job_in_store(1, 50, 2);
  start_scheduler();
  auto e = engine("master");
  BOOST_TEST(store->engines["master/merge/0"] == "idle");
  auto b = want(e);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 1);
  BOOST_TEST(b->type == engine_type::merge);
  BOOST_TEST(b->first_seq == 1);
}

BOOST_AUTO_TEST_CASE(a_resumed_batch_is_handed_out_under_a_new_attempt) {
  job_in_store(1, 50, 1);
  start_scheduler();
  auto b = want(engine("master"));
  BOOST_REQUIRE(b);
  BOOST_TEST(b->attempt == 2);  // attempt 1 may still be running somewhere: fenced
  BOOST_TEST(attempt_stored(*store, *b));
}

BOOST_AUTO_TEST_CASE(a_jobs_batches_go_exactly_once_to_the_engines_it_is_granted) {
  topology({{"master", true, 3, 1}});
  job_in_store(1, 250, 6);  // medium: parallel_medium = 2 engines
  start_scheduler();
  auto e0 = engine("master", engine_type::merge, 0);
  auto e1 = engine("master", engine_type::merge, 1);
  auto e2 = engine("master", engine_type::merge, 2);
  auto first0 = want(e0);
  auto first1 = want(e1);
  BOOST_TEST(!want(e2));  // a third engine is not granted to a medium job
  auto done0 = work_off(e0, first0);
  auto done1 = work_off(e1, first1);
  BOOST_TEST(!handed_out(e2));
  std::multiset<int> given;
  for (const auto& b : done0) given.insert(b.batch_no);
  for (const auto& b : done1) given.insert(b.batch_no);
  BOOST_TEST(given == (std::multiset<int>{0, 1, 2, 3, 4, 5}));
  BOOST_TEST(store->jobs[1].state == job_state::weaving);
}

BOOST_AUTO_TEST_CASE(a_job_is_done_when_its_segments_are_woven) {
  job_in_store(1, 50, 1, 2);
  start_scheduler();
  auto merge = engine("master", engine_type::merge);
  auto weaver = engine("master", engine_type::weaver);
  BOOST_TEST(!want(weaver));  // segments wait for the merge batches they cover
  work_off(merge, want(merge));
  auto woven = work_off(weaver, handed_out(weaver));
  BOOST_TEST(woven.size() == 2u);
  BOOST_TEST(store->jobs[1].state == job_state::done);
}

BOOST_AUTO_TEST_CASE(a_lost_nodes_batch_goes_once_to_another_engine_with_a_new_attempt) {
  topology({{"master", true, 2, 1}, {"ext1", false, 1, 1}});
  job_in_store(1, 50, 1);
  start_scheduler();
  auto remote = engine("ext1");
  auto taken = want(remote);
  BOOST_REQUIRE(taken);
  auto local0 = engine("master", engine_type::merge, 0);
  auto local1 = engine("master", engine_type::merge, 1);
  BOOST_TEST(!want(local0));
  BOOST_TEST(!want(local1));
  node_lost("ext1");
  auto again0 = handed_out(local0);
  auto again1 = handed_out(local1);
  BOOST_REQUIRE(again0.has_value() != again1.has_value());
  auto again = again0 ? *again0 : *again1;
  BOOST_TEST(again.batch_no == taken->batch_no);
  BOOST_TEST(again.attempt == taken->attempt + 1);
  BOOST_TEST(attempt_stored(*store, again));
  BOOST_TEST(store->lost_nodes == std::vector<std::string>{"ext1"});
  BOOST_TEST(store->engines["ext1/merge/0"] == "lost");
}

BOOST_AUTO_TEST_CASE(an_engine_that_dies_hands_its_batch_to_another_engine_once) {
  job_in_store(1, 50, 1);
  start_scheduler();
  auto dying = engine("master", engine_type::merge, 0);
  auto taken = want(dying);
  BOOST_REQUIRE(taken);
  auto other = engine("master", engine_type::merge, 1);
  BOOST_TEST(!want(other));
  kill(dying);
  auto again = handed_out(other);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->attempt == taken->attempt + 1);
  BOOST_TEST(!handed_out(other));
}

BOOST_AUTO_TEST_CASE(an_engine_of_a_lost_node_must_register_again) {
  topology({{"master", true, 1, 1}, {"ext1", false, 1, 1}});
  job_in_store(1, 50, 1);
  start_scheduler();
  auto remote = engine("ext1");
  node_lost("ext1");
  BOOST_TEST(!want(remote));
  BOOST_TEST(refused(remote));
}

BOOST_AUTO_TEST_CASE(a_result_of_an_old_attempt_is_refused) {
  topology({{"master", true, 1, 1}, {"ext1", false, 1, 1}});
  job_in_store(1, 50, 1);
  start_scheduler();
  auto remote = engine("ext1");
  auto old_attempt = want(remote);
  BOOST_REQUIRE(old_attempt);
  auto local = engine("master");
  BOOST_TEST(!want(local));
  node_lost("ext1");
  auto redo = handed_out(local);
  BOOST_REQUIRE(redo);
  // The node comes back and reports the old attempt, which the store refused.
  auto rejoined = engine("ext1");
  want(rejoined, *old_attempt, false);
  BOOST_TEST(store->jobs[1].state == job_state::merging);
  BOOST_TEST(store->requests["save_weaving"] == 0);
  want(local, *redo, true);
  BOOST_TEST(store->jobs[1].state == job_state::weaving);
}

BOOST_AUTO_TEST_CASE(a_cancelled_job_gives_no_more_batches_and_its_waiters_are_answered) {
  job_in_store(1, 250, 6);
  start_scheduler();
  auto e0 = engine("master", engine_type::merge, 0);
  auto e1 = engine("master", engine_type::merge, 1);
  auto running = want(e0);
  BOOST_REQUIRE(running);
  BOOST_REQUIRE(want(e1));
  auto waiter = wait_for(1, 60s);
  auto canceller = cancel(1);
  BOOST_TEST(state_in(reply(canceller)) == "cancelled");
  BOOST_TEST(state_in(reply(waiter)) == "cancelled");
  BOOST_TEST(store->jobs[1].state == job_state::cancelled);
  BOOST_TEST(!want(e0, *running, true));
  advance(1s);  // the long poll ends with "nothing now"
  BOOST_TEST(told_to_ask_again(e0));
  BOOST_TEST(!handed_out(e0));
}

BOOST_AUTO_TEST_CASE(a_failed_batch_fails_its_job) {
  job_in_store(1, 50, 2);
  start_scheduler();
  auto e = engine("master");
  auto b = want(e);
  BOOST_REQUIRE(b);
  auto waiter = wait_for(1, 60s);
  report_failed(e, 1, "record 7: unknown tag");
  BOOST_TEST(state_in(reply(waiter)) == "failed");
  BOOST_TEST(store->jobs[1].error == "record 7: unknown tag");
  BOOST_TEST(!want(e));
}

BOOST_AUTO_TEST_CASE(wait_is_answered_when_the_job_finishes) {
  job_in_store(1, 50, 1);
  start_scheduler();
  auto merge = engine("master", engine_type::merge);
  auto weaver = engine("master", engine_type::weaver);
  auto waiter = wait_for(1, 60s);
  work_off(merge, want(merge));
  BOOST_TEST(!reply(waiter));  // merged, not woven yet
  work_off(weaver, want(weaver));
  BOOST_TEST(state_in(reply(waiter)) == "done");
}

// Issue 15: a scan for queued jobs read before a job ended (or before the master's own
// submission told the scheduler) must not start the job a second time.
BOOST_AUTO_TEST_CASE(a_queued_jobs_scan_older_than_a_jobs_end_does_not_start_it_again) {
  job_in_store(1, 50, 1);
  start_scheduler();
  auto merge = engine("master", engine_type::merge);
  auto weaver = engine("master", engine_type::weaver);
  auto waiter = wait_for(1, 60s);
  work_off(merge, want(merge));
  work_off(weaver, want(weaver));
  BOOST_REQUIRE(state_in(reply(waiter)) == "done");
  // What a scan read while the job was still queued: its row, paths and all.
  store->jobs[1].state = job_state::queued;
  store->jobs[1].template_path = "jobs/1/input/t.mustache";
  store->jobs[1].data_path = "jobs/1/input/d.csv";
  const int scans = store->requests["adopt"];
  advance(1s);
  BOOST_REQUIRE(store->requests["adopt"] > scans);
  // Not taken: nothing was stored about it, and a wait is answered at once from the
  // store instead of waiting for a run that should not exist.
  BOOST_TEST(store->jobs[1].state == job_state::queued);
  auto again = wait_for(1, 60s);
  BOOST_TEST(state_in(reply(again)) == "queued");
}

BOOST_AUTO_TEST_CASE(wait_is_answered_after_its_timeout_when_the_job_does_not_finish) {
  job_in_store(1, 50, 1);
  start_scheduler();
  auto waiter = wait_for(1, 500ms);
  advance(499ms);
  BOOST_TEST(!reply(waiter));
  advance(1ms);
  BOOST_TEST(state_in(reply(waiter)) == "merging");
}

BOOST_AUTO_TEST_CASE(a_drained_node_gets_no_new_batch_and_its_running_one_finishes) {
  topology({{"master", true, 1, 1}, {"ext1", false, 1, 1}});
  job_in_store(1, 250, 6);
  start_scheduler();
  auto remote = engine("ext1");
  auto local = engine("master");
  auto running = want(remote);
  BOOST_REQUIRE(running);
  auto local_batch = want(local);
  BOOST_REQUIRE(local_batch);
  BOOST_TEST(drain("ext1", true));
  BOOST_TEST(nlohmann::json::parse(inspect("engines"))[0]["draining"] == true);
  BOOST_TEST(!want(remote, *running, true));  // its result counts; no new work
  local_batch = want(local, *local_batch, true);
  BOOST_TEST(local_batch.has_value());
  BOOST_TEST(drain("ext1", false));
  auto after = handed_out(remote);  // undrained: its waiting poll is answered at once
  BOOST_REQUIRE(after);
  BOOST_TEST(after->batch_no != running->batch_no);
}

BOOST_AUTO_TEST_CASE(remote_engines_beyond_the_expected_total_wait_on_standby) {
  topology({{"master", true, 0, 0}, {"ext1", false, 1, 0}, {"ext2", false, 1, 0}});
  settings.scheduler.merge.expected_remote = 1;
  job_in_store(1, 250, 6);
  start_scheduler();
  auto active = engine("ext1");
  auto standby = engine("ext2");
  BOOST_TEST(store->engines["ext2/merge/0"] == "standby");
  BOOST_TEST(engine_row(inspect("engines"), "ext2/merge/0")["state"] == "standby");
  auto taken = want(active);
  BOOST_REQUIRE(taken);
  BOOST_TEST(!want(standby));
  node_lost("ext1");  // the standby engine takes over, with the lost batch
  auto again = handed_out(standby);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->batch_no == taken->batch_no);
  BOOST_TEST(again->attempt == taken->attempt + 1);
}

BOOST_AUTO_TEST_CASE(fewer_remote_engines_than_expected_is_degraded_and_jobs_still_run) {
  topology({{"master", true, 0, 0}, {"ext1", false, 2, 0}});
  job_in_store(1, 50, 1);
  start_scheduler();
  auto only = engine("ext1");
  auto merge = capacity_of(inspect("capacity"), "merge");
  BOOST_TEST(merge["expected_remote"] == 2);
  BOOST_TEST(merge["registered_remote"] == 1);
  BOOST_TEST(merge["degraded"] == true);
  BOOST_TEST(want(only).has_value());
}

BOOST_AUTO_TEST_CASE(settings_applied_at_run_time_reclassify_a_waiting_job) {
  settings.scheduler.max_records_small = 1000;
  job_in_store(1, 250, 6);  // small under these settings: one engine
  start_scheduler();
  auto e0 = engine("master", engine_type::merge, 0);
  auto e1 = engine("master", engine_type::merge, 1);
  BOOST_REQUIRE(want(e0));
  BOOST_TEST(!want(e1));
  auto changed = settings;
  changed.scheduler.max_records_small = 100;
  apply(changed);
  BOOST_TEST(handed_out(e1).has_value());  // medium now: a second engine at once
  BOOST_TEST(nlohmann::json::parse(inspect("jobs"))["1"]["class"] == "medium");
}

BOOST_AUTO_TEST_CASE(a_store_failure_is_answered_as_an_error_and_the_scheduler_lives_on) {
  job_in_store(1, 50, 1);
  start_scheduler();
  store->failing = {"status"};
  auto asker = wait_for(2, 1s);  // an unknown job: answered from the store at once
  auto answer = reply(asker);
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->rfind("error: ", 0) == 0u);
  BOOST_TEST(scheduler_alive());
  store->failing.clear();
  BOOST_TEST(want(engine("master")).has_value());
}

BOOST_AUTO_TEST_CASE(a_job_whose_final_state_cannot_be_stored_still_answers_its_waiters) {
  job_in_store(1, 50, 1);
  start_scheduler();
  store->failing = {"save_state"};
  auto waiter = wait_for(1, 60s);
  auto canceller = cancel(1);
  BOOST_TEST(state_in(reply(canceller)) == "merging");  // what the store holds
  BOOST_TEST(state_in(reply(waiter)) == "merging");
  BOOST_TEST(scheduler_alive());
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_load_the_jobs_at_start_is_asked_again) {
  job_in_store(1, 50, 1);
  store->failing = {"load"};
  start_scheduler();
  auto e = engine("master");
  BOOST_TEST(!want(e));
  store->failing.clear();
  advance(1s);
  BOOST_TEST(store->requests["load"] == 2);
  BOOST_TEST(told_to_ask_again(e));  // its long poll ended in the same second
  BOOST_TEST(want(e).has_value());
  BOOST_TEST(scheduler_alive());
}

BOOST_AUTO_TEST_CASE(a_batch_whose_engines_keep_dying_fails_its_job_after_max_attempts) {
  settings.jobs.max_attempts = 3;
  job_in_store(1, 50, 1);
  start_scheduler();
  auto waiter = wait_for(1, 60s);
  auto first = engine("master", engine_type::merge, 0);
  auto taken = want(first);
  BOOST_REQUIRE(taken);
  BOOST_TEST(taken->attempt == 2);  // resumed: attempt 1 was before the restart
  auto second = engine("master", engine_type::merge, 1);
  BOOST_TEST(!want(second));
  kill(first);
  auto again = handed_out(second);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->attempt == 3);
  kill(second);  // attempt 4 would exceed max_attempts
  BOOST_TEST(state_in(reply(waiter)) == "failed");
  BOOST_TEST(store->jobs[1].state == job_state::failed);
  const auto& error = store->jobs[1].error;
  BOOST_TEST(error.find("merge batch 0 (records 1-50) failed 3 attempts") != std::string::npos,
             error);
  BOOST_TEST(error.find("jobs.max_attempts = 3") != std::string::npos, error);
  BOOST_TEST(error.find("engine master/merge/1 is gone") != std::string::npos, error);
  auto third = engine("master", engine_type::merge, 2);
  BOOST_TEST(!want(third));  // nothing is handed out again
  BOOST_TEST(!attempt_stored(*store, batch{1, engine_type::merge, 0, 4, 1, 50}));
  BOOST_TEST(scheduler_alive());
}

BOOST_AUTO_TEST_CASE(a_batch_whose_nodes_keep_getting_lost_fails_its_job_after_max_attempts) {
  topology({{"master", true, 0, 1}, {"ext1", false, 1, 1}, {"ext2", false, 1, 1}});
  settings.jobs.max_attempts = 2;
  job_in_store(1, 50, 1);
  start_scheduler();
  auto remote = engine("ext1");
  auto taken = want(remote);
  BOOST_REQUIRE(taken);
  BOOST_TEST(taken->attempt == 2);
  auto other = engine("ext2");
  BOOST_TEST(!want(other));
  node_lost("ext1");  // attempt 3 > 2: the job fails instead
  BOOST_TEST(!handed_out(other));
  BOOST_TEST(store->jobs[1].state == job_state::failed);
  const auto& error = store->jobs[1].error;
  BOOST_TEST(error.find("failed 2 attempts (jobs.max_attempts = 2)") != std::string::npos, error);
  BOOST_TEST(error.find("node ext1 was lost while running it") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(a_resumed_batch_already_at_max_attempts_fails_its_job_at_start) {
  settings.jobs.max_attempts = 3;
  job_in_store(1, 50, 1);
  job_in_store(2, 50, 1);
  store->open[0][1][0].attempt = 3;  // the master crashed three times running it
  start_scheduler();
  auto e = engine("master");
  auto b = want(e);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 2);  // the other job goes on
  BOOST_TEST(store->jobs[1].state == job_state::failed);
  const auto& error = store->jobs[1].error;
  BOOST_TEST(error.find("failed 3 attempts (jobs.max_attempts = 3)") != std::string::npos, error);
  BOOST_TEST(error.find("the master restarted") != std::string::npos, error);
  BOOST_TEST(!attempt_stored(*store, batch{1, engine_type::merge, 0, 4, 1, 50}));
  BOOST_TEST(scheduler_alive());
}

BOOST_AUTO_TEST_SUITE_END()
