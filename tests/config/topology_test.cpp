#define BOOST_TEST_MODULE config_topology
#include "config/topology.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "config/advice.hpp"
#include "config/known_keys.hpp"
#include "tests/config/test_support.hpp"

using namespace weft::config;
using weft::config::test::fixture;
using weft::config::test::scratch_dir;
using weft::config::test::scratch_topology;

using weft::config::test::fixture_modes;
BOOST_TEST_GLOBAL_FIXTURE(fixture_modes);

namespace {

const std::string fixture_secret = "fixture-cluster-secret-7f3a9c";
const std::string fixture_password = "fixture-db-password-91c2e4";
const std::string fixture_dir = std::string(WEFT_SOURCE_DIR) + "/tests/config/fixtures";

const std::string cluster_header = R"([cluster]
name        = "t"
secret_file = "secret"

[files]
root = "store"
)";

const std::string one_master = R"(
[[node]]
name   = "weft-test-master"
role   = "master"
listen = "127.0.0.1:4242"
)";

config_error load_error(const std::string& path, const std::optional<std::string>& node) {
  try {
    load_topology(path, node);
  } catch (const config_error& e) {
    return e;
  }
  BOOST_FAIL("loaded without an error");
  throw std::logic_error("unreachable");
}

std::string this_host() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof(buffer) - 1);
  return buffer;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(topology_loading)

BOOST_AUTO_TEST_CASE(loads_a_single_node_with_the_embedded_default) {
  const auto s = load_topology(fixture("valid_single_node.toml"), std::nullopt);
  BOOST_TEST(s.source_file == fixture("valid_single_node.toml"));
  BOOST_TEST(s.cluster.name == "solo");
  BOOST_TEST(s.cluster.secret == fixture_secret);
  BOOST_TEST(s.cluster.secret_file == fixture_dir + "/secret.txt");
  BOOST_TEST(s.files.root == fixture_dir + "/store");
  BOOST_TEST(s.database.embedded);
  BOOST_TEST(s.database.sqlite_path == fixture_dir + "/store/weft.db");
  BOOST_TEST(s.database.password.empty());
  BOOST_REQUIRE(s.nodes.size() == 1u);
  BOOST_TEST(s.self == 0u);
  BOOST_TEST(s.this_node().name == "solo");
  BOOST_TEST(s.this_node().advertise.to_string() == "127.0.0.1:4242");
  BOOST_TEST(s.this_node().database_sweep, "the master sweeps when no node says otherwise");
  // Defaults, as documented.
  BOOST_TEST(s.cluster.heartbeat.count() == 250);
  BOOST_TEST(s.cluster.node_timeout.count() == 1000);
  BOOST_TEST(s.cluster.lease().count() == 1500, "master_lease: 1.5 × node_timeout");
  BOOST_TEST(s.scheduler.max_records_small == 100);
  BOOST_TEST(s.scheduler.min_records_large == 10000);
  BOOST_TEST(!s.scheduler.merge.expected_remote.has_value());
  BOOST_TEST(s.cleanup.schedule == "*/15 * * * *");
  BOOST_TEST(!s.cleanup.interval.has_value());
  BOOST_TEST(s.log.level == "info");
  BOOST_TEST(s.log.file.empty());
}

BOOST_AUTO_TEST_CASE(loads_a_master_and_two_extensions_with_mariadb) {
  const auto s = load_topology(fixture("valid_cluster_mariadb.toml"), std::string("ext1"));
  BOOST_TEST(s.cluster.name == "prod");
  BOOST_TEST(!s.database.embedded);
  BOOST_TEST(s.database.sqlite_path.empty());
  BOOST_TEST(s.database.user == "weft");
  BOOST_TEST(s.database.host == "10.0.0.5");
  BOOST_TEST(s.database.port == 3306);
  BOOST_TEST(s.database.name == "weft");
  BOOST_TEST(s.database.password == fixture_password);
  BOOST_TEST(s.database.password_file == fixture_dir + "/db.password");
  BOOST_TEST(s.database.pool_size == 8);
  BOOST_TEST(s.files.root == "/mnt/weft-share");
  BOOST_REQUIRE(s.nodes.size() == 3u);
  BOOST_TEST(s.self == 1u);
  BOOST_TEST(s.master().name == "master");
  BOOST_TEST(s.master().advertise.to_string() == "10.0.0.10:4242");
  BOOST_TEST(s.master().database_sweep);
  BOOST_TEST(!s.nodes[1].database_sweep);
  BOOST_TEST(s.extension_merge_engines() == 6);
  BOOST_TEST(s.extension_weaver_engines() == 2);
  BOOST_TEST(s.scheduler.merge.expected_remote.value() == 6);
  BOOST_TEST(s.scheduler.merge.reserved_small == 1);
  BOOST_TEST(s.scheduler.weaver.parallel_medium == 1);
  BOOST_TEST(s.scheduler.weaver.parallel_large == 2);
  BOOST_TEST(s.cleanup.retain_content.count() == 6 * 3'600'000LL);
  BOOST_TEST(s.log.level == "debug");
}

BOOST_AUTO_TEST_CASE(describe_never_shows_the_secret_or_the_password) {
  for (const auto& [file, node] :
       {std::pair<std::string, std::string>{"valid_single_node.toml", "solo"},
        {"valid_cluster_mariadb.toml", "master"},
        {"valid_cluster_mariadb.toml", "ext2"}}) {
    const auto text = describe(load_topology(fixture(file), node));
    BOOST_TEST_INFO(file << " as " << node << ":\n" << text);
    BOOST_TEST(text.find(fixture_secret) == std::string::npos);
    BOOST_TEST(text.find(fixture_password) == std::string::npos);
    BOOST_TEST(text.find("secret = \"<redacted>\"") != std::string::npos);
    BOOST_TEST(text.find("self = \"" + node + "\"") != std::string::npos);
    BOOST_TEST(text.find(fixture_dir + "/secret.txt") != std::string::npos);
  }
  const auto text = describe(load_topology(fixture("valid_cluster_mariadb.toml"), "ext1"));
  BOOST_TEST(text.find("password = \"<redacted>\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(advice_warns_of_a_remote_database_reached_without_tls) {
  auto remote = load_topology(fixture("valid_cluster_mariadb.toml"), std::string{"master"});
  auto warnings = advice(remote);
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("10.0.0.5") != std::string::npos, warnings[0]);
  BOOST_TEST(warnings[0].find("tls_ca_file") != std::string::npos, warnings[0]);
  remote.database.tls_ca_file = "ca.pem";
  BOOST_TEST(advice(remote).empty());
  remote.database.tls_ca_file.clear();
  remote.database.host = "127.0.0.1";
  BOOST_TEST(advice(remote).empty());
  BOOST_TEST(advice(load_topology(fixture("valid_single_node.toml"), std::string{"solo"})).empty());
}

BOOST_AUTO_TEST_CASE(describe_writes_valid_toml_with_every_known_key) {
  for (const auto& [file, node] :
       {std::pair<std::string, std::string>{"valid_single_node.toml", "solo"},
        {"valid_cluster_mariadb.toml", "master"}}) {
    const auto text = describe(load_topology(fixture(file), node));
    BOOST_TEST_INFO(text);
    toml::table parsed;
    BOOST_REQUIRE_NO_THROW(parsed = toml::parse(text));
    BOOST_TEST(parsed["self"].value_or(std::string()) == node);
    for (const auto& k : known_keys()) {
      if (k.table.empty()) {
        BOOST_TEST(parsed.contains(k.key), "missing table " << k.key);
        continue;
      }
      // database.url, password_file and tls_* are only meaningful (and shown) with MariaDB.
      const bool embedded_only_hidden =
          k.table == "database" &&
          (k.key == "url" || k.key == "password_file" || k.key.rfind("tls_", 0) == 0);
      if (embedded_only_hidden && parsed["database"]["embedded"].value_or(false)) continue;
      // cleanup shows schedule or interval, whichever is in effect.
      if (k.table == "cleanup" && k.key == "interval") continue;
      // Without [tls] its keys are not shown, nor a node's own TLS files when it has none.
      if (k.table == "tls" && !parsed["tls"]["ca_file"]) continue;
      if (k.table == "node" && k.key.rfind("tls_", 0) == 0 && !parsed["tls"]["ca_file"]) continue;
      // An unset http_listen (no REST API, the fixtures' case) is not shown.
      if (k.table == "node" && k.key == "http_listen") continue;
      const auto path = k.table == "node" ? std::string("node[0].") + std::string(k.key)
                                          : std::string(k.table) + "." + std::string(k.key);
      BOOST_TEST(static_cast<bool>(parsed.at_path(path)), "missing " << path);
    }
  }
}

BOOST_AUTO_TEST_CASE(selects_the_only_node_without_a_name) {
  scratch_topology t(cluster_header + one_master);
  BOOST_TEST(load_topology(t.path, std::nullopt).this_node().name == "weft-test-master");
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_node_name_listing_the_known_ones) {
  const auto e = load_error(fixture("valid_cluster_mariadb.toml"), std::string("ext9"));
  BOOST_TEST(e.key == "node");
  BOOST_TEST(e.reason.find("no node named \"ext9\"") != std::string::npos);
  BOOST_TEST(e.reason.find("master, ext1, ext2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(asks_for_a_node_name_when_none_matches_the_host) {
  scratch_topology t(cluster_header + one_master + R"(
[[node]]
name   = "weft-test-ext"
role   = "extension"
listen = "127.0.0.1:4243"
)");
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.reason.find("--node NAME") != std::string::npos);
  BOOST_TEST(e.reason.find("weft-test-master, weft-test-ext") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(selects_the_node_named_after_the_host) {
  const auto host = this_host();
  BOOST_REQUIRE(!host.empty());
  scratch_topology t(cluster_header + one_master + R"(
[[node]]
name   = ")" + host + R"("
role   = "extension"
listen = "127.0.0.1:4243"
)");
  const auto s = load_topology(t.path, std::nullopt);
  BOOST_TEST(s.this_node().name == host);
  BOOST_TEST(s.self == 1u);
}

BOOST_AUTO_TEST_CASE(resolves_relative_paths_against_the_topology_directory) {
  scratch_dir dir;
  std::filesystem::create_directory(dir / "conf");
  std::filesystem::create_directory(dir / "keys");
  dir.write("keys/cluster.secret", "abc-0123456789abcdef\n");
  dir.write("keys/db.password", "pw\n");
  const auto path = dir.write("conf/weft.toml", R"([cluster]
name        = "t"
secret_file = "../keys/cluster.secret"
[database]
url           = "mysql://weft@db.internal/weft"
password_file = "../keys/db.password"
[files]
root = "share"
[log]
file = "logs/node.log"
)" + one_master,
                              0644);
  const auto s = load_topology(path, std::nullopt);
  const auto base = dir.path();
  BOOST_TEST(s.cluster.secret_file == base + "/keys/cluster.secret");
  BOOST_TEST(s.database.password_file == base + "/keys/db.password");
  BOOST_TEST(s.files.root == base + "/conf/share");
  BOOST_TEST(s.log.file == base + "/conf/logs/node.log");
  BOOST_TEST(s.database.port == 3306);
  BOOST_TEST(s.database.host == "db.internal");
  BOOST_TEST(s.database.password == "pw");
}

BOOST_AUTO_TEST_CASE(strips_only_the_trailing_newline_of_the_secret) {
  scratch_topology t(cluster_header + one_master);
  t.dir.write("secret", "  two words of a secret \r\n");
  BOOST_TEST(load_topology(t.path, std::nullopt).cluster.secret == "  two words of a secret ");
}

BOOST_AUTO_TEST_CASE(rejects_a_secret_file_that_is_only_a_newline) {
  scratch_topology t(cluster_header + one_master);
  t.dir.write("secret", "\n");
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "cluster.secret_file");
  BOOST_TEST(e.line == 3);
  BOOST_TEST(e.reason.find("is empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_cluster_secret_shorter_than_16_bytes) {
  scratch_topology t(cluster_header + one_master);
  t.dir.write("secret", "fifteen-bytes!!\n");  // 15 bytes once the newline is stripped
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "cluster.secret_file");
  BOOST_TEST(e.line == 3);
  BOOST_TEST(e.column > 0);
  BOOST_TEST(e.reason.find("holds 15 bytes") != std::string::npos, e.reason);
  BOOST_TEST(e.reason.find("at least 16") != std::string::npos, e.reason);
  t.dir.write("secret", "sixteen-bytes!!!\n");
  BOOST_TEST(load_topology(t.path, std::nullopt).cluster.secret == "sixteen-bytes!!!");
}

BOOST_AUTO_TEST_CASE(rejects_a_secret_file_readable_by_the_group) {
  scratch_topology t(cluster_header + one_master);
  t.dir.write("secret", "x\n", 0640);
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.reason.find("chmod 600") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(uses_an_interval_instead_of_a_schedule) {
  scratch_topology t(cluster_header + "[cleanup]\ninterval = \"15m\"\n" + one_master);
  const auto s = load_topology(t.path, std::nullopt);
  BOOST_TEST(s.cleanup.interval.value().count() == 15 * 60'000);
  BOOST_TEST(s.cleanup.schedule.empty());
  BOOST_TEST(describe(s).find("interval = \"15m\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_float_where_an_integer_belongs) {
  scratch_topology t(cluster_header + one_master + "merge_engines = 2.0\n");
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "node[0].merge_engines");
  BOOST_TEST(e.line == 12);
  BOOST_TEST(e.reason.find("expected an integer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_number_where_a_duration_belongs) {
  scratch_topology t("[cluster]\nname = \"t\"\nsecret_file = \"secret\"\nheartbeat = 250\n" +
                     cluster_header.substr(cluster_header.find("[files]")) + one_master);
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "cluster.heartbeat");
  BOOST_TEST(e.line == 4);
  BOOST_TEST(e.reason.find("expected a duration string") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_wildcard_advertise_address_for_extensions) {
  scratch_topology t(cluster_header + R"(
[[node]]
name      = "m"
role      = "master"
listen    = "0.0.0.0:4242"
advertise = "0.0.0.0:4242"

[[node]]
name   = "e"
role   = "extension"
listen = "0.0.0.0:4243"
)");
  const auto e = load_error(t.path, std::string("e"));
  BOOST_TEST(e.key == "node[0].advertise");
  BOOST_TEST(e.line == 12);
}

BOOST_AUTO_TEST_CASE(rejects_two_nodes_advertising_the_same_address) {
  scratch_topology t(cluster_header + one_master + R"(
[[node]]
name      = "e"
role      = "extension"
listen    = "0.0.0.0:4242"
advertise = "127.0.0.1:4242"
)");
  const auto e = load_error(t.path, std::string("e"));
  BOOST_TEST(e.key == "node[1].advertise");
}

BOOST_AUTO_TEST_CASE(rejects_a_topology_without_nodes) {
  scratch_topology t(cluster_header);
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "node");
}

BOOST_AUTO_TEST_CASE(rejects_a_database_table_without_a_url) {
  scratch_topology t(cluster_header + "[database]\npool_size = 2\n" + one_master);
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "database.url");
}

BOOST_AUTO_TEST_CASE(rejects_database_urls_missing_a_part) {
  for (const char* url : {"mariadb://10.0.0.5/weft", "mariadb://weft@10.0.0.5",
                          "mariadb://weft@/weft", "mariadb://weft@10.0.0.5:0/weft",
                          "mariadb://weft@10.0.0.5:3306/", "mariadb:/weft@h/db", "weft@h/db"}) {
    scratch_topology t(cluster_header + "[database]\nurl = \"" + url + "\"\n" + one_master);
    const auto e = load_error(t.path, std::nullopt);
    BOOST_TEST(e.key == "database.url", url);
    BOOST_TEST(e.line == 8, url);
  }
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_key_in_a_node_with_a_suggestion) {
  scratch_topology t(cluster_header + one_master + "merge_engine = 2\n");
  const auto e = load_error(t.path, std::nullopt);
  BOOST_TEST(e.key == "node[0].merge_engine");
  BOOST_TEST(e.line == 12);
  BOOST_TEST(e.column == 1);
  BOOST_TEST(e.reason.find("did you mean `merge_engines`?") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(master_candidates_are_ordered_by_priority_and_the_lease_follows_the_timeout) {
  scratch_topology t(R"([cluster]
name         = "t"
secret_file  = "secret"
node_timeout = "250ms"
heartbeat    = "50ms"

[files]
root = "store"

[[node]]
name = "m1"
role = "master"
listen = "127.0.0.1:4242"
master_priority = 1

[[node]]
name = "m2"
role = "master"
listen = "127.0.0.1:4243"
master_priority = 9

[[node]]
name = "ext"
role = "extension"
listen = "127.0.0.1:4244"
)");
  const auto s = load_topology(t.path, std::string("m1"));
  const auto candidates = s.master_candidates();
  BOOST_REQUIRE(candidates.size() == 2u);
  BOOST_TEST(candidates[0]->name == "m2");
  BOOST_TEST(candidates[1]->name == "m1");
  BOOST_TEST(s.master().name == "m2");
  BOOST_TEST(s.has_standby_masters());
  // 1.5 × node_timeout, at least three heartbeats
  BOOST_TEST(s.cluster.lease().count() == 375);
  auto slow_beat = s;
  slow_beat.cluster.heartbeat = std::chrono::milliseconds(200);
  BOOST_TEST(slow_beat.cluster.lease().count() == 600);
  auto set = s;
  set.cluster.master_lease = std::chrono::milliseconds(2000);
  BOOST_TEST(set.cluster.lease().count() == 2000);
}

BOOST_AUTO_TEST_CASE(fonts_dirs_resolve_against_the_topology_and_must_be_directories) {
  {
    scratch_topology t(cluster_header + "[fonts]\ndirs = [\"fonts\", \"/usr/share\"]\n" +
                       one_master);
    std::filesystem::create_directory(t.dir / "fonts");
    const auto s = load_topology(t.path, std::nullopt);
    BOOST_REQUIRE_EQUAL(s.fonts.dirs.size(), 2u);
    BOOST_TEST(s.fonts.dirs[0] == t.dir.path() + "/fonts");
    BOOST_TEST(s.fonts.dirs[1] == "/usr/share");
    BOOST_TEST(describe(s).find("dirs = [\"" + t.dir.path() + "/fonts\", \"/usr/share\"]") !=
               std::string::npos);
  }
  {
    // a missing directory: the error points at that element (line 8, column 18)
    scratch_topology t(cluster_header + "[fonts]\ndirs = [\"/usr\", \"missing-fonts\"]\n" +
                       one_master);
    const auto e = load_error(t.path, std::nullopt);
    BOOST_TEST(e.key == "fonts.dirs");
    BOOST_TEST(e.line == 8);
    BOOST_TEST(e.column == 17);
    BOOST_TEST(e.reason.find("missing-fonts\" does not exist") != std::string::npos, e.reason);
    BOOST_TEST(std::string(e.what()).find(":8:17") != std::string::npos, e.what());
  }
  {
    scratch_topology t(cluster_header + "[fonts]\ndirs = [\"secret\"]\n" + one_master);
    const auto e = load_error(t.path, std::nullopt);
    BOOST_TEST(e.key == "fonts.dirs");
    BOOST_TEST(e.reason.find("is not a directory") != std::string::npos, e.reason);
  }
  {
    scratch_topology t(cluster_header + "[fonts]\ndirs = \"/usr/share/fonts\"\n" + one_master);
    const auto e = load_error(t.path, std::nullopt);
    BOOST_TEST(e.key == "fonts.dirs");
    BOOST_TEST(e.line == 8);
    BOOST_TEST(e.reason.find("expected an array of paths") != std::string::npos, e.reason);
  }
  {
    scratch_topology t(cluster_header + "[fonts]\ndirs = [3]\n" + one_master);
    const auto e = load_error(t.path, std::nullopt);
    BOOST_TEST(e.reason.find("expected a path (a string)") != std::string::npos, e.reason);
  }
}
