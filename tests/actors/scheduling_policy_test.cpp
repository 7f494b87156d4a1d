// The scheduler's decisions (docs/cluster.md): job classes, engines per job,
// reservations, expected remote totals, fencing and lost nodes.
#define BOOST_TEST_MODULE scheduling_policy
#include "actors/planning/scheduling_policy.hpp"

#include <boost/test/unit_test.hpp>

using namespace weft::planning;

namespace {

std::vector<batch> merge_batches(int64_t job, int n, int64_t per = 10) {
  std::vector<batch> out;
  for (int i = 0; i < n; ++i)
    out.push_back(batch{job, engine_type::merge, i, 1, i * per + 1, (i + 1) * per});
  return out;
}

scheduling_limits limits(int expected_remote = 0) {
  scheduling_limits l;
  l.max_records_small = 100;
  l.min_records_large = 10000;
  l.merge.parallel_medium = 2;
  l.merge.parallel_large = 8;
  l.merge.additional_engine_every = 100;
  l.merge.expected_remote = expected_remote;
  return l;
}

void add_local_engines(scheduling_policy& p, int n, const std::string& node = "master") {
  for (int i = 0; i < n; ++i)
    p.add_engine(node + "/merge/" + std::to_string(i), engine_type::merge, node, true);
}

}  // namespace

BOOST_AUTO_TEST_CASE(classifies_jobs_by_record_count) {
  scheduling_policy p(limits());
  p.add_job(1, 100);
  p.add_job(2, 101);
  p.add_job(3, 10000);
  BOOST_TEST(to_string(p.class_of(1)) == "small");
  BOOST_TEST(to_string(p.class_of(2)) == "medium");
  BOOST_TEST(to_string(p.class_of(3)) == "large");
}

BOOST_AUTO_TEST_CASE(a_small_job_always_gets_exactly_one_engine) {
  scheduling_policy p(limits());
  add_local_engines(p, 4);
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 5));
  BOOST_TEST(p.next_for("master/merge/0").has_value());
  BOOST_TEST(!p.next_for("master/merge/1").has_value());
  BOOST_TEST(p.engines_granted(1, engine_type::merge) == 1);
}

BOOST_AUTO_TEST_CASE(engines_per_job_follow_additional_engine_every) {
  scheduling_policy p(limits());
  add_local_engines(p, 8);
  p.add_job(1, 250);    // medium: min(2, ceil(250/100)=3) = 2
  p.add_job(2, 20000);  // large: min(8, 200, 8 engines) = 8
  BOOST_TEST(p.engines_allowed(1, engine_type::merge) == 2);
  BOOST_TEST(p.engines_allowed(2, engine_type::merge) == 8);
}

BOOST_AUTO_TEST_CASE(engines_per_job_never_exceed_the_engines_that_exist) {
  scheduling_policy p(limits());
  add_local_engines(p, 3);
  p.add_job(1, 50000);
  BOOST_TEST(p.engines_allowed(1, engine_type::merge) == 3);
}

BOOST_AUTO_TEST_CASE(changing_the_limits_reclassifies_running_jobs) {
  scheduling_policy p(limits());
  add_local_engines(p, 8);
  p.add_job(1, 5000);
  BOOST_TEST(to_string(p.class_of(1)) == "medium");
  BOOST_TEST(p.engines_allowed(1, engine_type::merge) == 2);
  auto l = limits();
  l.min_records_large = 1000;
  p.set_limits(l);
  BOOST_TEST(to_string(p.class_of(1)) == "large");
  BOOST_TEST(p.engines_allowed(1, engine_type::merge) == 8);
}

BOOST_AUTO_TEST_CASE(older_jobs_are_served_first) {
  scheduling_policy p(limits());
  add_local_engines(p, 1);
  p.add_job(7, 50);
  p.add_job(3, 50);
  p.add_batches(merge_batches(3, 1));
  p.add_batches(merge_batches(7, 1));
  auto b = p.next_for("master/merge/0");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 7);
}

BOOST_AUTO_TEST_CASE(reserved_engines_serve_their_class_only) {
  auto l = limits();
  l.merge.reserved[static_cast<int>(job_class::small)] = 1;
  scheduling_policy p(l);
  add_local_engines(p, 2);
  p.add_job(1, 20000);  // large job wants 2 engines but one is reserved for small jobs
  p.add_batches(merge_batches(1, 10));
  BOOST_TEST(p.next_for("master/merge/0").has_value());
  BOOST_TEST(!p.next_for("master/merge/1").has_value());
  p.add_job(2, 10);
  p.add_batches(merge_batches(2, 1));
  auto b = p.next_for("master/merge/1");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->job_id == 2);
}

BOOST_AUTO_TEST_CASE(remote_engines_beyond_the_expected_total_stand_by) {
  scheduling_policy p(limits(2));
  add_local_engines(p, 1);
  for (int i = 0; i < 3; ++i)
    p.add_engine("ext1/merge/" + std::to_string(i), engine_type::merge, "ext1", false);
  auto c = p.capacity(engine_type::merge);
  BOOST_TEST(c.local == 1);
  BOOST_TEST(c.registered_remote == 3);
  BOOST_TEST(c.active == 3);
  BOOST_TEST(c.standby == 1);
  BOOST_TEST(!c.degraded());
  p.add_job(1, 20000);
  p.add_batches(merge_batches(1, 10));
  BOOST_TEST(!p.next_for("ext1/merge/2").has_value());  // standby gets no work
}

BOOST_AUTO_TEST_CASE(a_standby_engine_takes_over_when_an_active_one_is_lost) {
  scheduling_policy p(limits(1));
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  p.add_engine("ext2/merge/0", engine_type::merge, "ext2", false);
  BOOST_TEST(p.engines().at("ext2/merge/0").standby);
  p.remove_node("ext1");
  BOOST_TEST(!p.engines().at("ext2/merge/0").standby);
}

BOOST_AUTO_TEST_CASE(fewer_remote_engines_than_expected_is_degraded_but_runs) {
  scheduling_policy p(limits(6));
  add_local_engines(p, 1);
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  auto c = p.capacity(engine_type::merge);
  BOOST_TEST(c.degraded());
  BOOST_TEST(c.registered_remote == 1);
  p.add_job(1, 20000);
  p.add_batches(merge_batches(1, 4));
  BOOST_TEST(p.next_for("master/merge/0").has_value());
  BOOST_TEST(p.next_for("ext1/merge/0").has_value());
}

BOOST_AUTO_TEST_CASE(a_lost_node_gives_its_batches_back_with_a_new_attempt) {
  scheduling_policy p(limits(1));
  add_local_engines(p, 1);
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  p.add_job(1, 20000);
  p.add_batches(merge_batches(1, 2));
  auto a = p.next_for("ext1/merge/0");
  BOOST_REQUIRE(a);
  auto requeued = p.remove_node("ext1");
  BOOST_REQUIRE(requeued.size() == 1);
  BOOST_TEST(requeued[0].batch_no == a->batch_no);
  BOOST_TEST(requeued[0].attempt == a->attempt + 1);
  auto again = p.next_for("master/merge/0");
  BOOST_REQUIRE(again);
  BOOST_TEST(again->batch_no == a->batch_no);
  BOOST_TEST(again->attempt == a->attempt + 1);
}

BOOST_AUTO_TEST_CASE(a_late_result_from_an_old_attempt_is_refused) {
  scheduling_policy p(limits());
  add_local_engines(p, 1);
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 1));
  auto b = p.next_for("master/merge/0");
  BOOST_REQUIRE(b);
  auto old = *b;
  old.attempt -= 1;
  BOOST_TEST(!p.complete("master/merge/0", old));
  BOOST_TEST(p.complete("master/merge/0", *b));
  BOOST_TEST(!p.complete("master/merge/0", *b));  // twice: the second is refused
}

BOOST_AUTO_TEST_CASE(an_engine_that_asks_again_gets_its_lost_assignment_back) {
  scheduling_policy p(limits());
  add_local_engines(p, 1);
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 2));
  auto first = p.next_for("master/merge/0");
  auto again = p.next_for("master/merge/0");
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(again);
  BOOST_TEST(first->batch_no == again->batch_no);
  BOOST_TEST(first->attempt == again->attempt);
}

BOOST_AUTO_TEST_CASE(a_draining_node_gets_no_new_work) {
  scheduling_policy p(limits());
  add_local_engines(p, 1, "ext1");
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 2));
  p.set_draining("ext1", true);
  BOOST_TEST(!p.next_for("ext1/merge/0").has_value());
  p.set_draining("ext1", false);
  BOOST_TEST(p.next_for("ext1/merge/0").has_value());
}

BOOST_AUTO_TEST_CASE(a_removed_job_refuses_the_results_of_its_running_batches) {
  scheduling_policy p(limits());
  add_local_engines(p, 1);
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 1));
  auto b = p.next_for("master/merge/0");
  BOOST_REQUIRE(b);
  p.remove_job(1);
  BOOST_TEST(!p.complete("master/merge/0", *b));
  BOOST_TEST(!p.next_for("master/merge/0").has_value());
}

BOOST_AUTO_TEST_CASE(a_gone_engine_gives_its_batch_back_and_promotes_a_standby) {
  scheduling_policy p(limits(1));
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  p.add_engine("ext2/merge/0", engine_type::merge, "ext2", false);
  p.add_job(1, 20000);
  p.add_batches(merge_batches(1, 2));
  auto a = p.next_for("ext1/merge/0");
  BOOST_REQUIRE(a);
  auto back = p.remove_engine("ext1/merge/0");
  BOOST_REQUIRE(back.size() == 1u);
  BOOST_TEST(back[0].attempt == a->attempt + 1);
  BOOST_TEST(!p.engines().at("ext2/merge/0").standby);
  auto again = p.next_for("ext2/merge/0");
  BOOST_REQUIRE(again);
  BOOST_TEST(again->batch_no == a->batch_no);
  BOOST_TEST(!p.complete("ext1/merge/0", *a));
}

BOOST_AUTO_TEST_CASE(a_draining_node_stays_draining_when_it_comes_back) {
  scheduling_policy p(limits(1));
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  p.set_draining("ext1", true);
  p.remove_node("ext1");
  p.add_engine("ext1/merge/0", engine_type::merge, "ext1", false);
  p.add_job(1, 50);
  p.add_batches(merge_batches(1, 1));
  BOOST_TEST(!p.next_for("ext1/merge/0").has_value());
}
