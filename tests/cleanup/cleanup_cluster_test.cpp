// The clean-up service across a real cluster (cleanup_cluster_test, label mariadb): a
// master and two extensions as `caf-node run` processes sharing one fresh MariaDB
// database and one file store, sweeping every second (docs/cleanup.md).
//
// * Three nodes sweep for a while (WEFT_CLEANUP_SOAK_SECONDS, default 60, the minute of
//   issue 5): the history shows no two sweeps overlapping in time, and every node swept.
// * The lease holder is SIGKILLed in the middle of an orphan sweep (made long by the test
//   hook WEFT_TEST_SWEEP_PAUSE_MS): another node takes the lease once `lock_at_most` has
//   passed, finishes the work and marks the dead sweep `abandoned`.
// * An orphan left by a killed attempt is removed by a running node's sweep, while the files
//   of a live job and young files stay (the rules themselves are tested at the storage
//   level in cleanup_sweep_*; this is the end-to-end version).
//
// Needs WEFT_TEST_MARIADB_URL and WEFT_TEST_MARIADB_PASSWORD_FILE; without them every
// case fails, it never skips.

#define BOOST_TEST_MODULE cleanup_cluster
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "storage/job_store.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fresh_database.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/shell_client.hpp"
#include "tests/support/test_port.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;
using weft::test::fresh_database;
using weft::test::node_process;
using weft::test::reserve_port;
using weft::test::run_command;
using weft::test::shell_answer;
using weft::test::temp_dir;
using weft::test::wait_until;

namespace {

/// How long the three nodes sweep in the first case: WEFT_CLEANUP_SOAK_SECONDS, default 60
/// (issue 5 says "for a minute"). Waiting on the clock is that case's purpose.
int soak_seconds() {
  const char* v = std::getenv("WEFT_CLEANUP_SOAK_SECONDS");
  if (v == nullptr || !*v) return 60;
  const int n = std::atoi(v);
  if (n < 5) throw std::runtime_error("WEFT_CLEANUP_SOAK_SECONDS must be at least 5");
  return n;
}

/// Sets an environment variable for the nodes this process starts, and unsets it again.
class scoped_env {
 public:
  scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { ::unsetenv(name_.c_str()); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string name_;
};

long long ms_since(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count();
}

/// One row of the sweep history.
struct sweep {
  int64_t id = 0;
  std::string node;
  int64_t token = 0;
  std::string started_at;   ///< 'YYYY-MM-DD HH:MM:SS.ffffff', database clock
  std::string finished_at;  ///< "" while running (or when its node died)
  std::string status;
  int64_t files_removed = 0;
};

std::vector<sweep> parse_history(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) throw std::runtime_error("not a sweep history: " + json);
  std::vector<sweep> out;
  for (const auto& r : j) {
    sweep s;
    s.id = r.value("id", int64_t{0});
    s.node = r.value("node", "");
    s.token = r.value("token", int64_t{0});
    s.started_at = r.value("started_at", "");
    if (r.contains("finished_at") && r["finished_at"].is_string())
      s.finished_at = r["finished_at"].get<std::string>();
    s.status = r.value("status", "");
    s.files_removed = r.value("files_removed", int64_t{0});
    out.push_back(s);
  }
  return out;
}

std::string describe(const sweep& s) {
  return "#" + std::to_string(s.id) + " " + s.node + " token " + std::to_string(s.token) + " [" +
         s.started_at + " .. " + s.finished_at + "] " + s.status;
}

/// A file of `bytes` bytes whose mtime lies `age` in the past (utimes).
void put_file(const fs::path& p, std::size_t bytes, std::chrono::seconds age) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << std::string(bytes, 'x');
  if (age > 0s) {
    const auto when = std::chrono::system_clock::now() - age;
    struct timeval tv[2];
    tv[0].tv_sec = tv[1].tv_sec = std::chrono::system_clock::to_time_t(when);
    tv[0].tv_usec = tv[1].tv_usec = 0;
    if (::utimes(p.c_str(), tv) != 0) throw std::runtime_error("utimes " + p.string());
  }
}

/// How many entries `dir` holds (0 when it does not exist).
std::size_t entries(const fs::path& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

/// A master ("master", database_sweep) and two extensions ("ext1", "ext2") as real
/// `caf-node run` processes on reserved loopback ports, one fresh MariaDB database, one
/// file store (`files()`), the clean-up service sweeping every second with a short lease.
class sweeping_cluster {
 public:
  sweeping_cluster() : db_(std::make_unique<fresh_database>()) {
    secret_ = dir_.write("cluster.secret", "cleanup-cluster-test-secret-0123456789\n");
    // A copy with mode 600, whatever the test server's file has.
    password_ = dir_.write("db.password", weft::test::first_line(db_->password_file()) + "\n");
    for (const auto& name : names()) {
      ports_[name] = reserve_port();
      nodes_[name] = std::make_unique<node_process>(name, dir_.path());
    }
    write_topology();
  }

  ~sweeping_cluster() {
    for (auto& [name, p] : nodes_) p->kill();
  }

  static constexpr std::chrono::milliseconds lock_at_most{2000};

  static std::vector<std::string> names() { return {"master", "ext1", "ext2"}; }
  fs::path files() const { return fs::path(dir_.path()) / "files"; }
  /// A directory outside the file store on the same file system, to prepare trees in.
  fs::path staging() const { return fs::path(dir_.path()) / "staging"; }
  fresh_database& db() { return *db_; }

  /// Starts the master, waits until it answers the shell, then each extension until
  /// it joined (its row in `nodes`, and it reaches the master through the shell).
  void start_all() {
    for (const auto& name : names()) {
      node_process::serving_check check;
      if (name == "master")
        check.serves = [&] { return shell_answer(via("master"), "nodes").has_value(); };
      else
        check.serves = [&, name] {
          return db_->scalar_or_zero("SELECT COUNT(*) FROM nodes WHERE state = 'up' AND name = '" +
                                     name + "'") == 1 &&
                 shell_answer(via(name), "capacity").has_value();
        };
      check.move_port = [&, name] {
        ports_[name] = reserve_port();
        return write_topology();
      };
      auto why = nodes_.at(name)->start_serving(topology_, check);
      if (!why.empty()) throw std::runtime_error(why + "\n" + logs());
    }
  }

  pid_t pid(const std::string& name) const { return nodes_.at(name)->pid(); }
  void kill(const std::string& name) { nodes_.at(name)->kill(); }
  /// SIGTERM to every running node; their exit codes (nothing for one that did not stop).
  std::map<std::string, std::optional<int>> stop_all() {
    for (auto& [name, p] : nodes_)
      if (p->running()) p->signal(SIGTERM);
    std::map<std::string, std::optional<int>> codes;
    for (auto& [name, p] : nodes_) codes[name] = p->wait_exit(30s);
    return codes;
  }

  /// The last lines of every node's log, for failure messages.
  std::string logs() const {
    std::string out;
    for (const auto& [name, p] : nodes_) out += "---- " + name + " ----\n" + p->tail(40) + "\n";
    return out;
  }

  /// `caf-node cleanup ARGS --config T`; throws with the output when it fails.
  std::string cleanup_command(std::vector<std::string> args) const {
    std::vector<std::string> argv{weft::test::caf_node_path(), "cleanup"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", topology_, "--node", "master"});
    auto r = run_command(argv, 60s);
    if (r.exit_code != 0)
      throw std::runtime_error("caf-node cleanup " + args.front() + " failed (exit " +
                               std::to_string(r.exit_code) + "): " + r.out + r.err);
    return r.out;
  }
  /// The newest `n` sweeps, as `caf-node cleanup history` prints them (newest first).
  std::vector<sweep> history(int n) const {
    return parse_history(cleanup_command({"history", "-n", std::to_string(n)}));
  }
  /// The `cleanup` lease as `caf-node cleanup leases` prints it (null when there is none).
  nlohmann::json cleanup_lease() const {
    auto j = nlohmann::json::parse(cleanup_command({"leases"}), nullptr, false);
    if (!j.is_array()) throw std::runtime_error("caf-node cleanup leases: not an array");
    for (const auto& l : j)
      if (l.value("name", "") == "cleanup") return l;
    return nullptr;
  }

  // Direct database reads, for polling: far cheaper than a caf-node process per poll.

  long long scalar(const std::string& sql) { return db_->scalar_or_zero(sql); }
  std::string scalar_text(const std::string& sql) {
    try {
      auto rows = db_->column(sql);
      return rows.empty() ? std::string{} : rows.front();
    } catch (const std::exception&) {
      return {};
    }
  }
  /// The sweeps with an id above `after`, oldest first.
  std::vector<sweep> sweeps_after(int64_t after) {
    std::vector<sweep> out;
    std::vector<std::string> rows;
    try {
      rows = db_->column(
          "SELECT CONCAT_WS('|', id, node, token, CAST(started_at AS CHAR), "
          "COALESCE(CAST(finished_at AS CHAR), ''), status, files_removed) FROM sweeps "
          "WHERE id > " +
          std::to_string(after) + " ORDER BY id");
    } catch (const std::exception&) {
      return out;  // e.g. the table does not exist yet: ask again later
    }
    for (const auto& row : rows) {
      std::vector<std::string> f;
      std::stringstream in(row);
      for (std::string part; std::getline(in, part, '|');) f.push_back(part);
      if (f.size() < 6) continue;
      sweep s;
      s.id = std::stoll(f[0]);
      s.node = f[1];
      s.token = std::stoll(f[2]);
      s.started_at = f[3];
      s.finished_at = f[4];
      s.status = f[5];
      s.files_removed = f.size() > 6 ? std::stoll(f[6]) : 0;
      out.push_back(s);
    }
    return out;
  }
  int64_t last_sweep_id() { return scalar("SELECT COALESCE(MAX(id), 0) FROM sweeps"); }
  /// Waits (20 s) until some sweep has finished (status done).
  bool wait_for_a_finished_sweep() {
    return wait_until(
        [&] { return scalar("SELECT COUNT(*) FROM sweeps WHERE status = 'done'") > 0; }, 20s);
  }

 private:
  weft::test::shell_target via(const std::string& name) const {
    return {"127.0.0.1:" + std::to_string(ports_.at(name)), topology_};
  }

  /// Writes the topology with the nodes' current ports; returns its path.
  std::string write_topology() {
    std::ostringstream t;
    t << "[cluster]\nname = \"weft-cleanup-test\"\nsecret_file = \"" << secret_ << "\"\n"
      << "heartbeat = \"100ms\"\nnode_timeout = \"500ms\"\nretry_initial = \"100ms\"\n"
      << "\n[database]\nurl = \"" << db_->url() << "\"\npassword_file = \"" << password_ << "\"\n"
      << "\n[files]\nroot = \"" << files().string() << "\"\n"
      << "\n[cleanup]\ninterval = \"1s\"\nrun_at_startup = true\nlock_at_least = \"100ms\"\n"
      << "lock_at_most = \"" << lock_at_most.count() << "ms\"\norphan_min_age = \"1h\"\n";
    for (const auto& name : names()) {
      t << "\n[[node]]\nname = \"" << name << "\"\nrole = \""
        << (name == "master" ? "master" : "extension")
        << "\"\nlisten = \"127.0.0.1:" << ports_.at(name)
        << "\"\nmerge_engines = 1\nweaver_engines = 1\n";
      if (name == "master") t << "database_sweep = true\n";
    }
    topology_ = dir_.write("weft.toml", t.str(), 0644);
    return topology_;
  }

  temp_dir dir_{"cleanup"};
  std::unique_ptr<fresh_database> db_;
  std::string secret_;
  std::string password_;
  std::string topology_;
  std::map<std::string, uint16_t> ports_;
  std::map<std::string, std::unique_ptr<node_process>> nodes_;
};

/// Moves `from` (a `jobs` tree prepared in staging) into the file store's `jobs/`, one
/// job directory per rename.
void move_into_store(const fs::path& from, const fs::path& jobs) {
  fs::create_directories(jobs);
  for (const auto& e : fs::directory_iterator(from))
    fs::rename(e.path(), jobs / e.path().filename());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cleanup_cluster)

BOOST_AUTO_TEST_CASE(three_nodes_sweeping_every_second_never_overlap_and_all_take_turns) {
  const int seconds = soak_seconds();
  sweeping_cluster c;
  const auto began = steady::now();
  c.start_all();

  // Every node has a slot per second (staggered by a third): the history should reach
  // 3 sweeps per second of the run. Skipped slots are legal; the deadline bounds the run.
  const long long every_slot = 3LL * seconds;
  const auto soak = steady::now();
  const bool all_slots =
      wait_until([&] { return c.scalar("SELECT COUNT(*) FROM sweeps") >= every_slot; },
                 std::chrono::seconds(seconds) + 10s);
  const auto soaked_ms = ms_since(soak);
  auto codes = c.stop_all();
  for (const auto& [name, code] : codes)
    BOOST_CHECK_MESSAGE(code && *code == 0, name << " did not stop cleanly on SIGTERM (exit "
                                                 << (code ? std::to_string(*code) : "none") << ")\n"
                                                 << c.logs());

  auto history = c.history(100000);
  BOOST_TEST_MESSAGE(history.size() << " sweeps in " << soaked_ms << " ms of sweeping (wanted "
                                    << every_slot << ", every slot: " << std::boolalpha << all_slots
                                    << "); whole case " << ms_since(began) << " ms");
  BOOST_TEST_REQUIRE(static_cast<long long>(history.size()) >= seconds,
                     "fewer than one sweep per second: " << history.size() << "\n"
                                                         << c.logs());
  BOOST_TEST(static_cast<long long>(history.size()) == c.scalar("SELECT COUNT(*) FROM sweeps"));

  std::map<std::string, int> by_node;
  for (const auto& s : history) {
    ++by_node[s.node];
    BOOST_TEST(!s.finished_at.empty(), describe(s) << " never finished");
    BOOST_TEST((s.status == "done" || s.status == "stopped"), describe(s));
    BOOST_TEST(s.started_at <= s.finished_at, describe(s));
  }
  std::sort(history.begin(), history.end(),
            [](const sweep& a, const sweep& b) { return a.started_at < b.started_at; });
  int overlaps = 0;
  for (std::size_t i = 1; i < history.size(); ++i) {
    const auto& before = history[i - 1];
    const auto& after = history[i];
    if (!(before.finished_at < after.started_at) && ++overlaps <= 10)
      BOOST_ERROR("sweeps overlap: " << describe(before) << " and " << describe(after));
    BOOST_TEST(before.token < after.token,
               "the fencing token did not grow: " << describe(before) << ", " << describe(after));
  }
  BOOST_TEST(overlaps == 0);

  std::ostringstream share;
  for (const auto& [node, n] : by_node) share << node << " " << n << "; ";
  BOOST_TEST_MESSAGE("sweeps per node: " << share.str());
  BOOST_TEST(by_node.size() > 1u, "only one node swept: " << share.str());
  // lock_at_least (100 ms) is below period / nodes (333 ms): every node gets its turn,
  // the database node in particular (docs/cleanup.md, Staggering).
  for (const auto& name : sweeping_cluster::names())
    BOOST_TEST(by_node[name] > 0, name << " never swept: " << share.str());
}

// The holder is killed in the middle of a sweep of orphan directories. The test hook
// WEFT_TEST_SWEEP_PAUSE_MS (docs/cleanup.md "Test hook") makes every step of a sweep pause,
// so a sweep of `dirs` directories lasts at least dirs × pause whatever the machine's speed:
// the kill lands mid-sweep by construction (it was flaky when the sweep's length depended on
// how fast the machine walked 20,000 directories).
BOOST_AUTO_TEST_CASE(another_node_sweeps_after_lock_at_most_when_the_lease_holder_is_killed) {
  constexpr int pause_ms = 20;
  scoped_env pause("WEFT_TEST_SWEEP_PAUSE_MS", std::to_string(pause_ms));  // for the nodes
  sweeping_cluster c;
  const auto began = steady::now();
  // Old directories of jobs that do not exist: the sweep pauses before each one, so one
  // sweep of the tree takes at least dirs × pause_ms = 6 s, renewing the lease as it goes.
  const int dirs = 300;
  const int files_per_dir = 2;
  const auto staged = c.staging() / "jobs";
  for (int d = 0; d < dirs; ++d)
    for (int f = 0; f < files_per_dir; ++f)
      put_file(staged / std::to_string(500000 + d) / "content" /
                   ("m" + std::to_string(f) + ".a1.bin.part"),
               16, 2h);
  c.start_all();
  BOOST_TEST_REQUIRE(c.wait_for_a_finished_sweep(), "no sweep finished\n" << c.logs());

  move_into_store(staged, c.files() / "jobs");
  const auto jobs = c.files() / "jobs";

  // The sweep that is running (one at a time: the lease) is in the middle of the orphans:
  // some are gone, at least half are left, so it needs seconds more (at least
  // dirs / 2 × pause_ms) — far longer than the kill below. It may have started before the
  // orphans were moved in: it walks them all the same.
  sweep victim;
  std::size_t left_at_sight = 0;
  BOOST_TEST_REQUIRE(
      wait_until(
          [&] {
            left_at_sight = entries(jobs);
            if (left_at_sight >= std::size_t(dirs) || left_at_sight < std::size_t(dirs / 2))
              return false;
            for (const auto& s : c.sweeps_after(0))
              if (s.status == "running") {
                victim = s;
                return true;
              }
            return false;
          },
          30s),
      "no sweep seen in the middle of the orphans (" << entries(jobs) << " of " << dirs
                                                     << " left)\n"
                                                     << c.logs());
  const std::string node = victim.node;
  const auto victim_pid = c.pid(node);
  c.kill(node);
  const auto killed = steady::now();
  BOOST_TEST_MESSAGE("killed " << node << " with " << left_at_sight << " of " << dirs
                               << " directories left, in " << describe(victim));

  // Killed mid-sweep: orphans are left, the lease outlives its holder until it expires.
  const auto left = entries(jobs);
  BOOST_TEST_REQUIRE(left > 0u, "the sweep finished before the kill: the pause hook is off?\n"
                                    << c.logs());
  const auto lease = c.cleanup_lease();
  BOOST_TEST_REQUIRE(!lease.is_null());
  const std::string holder = lease.value("holder", "");
  const std::string lock_until = lease.value("lock_until", "");
  BOOST_TEST_MESSAGE("lease holder '" << holder << "', token " << lease.value("token", 0)
                                      << ", until " << lock_until << "; " << left
                                      << " directories left");
  BOOST_TEST_REQUIRE(lease.value("token", int64_t{0}) == victim.token,
                     "the lease moved on before the kill\n"
                         << c.logs());
  BOOST_TEST_REQUIRE(holder == node + " pid " + std::to_string(victim_pid));

  // The next acquisition (token + 1) is by another node, once the lease has expired.
  sweep successor;
  BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           for (const auto& s : c.sweeps_after(victim.id))
                             if (s.token == victim.token + 1) {
                               successor = s;
                               return true;
                             }
                           return false;
                         },
                         sweeping_cluster::lock_at_most + 30s),
                     "no node took over the lease\n"
                         << c.logs());
  const auto takeover_ms = ms_since(killed);
  BOOST_TEST_MESSAGE("taken over after " << takeover_ms << " ms by " << describe(successor));
  BOOST_TEST(successor.node != node);
  BOOST_TEST(successor.started_at >= lock_until, "taken over at " << successor.started_at
                                                                  << " before the lease expired at "
                                                                  << lock_until);
  // lock_at_most is 2 s and the holder renewed at most lock_at_most / 4 before the kill.
  BOOST_TEST(takeover_ms >= 1000,
             "taken over only " << takeover_ms << " ms after the kill (lock_at_most 2 s)");

  // The successor finishes the work: every orphan goes.
  BOOST_TEST(wait_until(
                 [&] {
                   for (const auto& s : c.sweeps_after(victim.id))
                     if (s.id == successor.id) return !s.finished_at.empty();
                   return false;
                 },
                 60s),
             "the successor's sweep did not finish\n"
                 << c.logs());
  BOOST_TEST(entries(jobs) == 0u, entries(jobs) << " orphan directories left\n" << c.logs());

  // The history, as `caf-node cleanup history` shows it: the dead sweep is no longer
  // running but abandoned (marked by the successor), and nothing else is left running.
  int64_t removed = 0;
  bool saw_victim = false;
  for (const auto& s : c.history(1000)) {
    if (s.id < victim.id) continue;
    if (s.id == victim.id) {
      saw_victim = true;
      BOOST_TEST(s.status == "abandoned", describe(s));
      BOOST_TEST(s.finished_at.empty(), describe(s));
    } else {
      BOOST_TEST(s.node != node, "the killed node swept again: " << describe(s));
      if (s.id == successor.id) BOOST_TEST(s.status == "done", describe(s));
      if (s.id <= successor.id) BOOST_TEST(s.status != "running", describe(s));
      removed += s.files_removed;
    }
  }
  BOOST_TEST(saw_victim);
  const auto error = c.scalar_text("SELECT COALESCE(error, '') FROM sweeps WHERE id = " +
                                   std::to_string(victim.id));
  BOOST_TEST(error.find("token " + std::to_string(successor.token)) != std::string::npos, error);
  BOOST_TEST(removed > 0);
  BOOST_TEST(removed < dirs * files_per_dir);  // the killed sweep removed the rest
  BOOST_TEST_MESSAGE("survivors removed " << removed << " files; whole case " << ms_since(began)
                                          << " ms");
}

BOOST_AUTO_TEST_CASE(
    an_orphan_of_a_killed_attempt_goes_while_files_of_a_live_job_and_young_files_stay) {
  using namespace weft::storage;
  sweeping_cluster c;
  const auto began = steady::now();
  c.start_all();
  BOOST_TEST_REQUIRE(c.wait_for_a_finished_sweep(), "no sweep finished\n" << c.logs());

  // A job still merging: batch 0's first attempt died with its node and runs again as
  // attempt 2; batch 1 is done (its content row names m1.a1.bin).
  auto db = c.db().open();
  job_store store(*db);
  new_job j;
  j.template_path = "t";
  j.data_path = "d";
  j.data_format = "ndjson";
  j.options_json = "{}";
  const auto live = store.create_job(j);
  const auto job_dir = c.files() / "jobs" / std::to_string(live);
  store.set_paths(live, (job_dir / "input" / "t.mustache").string(),
                  (job_dir / "input" / "d.ndjson").string());
  store.insert_records(live, {{1, "{\"n\":1}"}, {2, "{\"n\":2}"}});
  batch_row b0, b1;
  b0.batch_no = 0;
  b0.first_seq = b0.last_seq = 1;
  b1.batch_no = 1;
  b1.first_seq = b1.last_seq = 2;
  store.finish_mapping(live, 2, {b0, b1});
  store.set_attempt(live, phase::merge, 1, 1);
  content_row done_batch;
  done_batch.job_id = live;
  done_batch.batch_no = 1;
  done_batch.attempt = 1;
  done_batch.path = (job_dir / "content" / "m1.a1.bin").string();
  BOOST_TEST_REQUIRE(store.complete_merge(done_batch, "ext1/merge/0", "ext1"));
  store.set_attempt(live, phase::merge, 0, 2);

  const auto staged = c.staging() / "jobs";
  const auto S = staged / std::to_string(live);
  put_file(S / "input" / "t.mustache", 10, 2h);
  put_file(S / "input" / "d.ndjson", 20, 2h);
  put_file(S / "content" / "m0.a1.bin.part", 300, 2h);  // the killed attempt's leftover
  put_file(S / "content" / "m0.a2.bin.part", 70, 2h);   // the current attempt, being written
  put_file(S / "content" / "m1.a1.bin", 100, 2h);       // referenced by its content row
  // A job whose row is gone: its old file goes, a young file of another stays.
  put_file(staged / "700001" / "content" / "m0.a1.bin", 40, 2h);
  put_file(staged / "700002" / "content" / "m0.a1.bin", 40, 0s);

  // A sweep that was running while the files moved in may remove them already
  // (it walks the store after the move): count what every sweep since before the
  // move removed, and wait for one that started after it.
  const auto before_move = c.last_sweep_id();
  move_into_store(staged, c.files() / "jobs");
  const auto mark = c.last_sweep_id();
  const auto J = c.files() / "jobs";
  const auto orphan = J / std::to_string(live) / "content" / "m0.a1.bin.part";

  // One whole sweep that started after the files were in place.
  sweep after;
  BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           for (const auto& s : c.sweeps_after(mark))
                             if (s.status == "done") {
                               after = s;
                               return true;
                             }
                           return false;
                         },
                         20s),
                     "no sweep finished after the files were placed\n"
                         << c.logs());
  BOOST_TEST_MESSAGE("swept by " << describe(after) << ", " << after.files_removed
                                 << " files removed (sweeps since " << before_move
                                 << "); whole case " << ms_since(began) << " ms");
  BOOST_TEST(!fs::exists(orphan));
  BOOST_TEST(!fs::exists(J / "700001"));
  for (const auto& p :
       {J / std::to_string(live) / "input" / "t.mustache",
        J / std::to_string(live) / "input" / "d.ndjson",
        J / std::to_string(live) / "content" / "m0.a2.bin.part",
        J / std::to_string(live) / "content" / "m1.a1.bin", J / "700002" / "content" / "m0.a1.bin"})
    BOOST_TEST(fs::exists(p), p.string() << " should stay");
  int64_t removed = 0;
  for (const auto& sw : c.sweeps_after(before_move))
    if (sw.id <= after.id) removed += sw.files_removed;
  BOOST_TEST(removed == 2, "the sweeps since the move removed " << removed << " files");
  BOOST_TEST(c.scalar("SELECT COUNT(*) FROM jobs WHERE id = " + std::to_string(live) +
                      " AND state = 'merging'") == 1);
  BOOST_TEST(c.scalar("SELECT COUNT(*) FROM content WHERE job_id = " + std::to_string(live)) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
