// The scheduler in one process on CAF's test coordinator (actor_fixture.hpp):
// a fake store, engines and clients played by the test, virtual time. Every
// case runs in milliseconds; the multi-process suites (tests/cluster) keep
// what only real processes show.
#define BOOST_TEST_MODULE actor_scheduler
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "actors/protocol.hpp"
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

/// A job row the store holds (submitted, not yet known to the scheduler).
void job_row_in_store(store_model& store, int64_t id, job_state state = job_state::queued) {
  weft::storage::job_row row;
  row.id = id;
  row.state = state;
  row.options_json = "{}";
  store.jobs[id] = row;
}

}  // namespace

/// The scheduler with a hook for a job submitted to be mapped (the test plays its mapper).
struct mapping_fixture : scheduler_fixture {
  /// A queued job is submitted without records: the scheduler starts its mapping (once)
  /// and the store says it is mapping, as the mapper makes it.
  void submit_for_mapping(int64_t job) {
    job_row_in_store(*store, job);
    auto session = spawn_probe();
    caf::send_as(session.handle, scheduler, weft::actors::submitted_atom::value, job,
                 std::string{"{}"}, int64_t{0});
    run();
    const auto started = mappings_started();
    BOOST_TEST(std::count(started.begin(), started.end(), job) == 1);
    store->jobs[job].state = job_state::mapping;
  }
};

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

// -- prefetch (issue 15): several batches per engine, the accounting stays exact ------

BOOST_AUTO_TEST_CASE(a_prefetched_batch_counts_against_its_jobs_engines) {
  topology({{"master", true, 3, 1}});
  job_in_store(1, 250, 6);  // medium: parallel_medium = 2 engines
  start_scheduler();
  auto e0 = engine("master", engine_type::merge, 0);
  auto e1 = engine("master", engine_type::merge, 1);
  auto e2 = engine("master", engine_type::merge, 2);
  auto held0 = take(e0, 2, 0);
  auto held1 = take(e1, 2, 0);
  BOOST_TEST(held0.size() == 2u);  // prefetch = 2
  BOOST_TEST(held1.size() == 2u);
  BOOST_TEST(take(e2, 2, 0).empty());  // the job has its two engines: e2 waits
  auto jobs = nlohmann::json::parse(inspect("jobs"))["1"];
  BOOST_TEST(jobs["engines"]["merge"] == 2);  // engines, not batches
  BOOST_TEST(jobs["running"]["merge"] == 4);  // running and prefetched batches
  BOOST_TEST(jobs["queued"]["merge"] == 2);
  BOOST_TEST(engine_row(inspect("engines"), e0.id)["held"] == 2);
  // e0 reports its first batch while it runs the second: one more batch of the job it
  // already counts for, within prefetch.
  auto more0 = take(e0, 1, 1, {held0[0]});
  BOOST_REQUIRE(more0.size() == 1u);
  BOOST_TEST(!handed_out(e2));
  BOOST_TEST(granted(e2).empty());
  // e1 finishes both of its batches: the job's second engine is free, e2 (waiting) or e1
  // (asking) gets the next batch, never a third engine at once.
  auto more1 = take(e1, 2, 0, held1);
  auto to_e2 = granted(e2);
  BOOST_TEST(more1.size() + to_e2.size() == 1u);
  jobs = nlohmann::json::parse(inspect("jobs"))["1"];
  BOOST_TEST(jobs["engines"]["merge"] == 2);
  BOOST_TEST(jobs["queued"]["merge"] == 0);
  // Every batch was handed out exactly once.
  std::multiset<int> given;
  for (const auto* list : {&held0, &held1, &more0, &more1, &to_e2})
    for (const auto& b : *list) given.insert(b.batch_no);
  BOOST_TEST(given == (std::multiset<int>{0, 1, 2, 3, 4, 5}));
}

BOOST_AUTO_TEST_CASE(an_engine_holds_at_most_prefetch_batches_and_one_with_work_is_not_held) {
  settings.scheduler.prefetch = 3;
  job_in_store(1, 20000, 5);  // large: every engine may work on it
  start_scheduler();
  auto e = engine("master");
  auto held = take(e, 10, 0);  // asks for more than prefetch
  BOOST_REQUIRE(held.size() == 3u);
  BOOST_TEST(take(e, 1, 3).empty());  // holds three already
  BOOST_TEST(told_to_ask_again(e));
  auto more = take(e, 2, 1, {held[0], held[1]});
  BOOST_REQUIRE(more.size() == 2u);
  // Nothing is queued any more: an engine that still holds work is told so at once ...
  BOOST_TEST(take(e, 1, 2, {held[2]}).empty());
  BOOST_TEST(told_to_ask_again(e));
  // ... an idle one waits in a long poll.
  BOOST_TEST(take(e, 3, 0, more).empty());
  BOOST_TEST(!told_to_ask_again(e));
  advance(1s);
  BOOST_TEST(told_to_ask_again(e));
  BOOST_TEST(store->jobs[1].state == job_state::weaving);
}

BOOST_AUTO_TEST_CASE(a_grant_lost_on_the_way_is_handed_out_again) {
  job_in_store(1, 20000, 6);
  start_scheduler();
  auto e = engine("master");
  auto held = take(e, 2, 0);
  BOOST_REQUIRE(held.size() == 2u);
  // The answer never reached the engine: it asks again holding nothing.
  auto again = take(e, 2, 0);
  BOOST_REQUIRE(again.size() == 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_TEST(again[i].batch_no == held[i].batch_no);
    BOOST_TEST(again[i].attempt == held[i].attempt);  // the same attempt: fenced anyway
  }
  // Then it finishes the first and still holds the second: nothing is sent twice, it
  // gets the next batch of the job.
  auto next = take(e, 1, 1, {held[0]});
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].batch_no != held[0].batch_no);
  BOOST_TEST(next[0].batch_no != held[1].batch_no);
}

BOOST_AUTO_TEST_CASE(a_lost_nodes_prefetched_batches_go_back_once_in_one_store_write) {
  topology({{"master", true, 1, 1}, {"ext1", false, 1, 1}});
  job_in_store(1, 20000, 4);
  start_scheduler();
  auto remote = engine("ext1");
  auto taken = take(remote, 2, 0);  // one running, one prefetched
  BOOST_REQUIRE(taken.size() == 2u);
  const int writes_before = store->requests["attempts"];
  node_lost("ext1");
  BOOST_TEST(store->requests["attempts"] == writes_before + 1);  // both in one transaction
  auto local = engine("master");
  auto again = take(local, 2, 0);
  BOOST_REQUIRE(again.size() == 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_TEST(again[i].batch_no == taken[i].batch_no);  // first, in their order
    BOOST_TEST(again[i].attempt == taken[i].attempt + 1);
    BOOST_TEST(attempt_stored(*store, again[i]));
  }
  // The rest of the job, then each batch was handed out once more, no batch twice more.
  auto rest = take(local, 2, 0, again);
  std::multiset<int> given;
  for (const auto& b : again) given.insert(b.batch_no);
  for (const auto& b : rest) given.insert(b.batch_no);
  BOOST_TEST(given == (std::multiset<int>{0, 1, 2, 3}));
  auto after = take(local, 2, 0, rest);
  BOOST_TEST(after.empty());
  BOOST_TEST(store->jobs[1].state == job_state::weaving);
}

BOOST_AUTO_TEST_CASE(a_prefetched_batchs_job_is_cancelled) {
  job_in_store(1, 20000, 4);
  job_in_store(2, 20000, 2);
  start_scheduler();
  auto e = engine("master");
  auto held = take(e, 2, 0);
  BOOST_REQUIRE(held.size() == 2u);
  BOOST_REQUIRE(held[0].job_id == 1);
  BOOST_REQUIRE(held[1].job_id == 1);
  auto canceller = cancel(1);
  BOOST_TEST(state_in(reply(canceller)) == "cancelled");
  // The engine finds out when it runs the batches: their results are refused.
  BOOST_TEST(engine_row(inspect("engines"), e.id)["held"] == 0);
  auto next = take(e, 1, 1, {held[0]}, false);
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].job_id == 2);
  auto last = take(e, 1, 1, {held[1]}, false);
  BOOST_REQUIRE(last.size() == 1u);
  BOOST_TEST(last[0].job_id == 2);
  BOOST_TEST(store->jobs[1].state == job_state::cancelled);
  auto jobs = nlohmann::json::parse(inspect("jobs"));
  BOOST_TEST(!jobs.contains("1"));
  BOOST_TEST(jobs["2"]["running"]["merge"] == 2);
  BOOST_TEST(take(e, 2, 0, {next[0], last[0]}).empty());
  BOOST_TEST(store->jobs[2].state == job_state::weaving);
}

BOOST_AUTO_TEST_CASE(a_malformed_report_is_refused_and_the_scheduler_lives_on) {
  job_in_store(1, 50, 2);
  start_scheduler();
  auto e = engine("master");
  take_raw(e, 1, 0, R"([{"job":1,"type":"printer","batch":0,"attempt":1,"accepted":true}])");
  BOOST_TEST(refused(e));
  BOOST_TEST(scheduler_alive());
  BOOST_TEST(take(e, 1, 0).size() == 1u);
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
  // Not taken: nothing was stored about it, and the scheduler does not hold it.
  BOOST_TEST(store->jobs[1].state == job_state::queued);
  BOOST_TEST(!nlohmann::json::parse(inspect("jobs")).contains("1"), inspect("jobs"));
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

// A cancellation that reaches a new master (or a restarted one) before it has loaded the
// unfinished jobs is not answered with the job's state and forgotten: it waits for the
// load, then cancels the job the scheduler has just resumed.
BOOST_AUTO_TEST_CASE(a_cancel_before_the_jobs_are_loaded_cancels_the_job_once_they_are) {
  job_in_store(1, 50, 2);
  store->failing = {"load"};
  start_scheduler();
  auto canceller = cancel(1);
  BOOST_TEST(!reply(canceller));  // not yet: the job may be about to be resumed
  BOOST_TEST(store->jobs[1].state == job_state::merging);
  store->failing.clear();
  advance(1s);
  BOOST_TEST(store->requests["load"] == 2);
  BOOST_TEST(state_in(reply(canceller)) == "cancelled");
  BOOST_TEST(store->jobs[1].state == job_state::cancelled);
  BOOST_TEST(!want(engine("master")));  // nothing of it is handed out
  // A job the store does not know is answered from the store, as before.
  auto unknown = cancel(7);
  BOOST_TEST(reply(unknown).value_or("(none)") == "{}");
  BOOST_TEST(scheduler_alive());
}

// A client waiting for a job this scheduler does not hold (queued on an extension and not
// adopted yet) is held until the time is up, not answered at once and again; a finished
// job and an unknown one are answered at once.
BOOST_AUTO_TEST_CASE(a_wait_for_a_job_not_held_yet_is_held_a_finished_one_answered_at_once) {
  start_scheduler();
  job_row_in_store(*store, 5);  // submitted on another node after the scheduler's last adoption
  job_row_in_store(*store, 6, job_state::done);
  auto waiter = wait_for(5, 500ms);
  BOOST_TEST(!reply(waiter));
  advance(500ms);
  BOOST_TEST(state_in(reply(waiter)) == "queued");
  auto finished = wait_for(6, 60s);
  BOOST_TEST(state_in(reply(finished)) == "done");
  auto unknown = wait_for(7, 60s);
  BOOST_TEST(reply(unknown).value_or("(none)") == "{}");
  BOOST_TEST(scheduler_alive());
}

// A small job mapped at submission (its records stored with its row, planning::map_inline):
// the session's message carries the count and the scheduler plans the job at once. No mapper
// runs — this fixture has no database, a mapper could not read the job — and the batch is
// handed out.
BOOST_AUTO_TEST_CASE(a_job_mapped_at_submission_is_planned_without_a_mapper) {
  start_scheduler();
  job_row_in_store(*store, 9);
  auto session = spawn_probe();  // a local sender: the scheduler refuses anonymous ones
  caf::send_as(session.handle, scheduler, weft::actors::submitted_atom::value, int64_t{9},
               std::string{"{}"}, int64_t{3});
  run();
  BOOST_TEST(store->requests["save_mapping"] == 1);
  BOOST_TEST(store->jobs[9].record_count == 3);
  BOOST_TEST((store->jobs[9].state == job_state::merging));
  auto b = want(engine("master"));
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 9);
  BOOST_TEST(b->first_seq == 1);
  BOOST_TEST(b->last_seq == 3);
  BOOST_TEST(scheduler_alive());
}

// Merging overlaps mapping (issue 15): merge batches over the records the mapper has
// stored are handed out and finished while it reads on; when it is done the rest is cut
// after them, numbered on, and every record is in exactly one merge batch. Nothing is cut
// over records not stored yet.
BOOST_FIXTURE_TEST_CASE(merge_batches_are_handed_out_while_the_job_is_still_mapping,
                        mapping_fixture) {
  settings.scheduler.merge_while_mapping = true;
  start_scheduler();
  submit_for_mapping(9);
  auto e = engine("master");
  auto weaver = engine("master", engine_type::weaver);
  BOOST_TEST(!want(e));  // nothing stored yet: in its long poll
  BOOST_TEST(!want(weaver));
  map_progress(9, 0);
  BOOST_TEST(!handed_out(e));
  BOOST_TEST(store->requests["add_batches"] == 0);
  map_progress(9, 100);
  BOOST_TEST(store->requests["add_batches"] == 1);
  std::vector<batch> merged;
  auto b = handed_out(e);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->batch_no == 0);
  BOOST_TEST(b->first_seq == 1);
  BOOST_TEST(b->attempt == 1);
  for (auto& x : work_off(e, b)) merged.push_back(x);  // done while the job still maps
  BOOST_TEST((store->jobs[9].state == job_state::mapping));
  for (const auto& x : merged) BOOST_TEST(x.last_seq <= 100);
  const std::size_t while_mapping = merged.size();
  BOOST_TEST(while_mapping > 0u);
  map_progress(9, 250);
  for (auto& x : work_off(e, handed_out(e))) merged.push_back(x);
  for (const auto& x : merged) BOOST_TEST(x.last_seq <= 250);
  BOOST_TEST(!handed_out(weaver));  // no segment before the job is mapped
  mapped(9, 301);
  BOOST_TEST(
      (store->jobs[9].state == job_state::merging || store->jobs[9].state == job_state::weaving));
  for (auto& x : work_off(e, handed_out(e))) merged.push_back(x);  // its long poll answered
  // Records 1..301, each in exactly one merge batch; batch numbers 0..n-1 once each.
  std::vector<int> covered(302, 0);
  std::set<int> numbers;
  for (const auto& x : merged) {
    BOOST_TEST(x.type == engine_type::merge);
    BOOST_TEST(x.attempt == 1);
    numbers.insert(x.batch_no);
    for (auto r = x.first_seq; r <= x.last_seq; ++r) ++covered[static_cast<std::size_t>(r)];
  }
  for (std::size_t r = 1; r < covered.size(); ++r)
    if (covered[r] != 1) BOOST_FAIL("record " << r << " is in " << covered[r] << " batches");
  BOOST_TEST(numbers.size() == merged.size());
  BOOST_TEST(*numbers.rbegin() == static_cast<int>(merged.size()) - 1);
  BOOST_TEST(store->open[0][9].size() == merged.size());  // stored: while mapping, and after
  auto woven = work_off(weaver, handed_out(weaver));
  BOOST_TEST(woven.size() == 1u);
  BOOST_TEST((store->jobs[9].state == job_state::done));
  BOOST_TEST(scheduler_alive());
}

// Off (the default): nothing is cut before the mapper is done, whatever it stored.
BOOST_FIXTURE_TEST_CASE(without_merge_while_mapping_nothing_is_cut_before_the_job_is_mapped,
                        mapping_fixture) {
  start_scheduler();
  submit_for_mapping(9);
  auto e = engine("master");
  BOOST_TEST(!want(e));
  map_progress(9, 0);
  map_progress(9, 5000);
  BOOST_TEST(store->requests["add_batches"] == 0);
  BOOST_TEST(!handed_out(e));
  mapped(9, 5000);
  auto b = handed_out(e);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->first_seq == 1);
  BOOST_TEST(b->attempt == 1);
}

// A mapping interrupted after batches were cut (the database went away) starts again: the
// batches it had cut are forgotten, the new mapping's batches have higher attempts (the
// mapper reports the highest it cleared), so the result of an engine that still ran an old
// one counts for nothing, and every record is merged under the new mapping.
BOOST_FIXTURE_TEST_CASE(a_mapping_started_again_cuts_its_batches_above_the_old_attempts,
                        mapping_fixture) {
  settings.scheduler.merge_while_mapping = true;
  start_scheduler();
  submit_for_mapping(9);
  auto e = engine("master");
  map_progress(9, 0);
  map_progress(9, 100);
  auto old = want(e);
  BOOST_REQUIRE(old);
  BOOST_TEST(old->attempt == 1);
  map_retry(9);
  BOOST_TEST(mappings_started().size() == 1u);
  advance(1s);  // mapped again a second later
  BOOST_TEST(mappings_started().size() == 2u);
  map_progress(9, 0, 1);  // the new mapper cleared batches of attempt 1
  map_progress(9, 100, 1);
  auto next = want(e, *old, false);  // the old result: refused by the store's fence
  BOOST_REQUIRE(next);
  BOOST_TEST(next->attempt == 2);
  mapped(9, 100);
  auto merged = work_off(e, next);
  std::vector<int> covered(101, 0);
  for (const auto& x : merged) {
    BOOST_TEST(x.attempt == 2);
    for (auto r = x.first_seq; r <= x.last_seq; ++r) ++covered[static_cast<std::size_t>(r)];
  }
  for (std::size_t r = 1; r < covered.size(); ++r)
    if (covered[r] != 1) BOOST_FAIL("record " << r << " is in " << covered[r] << " batches");
  auto weaver = engine("master", engine_type::weaver);
  BOOST_TEST(work_off(weaver, want(weaver)).size() == 1u);
  BOOST_TEST((store->jobs[9].state == job_state::done));
}

// A job cancelled while the batches cut during its mapping are being stored: nothing of it
// is handed out when the store answers, and later progress cuts nothing.
BOOST_FIXTURE_TEST_CASE(a_job_cancelled_while_its_mapping_cuts_batches_hands_nothing_out,
                        mapping_fixture) {
  settings.scheduler.merge_while_mapping = true;
  start_scheduler();
  submit_for_mapping(9);
  auto e = engine("master");
  BOOST_TEST(!want(e));
  store->holding = {"add_batches"};
  map_progress(9, 100);
  BOOST_TEST(store->requests["add_batches"] == 1);
  auto canceller = cancel(9);
  BOOST_TEST(state_in(reply(canceller)) == "cancelled");
  store->holding.clear();
  release_held();
  BOOST_TEST(!handed_out(e));
  map_progress(9, 300);
  mapped(9, 400);
  BOOST_TEST(store->requests["add_batches"] == 1);
  BOOST_TEST(store->requests["save_mapping"] == 0);
  BOOST_TEST(!handed_out(e));
  BOOST_TEST((store->jobs[9].state == job_state::cancelled));
  BOOST_TEST(scheduler_alive());
}

// A cancellation handled while the job's plan is being stored: the store takes the plan, then
// the cancellation; the scheduler must not take the job up again when the plan's answer
// arrives after it ended the job (it overwrote "cancelled" with "merging" and queued its
// batches).
BOOST_AUTO_TEST_CASE(a_job_cancelled_while_its_plan_is_stored_hands_nothing_out) {
  start_scheduler();
  job_row_in_store(*store, 9);
  auto e = engine("master");
  BOOST_TEST(!want(e));  // waiting in its long poll: the plan's answer would hand it a batch
  store->holding = {"save_mapping"};  // stored, but the answer is slow
  auto session = spawn_probe();
  caf::send_as(session.handle, scheduler, weft::actors::submitted_atom::value, int64_t{9},
               std::string{"{}"}, int64_t{3});
  run();
  BOOST_TEST(store->requests["save_mapping"] == 1);
  auto canceller = cancel(9);
  BOOST_TEST(state_in(reply(canceller)) == "cancelled");
  BOOST_TEST((store->jobs[9].state == job_state::cancelled));
  store->holding.clear();
  release_held();  // the plan's answer arrives after the job ended
  auto got = handed_out(e);
  BOOST_TEST(!got, "job " << (got ? got->job_id : 0) << " batch " << (got ? got->batch_no : 0));
  auto status = wait_for(9, 60s);
  BOOST_TEST(state_in(reply(status)) == "cancelled");
  BOOST_TEST(scheduler_alive());
}

// A take-over's read of a job's open batches that fails — the database away, or the read
// cut short (storage/short_read.hpp reports it as unavailable) — is read again a second
// later: the job is resumed then, not left without batches, not failed.
BOOST_AUTO_TEST_CASE(a_resumed_jobs_open_batches_that_cannot_be_read_are_read_again) {
  job_in_store(1, 50, 1);
  store->failing = {"open_batches"};
  start_scheduler();
  auto e = engine("master");
  BOOST_TEST(!want(e));
  BOOST_TEST(store->requests["open_batches"] == 1);
  store->failing.clear();
  advance(1s);
  BOOST_TEST(store->requests["load"] == 2);
  BOOST_TEST(store->requests["open_batches"] >= 2);
  BOOST_TEST(told_to_ask_again(e));  // its long poll ended in the same second
  auto b = want(e);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 1);
  BOOST_TEST(b->attempt == 2);  // one new attempt: the failed read bumped nothing
  BOOST_TEST(attempt_stored(*store, *b));
  BOOST_TEST((store->jobs[1].state == job_state::merging));  // not failed
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
