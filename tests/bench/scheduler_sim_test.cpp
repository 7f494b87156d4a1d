// A small run of the scheduler simulation (scheduler_sim.hpp) as a test: every
// batch the real scheduler cut is handed out exactly once, every job of the
// three classes ends done, and the measurements exist.

#define BOOST_TEST_MODULE scheduler_sim_test
#include "tests/bench/scheduler_sim.hpp"

#include <boost/test/unit_test.hpp>

namespace {

weft::bench::sim_result run_eight_nodes(int prefetch) {
  weft::bench::sim_options o;
  o.prefetch = prefetch;
  o.nodes = 8;
  o.records = 1000000;  // large: enough batches that every engine can prefetch its share
  o.medium_jobs = 3;    // medium
  o.small_jobs = 5;     // small
  o.work = std::chrono::microseconds(1000);
  o.store_min = std::chrono::microseconds(50);
  o.store_max = std::chrono::microseconds(200);
  o.deadline = std::chrono::seconds(60);
  return weft::bench::run_simulation(o);
}

void check(const weft::bench::sim_result& r) {
  BOOST_TEST_INFO("error: " << r.error);
  BOOST_TEST(r.ok);
  BOOST_TEST(r.jobs == 9);
  BOOST_TEST(r.duplicates == 0);
  BOOST_TEST(r.batches > 0);
  BOOST_TEST(r.grants == r.batches);
  BOOST_TEST(r.engines == 8 * 16);
  BOOST_TEST(r.mailbox_samples > 0);
  BOOST_TEST(r.latency_samples > 0);
  BOOST_TEST(r.p50_us > 0);
}

}  // namespace

// The engines take up to two batches a request and report them together, as a node's.
BOOST_AUTO_TEST_CASE(every_batch_is_handed_out_once_on_eight_nodes_with_prefetch) {
  check(run_eight_nodes(2));
}

// Prefetch 4: the engines ask while their last batch runs.
BOOST_AUTO_TEST_CASE(every_batch_is_handed_out_once_when_engines_ask_early) {
  check(run_eight_nodes(4));
}

// The one-batch protocol (want, done+want), still served.
BOOST_AUTO_TEST_CASE(every_batch_is_handed_out_once_one_batch_at_a_time) {
  check(run_eight_nodes(0));
}
