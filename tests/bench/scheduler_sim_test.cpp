// A small run of the scheduler simulation (scheduler_sim.hpp) as a test: every
// batch the real scheduler cut is handed out exactly once, every job of the
// three classes ends done, and the measurements exist.

#define BOOST_TEST_MODULE scheduler_sim_test
#include "tests/bench/scheduler_sim.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_CASE(every_batch_is_handed_out_once_on_eight_nodes) {
  weft::bench::sim_options o;
  o.nodes = 8;
  o.records = 20000;  // large
  o.medium_jobs = 3;  // medium
  o.small_jobs = 5;   // small
  o.work = std::chrono::microseconds(1000);
  o.store_min = std::chrono::microseconds(50);
  o.store_max = std::chrono::microseconds(200);
  o.deadline = std::chrono::seconds(60);
  auto r = weft::bench::run_simulation(o);
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
