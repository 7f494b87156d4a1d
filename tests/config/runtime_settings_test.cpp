#define BOOST_TEST_MODULE config_runtime_settings
#include "config/runtime_settings.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>

#include "config/topology.hpp"
#include "tests/config/test_support.hpp"

using namespace weft::config;
using weft::config::test::fixture;
using weft::config::test::fixture_modes;
using weft::config::test::scratch_dir;

BOOST_TEST_GLOBAL_FIXTURE(fixture_modes);

namespace {

/// Every field `set` may change, compared through their TOML text.
std::string snapshot(const settings& s) {
  std::string out;
  for (const auto& k : settable_keys()) out += k + " = " + setting_value(s, k) + "\n";
  return out;
}

/// Applies `value` to `key` of `s`, which must be refused; returns the error.
config_error refusal(settings& s, const std::string& key, const std::string& value) {
  const auto before = snapshot(s);
  try {
    apply_setting(s, key, value);
  } catch (const config_error& e) {
    BOOST_TEST_INFO("message: " << e.what());
    BOOST_TEST(e.file == "set");
    BOOST_TEST(e.line == 0);
    BOOST_TEST(e.column == 0);
    BOOST_TEST(snapshot(s) == before, "a refused value changed the settings");
    return e;
  }
  BOOST_FAIL("set " << key << " " << value << " was accepted");
  throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_settings)

BOOST_AUTO_TEST_CASE(lists_every_scheduler_and_cleanup_key_sorted) {
  const auto keys = settable_keys();
  BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
  for (const char* k : {"scheduler.max_records_small",
                        "scheduler.min_records_large",
                        "scheduler.min_batch_size",
                        "scheduler.max_batch_size",
                        "scheduler.batches_per_engine",
                        "scheduler.merge.parallel_per_job.large",
                        "scheduler.weaver.expected_remote",
                        "scheduler.weaver.reserved.small",
                        "scheduler.merge.additional_engine_every",
                        "cleanup.interval",
                        "cleanup.schedule",
                        "cleanup.run_at_startup",
                        "cleanup.lock_at_most",
                        "cleanup.lock_at_least",
                        "cleanup.batch_size",
                        "cleanup.retain.jobs",
                        "cleanup.retain.content",
                        "cleanup.retain.outputs",
                        "cleanup.orphan_min_age",
                        "cleanup.pause_percent"}) {
    BOOST_TEST(is_settable(k), k);
  }
  // 5 + 2 * 7 scheduler keys, 11 clean-up keys; tables are not keys.
  BOOST_TEST(keys.size() == 30u);
  for (const char* k : {"scheduler", "scheduler.merge", "scheduler.merge.reserved",
                        "cleanup.retain", "cluster.heartbeat", "node", "log.level"}) {
    BOOST_TEST(!is_settable(k), k);
  }
}

BOOST_AUTO_TEST_CASE(every_settable_key_round_trips_through_its_value_text) {
  for (const auto& path :
       {fixture("valid_single_node.toml"), fixture("valid_cluster_mariadb.toml")}) {
    const auto loaded = load_topology_for_client(path);
    for (const auto& k : settable_keys()) {
      auto s = loaded;
      const auto text = setting_value(s, k);
      if (text.empty()) continue;  // an unset optional (or the schedule under an interval)
      BOOST_TEST_INFO(path << ": " << k << " = " << text);
      BOOST_CHECK_NO_THROW(apply_setting(s, k, text));
      BOOST_TEST(snapshot(s) == snapshot(loaded));
    }
  }
}

BOOST_AUTO_TEST_CASE(values_are_shown_as_toml) {
  settings s;
  BOOST_TEST(setting_value(s, "scheduler.min_batch_size") == "10");
  BOOST_TEST(setting_value(s, "cleanup.run_at_startup") == "false");
  BOOST_TEST(setting_value(s, "cleanup.lock_at_most") == "\"10m\"");
  BOOST_TEST(setting_value(s, "cleanup.schedule") == "\"*/15 * * * *\"");
  BOOST_TEST(setting_value(s, "cleanup.interval") == "");
  BOOST_TEST(setting_value(s, "scheduler.merge.expected_remote") == "");
  s.scheduler.merge.expected_remote = 6;
  BOOST_TEST(setting_value(s, "scheduler.merge.expected_remote") == "6");
  s.cleanup.schedule = "0 \"3\" \\ *";  // not a valid cron, but the quoting is what counts here
  BOOST_TEST(setting_value(s, "cleanup.schedule") == "\"0 \\\"3\\\" \\\\ *\"");
}

BOOST_AUTO_TEST_CASE(applies_toml_values_and_bare_words) {
  settings s;
  apply_setting(s, "scheduler.merge.parallel_per_job.large", "4");
  BOOST_TEST(s.scheduler.merge.parallel_large == 4);
  BOOST_TEST(s.scheduler.weaver.parallel_large == 8);
  apply_setting(s, "scheduler.weaver.expected_remote", " 3 ");
  BOOST_TEST(s.scheduler.weaver.expected_remote.value_or(-1) == 3);
  apply_setting(s, "cleanup.run_at_startup", "true");
  BOOST_TEST(s.cleanup.run_at_startup);
  apply_setting(s, "cleanup.retain.jobs", "30s");
  BOOST_TEST(s.cleanup.retain_jobs.count() == 30000);
  apply_setting(s, "cleanup.retain.content", "\"2h\"");
  BOOST_TEST(s.cleanup.retain_content.count() == 2 * 3600 * 1000);
  apply_setting(s, "cleanup.schedule", "*/5 * * * *");
  BOOST_TEST(s.cleanup.schedule == "*/5 * * * *");
  apply_setting(s, "cleanup.lock_at_least", "0s");
  BOOST_TEST(s.cleanup.lock_at_least.count() == 0);
  apply_setting(s, "scheduler.max_records_small", "9999");
  BOOST_TEST(s.scheduler.max_records_small == 9999);
}

BOOST_AUTO_TEST_CASE(refuses_values_out_of_range_naming_the_key) {
  settings s;
  auto e = refusal(s, "scheduler.min_batch_size", "0");
  BOOST_TEST(e.key == "scheduler.min_batch_size");
  BOOST_TEST(std::string(e.what()) == "set: scheduler.min_batch_size: must be at least 1, found 0");
  e = refusal(s, "scheduler.merge.reserved.small", "-1");
  BOOST_TEST(e.key == "scheduler.merge.reserved.small");
  e = refusal(s, "cleanup.lock_at_most", "0s");
  BOOST_TEST(e.key == "cleanup.lock_at_most");
  BOOST_TEST(e.reason.find("longer than 0") != std::string::npos);
  e = refusal(s, "cleanup.retain.jobs", "1.5h");
  BOOST_TEST(e.reason.find("bad duration \"1.5h\"") != std::string::npos);
  e = refusal(s, "cleanup.batch_size", "many");
  BOOST_TEST(e.reason == "expected an integer, found a string (\"many\")");
  e = refusal(s, "cleanup.run_at_startup", "yes");
  BOOST_TEST(e.reason.find("expected a boolean") != std::string::npos);
  e = refusal(s, "cleanup.orphan_min_age", "3600");
  BOOST_TEST(e.reason.find("expected a duration string") != std::string::npos);
  e = refusal(s, "cleanup.schedule", "61 * * * *");
  BOOST_TEST(e.key == "cleanup.schedule");
  e = refusal(s, "scheduler.batches_per_engine", "");
  BOOST_TEST(e.key == "scheduler.batches_per_engine");
}

BOOST_AUTO_TEST_CASE(refuses_values_that_break_a_cross_key_rule) {
  settings s;  // max_records_small 100, min_records_large 10000
  auto e = refusal(s, "scheduler.max_records_small", "10000");
  BOOST_TEST(e.key == "scheduler.max_records_small");
  BOOST_TEST(e.reason == "max_records_small (10000) must be less than min_records_large (10000)");
  e = refusal(s, "scheduler.min_records_large", "50");
  BOOST_TEST(e.key == "scheduler.min_records_large");
  e = refusal(s, "scheduler.max_batch_size", "5");
  BOOST_TEST(e.key == "scheduler.max_batch_size");
  e = refusal(s, "scheduler.min_batch_size", "1001");
  BOOST_TEST(e.key == "scheduler.min_batch_size");
  // lock_at_least 30s, lock_at_most 10m
  e = refusal(s, "cleanup.lock_at_least", "11m");
  BOOST_TEST(e.key == "cleanup.lock_at_least");
  BOOST_TEST(e.reason == "lock_at_least (11m) must not be longer than lock_at_most (10m)");
  e = refusal(s, "cleanup.lock_at_most", "20s");
  BOOST_TEST(e.key == "cleanup.lock_at_most");
  // The rule holds against the values set before.
  apply_setting(s, "cleanup.lock_at_most", "1h");
  apply_setting(s, "cleanup.lock_at_least", "30m");
  refusal(s, "cleanup.lock_at_most", "20m");
}

BOOST_AUTO_TEST_CASE(suggests_the_closest_key_for_an_unknown_one) {
  settings s;
  auto e = refusal(s, "scheduler.min_bach_size", "5");
  BOOST_TEST(e.key == "scheduler.min_bach_size");
  BOOST_TEST(e.reason == "unknown key; did you mean `scheduler.min_batch_size`?");
  e = refusal(s, "cleanup.retain.job", "1h");
  BOOST_TEST(e.reason.find("did you mean `cleanup.retain.jobs`?") != std::string::npos);
  e = refusal(s, "colour", "blue");
  BOOST_TEST(e.reason.find("the keys that can be set: cleanup.batch_size,") != std::string::npos);
  BOOST_CHECK_THROW(setting_value(s, "scheduler.min_bach_size"), config_error);
}

BOOST_AUTO_TEST_CASE(refuses_keys_that_cannot_change_at_run_time) {
  settings s;
  for (const char* key : {"cluster.secret_file", "node", "node[1].merge_engines",
                          "database.pool_size", "log.level", "files.root"}) {
    auto e = refusal(s, key, "4");
    BOOST_TEST(e.key == key);
    BOOST_TEST(e.reason.find("cannot be changed on a running cluster") != std::string::npos,
               e.reason);
  }
  auto e = refusal(s, "scheduler.merge.parallel_per_job", "{ large = 4 }");
  BOOST_TEST(e.reason ==
             "is a table, not a key; set one of its keys: "
             "scheduler.merge.parallel_per_job.large, "
             "scheduler.merge.parallel_per_job.medium");
}

BOOST_AUTO_TEST_CASE(a_value_sets_only_its_own_key) {
  settings s;
  // A line break cannot smuggle in a second key: the whole text is one (bad) value.
  auto e = refusal(s, "scheduler.min_batch_size", "5\nmax_batch_size = 6");
  BOOST_TEST(e.key == "scheduler.min_batch_size");
  BOOST_TEST(s.scheduler.max_batch_size == 1000);
  refusal(s, "scheduler.min_batch_size", "{ max_batch_size = 6 }");
}

BOOST_AUTO_TEST_CASE(interval_and_schedule_exclude_each_other) {
  settings s;
  apply_setting(s, "cleanup.interval", "5m");
  BOOST_TEST(s.cleanup.interval.has_value());
  BOOST_TEST(s.cleanup.schedule.empty());
  BOOST_TEST(setting_value(s, "cleanup.schedule") == "");
  BOOST_TEST(setting_value(s, "cleanup.interval") == "\"5m\"");
  apply_setting(s, "cleanup.schedule", "0 3 * * *");
  BOOST_TEST(!s.cleanup.interval.has_value());
  BOOST_TEST(s.cleanup.schedule == "0 3 * * *");
  BOOST_TEST(setting_value(s, "cleanup.interval") == "");
  refusal(s, "cleanup.interval", "0s");
  BOOST_TEST(s.cleanup.schedule == "0 3 * * *");
}

BOOST_AUTO_TEST_CASE(tells_whether_the_topology_sets_a_key) {
  const auto file = fixture("valid_cluster_mariadb.toml");
  BOOST_TEST(topology_source(file, "scheduler.max_records_small") == "topology");
  BOOST_TEST(topology_source(file, "scheduler.min_batch_size") == "default");
  BOOST_TEST(topology_source(file, "scheduler.merge.parallel_per_job.large") == "topology");
  BOOST_TEST(topology_source(file, "scheduler.weaver.expected_remote") == "topology");
  BOOST_TEST(topology_source(file, "scheduler.weaver.reserved.small") == "default");
  BOOST_TEST(topology_source(file, "cleanup.retain.jobs") == "topology");
  BOOST_TEST(topology_source(file, "cleanup.schedule") == "topology");
  BOOST_TEST(topology_source(file, "cleanup.interval") == "topology");  // excluded by schedule
  BOOST_TEST(topology_source(fixture("valid_single_node.toml"), "cleanup.interval") == "default");

  scratch_dir dir;
  const auto dotted = dir.write("dotted.toml", "scheduler.merge.reserved.large = 1\n");
  BOOST_TEST(topology_source(dotted, "scheduler.merge.reserved.large") == "topology");
  BOOST_TEST(topology_source(dotted, "scheduler.merge.reserved.small") == "default");
  BOOST_CHECK_THROW(topology_source(dotted, "cluster.name"), config_error);
  BOOST_CHECK_THROW(topology_source((dir / "missing.toml").string(), "cleanup.interval"),
                    config_error);
  const auto broken = dir.write("broken.toml", "[scheduler\n");
  BOOST_CHECK_THROW(topology_source(broken, "cleanup.interval"), config_error);
}

BOOST_AUTO_TEST_SUITE_END()
