#define BOOST_TEST_MODULE config_topology_errors
#include <boost/test/unit_test.hpp>

#include "config/topology.hpp"
#include "tests/config/test_support.hpp"

using weft::config::config_error;
using weft::config::load_topology;
using weft::config::test::fixture;

using weft::config::test::fixture_modes;
BOOST_TEST_GLOBAL_FIXTURE(fixture_modes);

namespace {

/// Loads a malformed fixture and checks that the error names the file, the line and the
/// dotted key, and explains the problem (`fragment` is part of the reason).
void expect_error(const std::string& name, int line, const std::string& key,
                  const std::string& fragment,
                  const std::optional<std::string>& node = std::nullopt) {
  const auto path = fixture(name);
  try {
    load_topology(path, node);
  } catch (const config_error& e) {
    BOOST_TEST_INFO("message: " << e.what());
    BOOST_TEST(e.file == path);
    BOOST_TEST(e.line == line);
    BOOST_TEST(e.key == key);
    BOOST_TEST(e.reason.find(fragment) != std::string::npos);
    const std::string what = e.what();
    const std::string prefix = path + ":" + std::to_string(line) + ":";
    BOOST_TEST(what.rfind(prefix, 0) == 0u);
    if (!key.empty()) BOOST_TEST(what.find(": " + key + ": ") != std::string::npos);
    return;
  }
  BOOST_FAIL(name << " loaded without an error");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(topology_errors)

BOOST_AUTO_TEST_CASE(rejects_a_database_client_certificate_without_its_key) {
  expect_error("bad_db_tls_cert_without_key.toml", 13, "database.tls_cert_file",
               "tls_cert_file and tls_key_file go together", std::string{"master"});
}

BOOST_AUTO_TEST_CASE(rejects_a_database_ca_file_that_holds_no_certificate) {
  expect_error("bad_db_tls_ca_not_pem.toml", 12, "database.tls_ca_file",
               "holds no usable PEM certificate", std::string{"master"});
}

BOOST_AUTO_TEST_CASE(reports_a_syntax_error_with_its_line_and_column) {
  expect_error("bad_syntax.toml", 9, "", "TOML syntax error");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_keys_with_a_suggestion) {
  expect_error("bad_unknown_key.toml", 5, "cluster.hearbeat", "did you mean `heartbeat`?");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_tables_with_a_suggestion) {
  expect_error("bad_unknown_table.toml", 9, "schedular", "did you mean `scheduler`?");
}

BOOST_AUTO_TEST_CASE(lists_the_known_keys_when_nothing_is_close) {
  expect_error("bad_nested_unknown_key.toml", 10, "scheduler.merge.parallel_per_job.huge",
               "known keys: medium, large");
}

BOOST_AUTO_TEST_CASE(rejects_a_string_where_a_number_belongs) {
  expect_error("bad_string_for_number.toml", 18, "node[1].merge_engines",
               "expected an integer, found a string (\"4\")");
}

BOOST_AUTO_TEST_CASE(rejects_a_number_where_a_path_belongs) {
  expect_error("bad_secret_file_type.toml", 4, "cluster.secret_file",
               "expected a string, found an integer");
}

BOOST_AUTO_TEST_CASE(rejects_a_bad_duration) {
  expect_error("bad_duration.toml", 5, "cluster.node_timeout", "bad duration \"1.5s\"");
}

BOOST_AUTO_TEST_CASE(rejects_a_node_timeout_not_longer_than_the_heartbeat) {
  expect_error("bad_heartbeat_timeout.toml", 6, "cluster.node_timeout",
               "must be longer than heartbeat");
}

BOOST_AUTO_TEST_CASE(rejects_a_duplicate_node_name) {
  expect_error("bad_duplicate_node.toml", 20, "node[2].name", "duplicate node name \"ext1\"");
}

BOOST_AUTO_TEST_CASE(rejects_a_topology_without_a_master) {
  expect_error("bad_no_master.toml", 9, "node", "no node has role = \"master\"");
}

BOOST_AUTO_TEST_CASE(rejects_two_master_candidates_without_priorities) {
  expect_error("bad_same_master_priority.toml", 16, "node[1].role",
               "have the same master_priority (0)");
}

BOOST_AUTO_TEST_CASE(rejects_two_master_candidates_with_the_same_priority) {
  expect_error("bad_master_priority_twice.toml", 19, "node[1].master_priority",
               "candidates \"master\" and \"master2\" have the same master_priority (5)");
}

BOOST_AUTO_TEST_CASE(rejects_master_priority_on_an_extension) {
  expect_error("bad_master_priority_extension.toml", 18, "node[1].master_priority",
               "master_priority is for role = \"master\" candidates only");
}

BOOST_AUTO_TEST_CASE(rejects_a_master_lease_of_two_heartbeats_or_less) {
  expect_error("bad_master_lease.toml", 6, "cluster.master_lease",
               "must be longer than 2 × heartbeat");
}

BOOST_AUTO_TEST_CASE(rejects_more_than_one_database_sweep_node) {
  expect_error("bad_two_sweepers.toml", 19, "node[1].database_sweep",
               "at most one node runs the database sweep");
}

BOOST_AUTO_TEST_CASE(rejects_an_extension_that_cannot_reach_the_master) {
  expect_error("bad_unreachable_master.toml", 12, "node[0].advertise",
               "node \"ext1\" cannot reach the master candidate", std::string("ext1"));
}

BOOST_AUTO_TEST_CASE(refuses_a_node_off_loopback_without_tls) {
  expect_error("bad_no_tls.toml", 17, "node[1].listen",
               "node \"ext1\" listens on 10.0.0.11:4242, which is not a loopback address",
               std::string("master"));
}

BOOST_AUTO_TEST_CASE(refuses_a_tls_key_readable_by_others) {
  expect_error("bad_tls_open_key.toml", 12, "tls.key_file", "chmod 600", std::string("solo"));
}

BOOST_AUTO_TEST_CASE(lets_the_master_itself_listen_on_every_interface) {
  BOOST_CHECK_NO_THROW(load_topology(fixture("bad_unreachable_master.toml"), "master"));
}

BOOST_AUTO_TEST_CASE(rejects_a_missing_secret_file) {
  expect_error("bad_missing_secret.toml", 4, "cluster.secret_file", "No such file");
}

BOOST_AUTO_TEST_CASE(rejects_an_empty_secret_file) {
  expect_error("bad_empty_secret.toml", 4, "cluster.secret_file", "empty.secret is empty");
}

BOOST_AUTO_TEST_CASE(rejects_a_cluster_secret_shorter_than_16_bytes) {
  expect_error("bad_short_secret.toml", 4, "cluster.secret_file",
               "holds 15 bytes; a cluster secret needs at least 16");
}

BOOST_AUTO_TEST_CASE(rejects_a_secret_file_readable_by_others) {
  expect_error("bad_open_secret.toml", 4, "cluster.secret_file",
               "chmod 600 " + fixture("open.secret"));
}

BOOST_AUTO_TEST_CASE(rejects_a_password_file_readable_by_others) {
  expect_error("bad_open_password.toml", 11, "database.password_file", "chmod 600");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_role) {
  expect_error("bad_unknown_role.toml", 16, "node[1].role", "unknown role \"worker\"");
}

BOOST_AUTO_TEST_CASE(rejects_a_database_url_that_is_not_mariadb) {
  expect_error("bad_database_url.toml", 10, "database.url", "unsupported database URL");
}

BOOST_AUTO_TEST_CASE(rejects_a_password_inside_the_database_url) {
  expect_error("bad_password_in_url.toml", 10, "database.url", "must not contain a password");
}

BOOST_AUTO_TEST_CASE(rejects_a_port_out_of_range) {
  expect_error("bad_port.toml", 12, "node[0].listen", "1..65535");
}

BOOST_AUTO_TEST_CASE(rejects_a_negative_engine_count) {
  expect_error("bad_negative_engines.toml", 13, "node[0].weaver_engines",
               "must be between 0 and 1024, found -1");
}

BOOST_AUTO_TEST_CASE(rejects_a_schedule_and_an_interval_together) {
  expect_error("bad_schedule_and_interval.toml", 11, "cleanup.interval", "not both");
}

BOOST_AUTO_TEST_CASE(rejects_a_cron_schedule_with_four_fields) {
  expect_error("bad_cron.toml", 10, "cleanup.schedule", "5 fields");
}

BOOST_AUTO_TEST_CASE(rejects_a_small_limit_not_below_the_large_limit) {
  expect_error("bad_record_limits.toml", 11, "scheduler.min_records_large",
               "must be less than min_records_large");
}

BOOST_AUTO_TEST_CASE(requires_the_files_root) {
  expect_error("bad_missing_files_root.toml", 6, "files.root", "required key `root`");
}

BOOST_AUTO_TEST_CASE(rejects_a_single_node_table) {
  expect_error("bad_node_table.toml", 9, "node", "write each node as [[node]]");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_log_level) {
  expect_error("bad_log_level.toml", 10, "log.level", "unknown level \"verbose\"");
}

BOOST_AUTO_TEST_CASE(reports_a_missing_topology_file) {
  const auto path = fixture("no-such-topology.toml");
  try {
    load_topology(path, std::nullopt);
    BOOST_FAIL("no error");
  } catch (const config_error& e) {
    BOOST_TEST(e.file == path);
    BOOST_TEST(std::string(e.what()).find("no such file") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
