// The metrics registry and its Prometheus text exposition (metrics/registry.hpp).
// The system test (tests/ops/metrics_http_test.py) parses a node's /metrics with
// python3-prometheus-client; this suite checks the format's details in milliseconds.
#define BOOST_TEST_MODULE metrics_test
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "actors/metrics/registry.hpp"

using namespace weft::metrics;

BOOST_AUTO_TEST_CASE(counters_with_labels_are_exposed_with_help_and_type) {
  registry r;
  r.counter_of("weft_records_total", "Records merged.", {{"node", "n1"}, {"engine", "merge"}})
      .inc(3);
  r.counter_of("weft_records_total", "Records merged.", {{"node", "n1"}, {"engine", "merge"}})
      .inc(2);
  r.counter_of("weft_records_total", "Records merged.", {{"node", "n2"}, {"engine", "merge"}});
  auto text = r.expose();
  BOOST_TEST(text.find("# HELP weft_records_total Records merged.\n") != std::string::npos);
  BOOST_TEST(text.find("# TYPE weft_records_total counter\n") != std::string::npos);
  BOOST_TEST(text.find("weft_records_total{node=\"n1\",engine=\"merge\"} 5\n") !=
             std::string::npos);
  BOOST_TEST(text.find("weft_records_total{node=\"n2\",engine=\"merge\"} 0\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_counter_never_falls) {
  registry r;
  auto& c = r.counter_of("c_total", "c");
  c.inc(2);
  c.inc(-1);
  BOOST_TEST(c.value() == 2.0);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  registry r;
  r.gauge_of("g", "g", {{"route", "a\"b\\c\nd"}}).set(1.5);
  BOOST_TEST(r.expose().find("g{route=\"a\\\"b\\\\c\\nd\"} 1.5\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(histograms_have_cumulative_buckets_sum_and_count) {
  registry r;
  auto& h = r.histogram_of("d_seconds", "d", {{"phase", "merge"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = r.expose();
  BOOST_TEST(text.find("# TYPE d_seconds histogram") != std::string::npos);
  BOOST_TEST(text.find("d_seconds_bucket{phase=\"merge\",le=\"0.1\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("d_seconds_bucket{phase=\"merge\",le=\"1\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("d_seconds_bucket{phase=\"merge\",le=\"+Inf\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("d_seconds_sum{phase=\"merge\"} 5.55\n") != std::string::npos);
  BOOST_TEST(text.find("d_seconds_count{phase=\"merge\"} 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_name_with_two_kinds_is_a_programmers_bug) {
  registry r;
  r.counter_of("x_total", "x");
  BOOST_CHECK_THROW(r.gauge_of("x_total", "x"), std::logic_error);
  BOOST_CHECK_THROW(r.counter_of("bad name", "x"), std::logic_error);
}

BOOST_AUTO_TEST_CASE(collectors_run_at_scrape_time_and_a_failing_one_is_left_out) {
  registry r;
  int calls = 0;
  r.collector("weft_jobs", "Jobs by state.", [&] {
    ++calls;
    return std::vector<sample>{{{{"state", "done"}}, 4}, {{{"state", "queued"}}, 1}};
  });
  r.collector("weft_broken", "Fails.",
              []() -> std::vector<sample> { throw std::runtime_error("database unreachable"); });
  auto text = r.expose();
  BOOST_TEST(calls == 1);
  BOOST_TEST(text.find("# TYPE weft_jobs gauge\n") != std::string::npos);
  BOOST_TEST(text.find("weft_jobs{state=\"done\"} 4\n") != std::string::npos);
  BOOST_TEST(text.find("weft_broken") == std::string::npos);
  BOOST_TEST(text.find("weft_metrics_collect_errors_total 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(concurrent_increments_are_all_counted) {
  registry r;
  auto& c = r.counter_of("n_total", "n");
  auto& h = r.histogram_of("h_seconds", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.002);
      }
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(c.value() == 40000.0);
  BOOST_TEST(h.count() == 40000u);
}
