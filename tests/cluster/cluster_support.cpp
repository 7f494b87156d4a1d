#include "tests/cluster/cluster_support.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "storage/database_spec.hpp"

namespace weft::test::cluster {

namespace fs = std::filesystem;

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string connect_string(const storage::database_spec& s, const std::string& db) {
  return "db=" + db + " user=" + s.user + " password='" + s.password + "' host=" + s.host +
         " port=" + std::to_string(s.port);
}

int next_database_number() {
  static std::atomic<int> n{0};
  return ++n;
}

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

}  // namespace

long long ms_since(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

// -- fresh_database -------------------------------------------------------------

fresh_database::fresh_database() {
  const char* url = std::getenv("WEFT_TEST_MARIADB_URL");
  const char* password_file = std::getenv("WEFT_TEST_MARIADB_PASSWORD_FILE");
  if (url == nullptr || password_file == nullptr || !*url || !*password_file)
    throw std::runtime_error(
        "the cluster tests (label mariadb) need a MariaDB server: set WEFT_TEST_MARIADB_URL "
        "(mariadb://weft@127.0.0.1:PORT/weft) and WEFT_TEST_MARIADB_PASSWORD_FILE, e.g. with "
        "eval \"$(scripts/mariadb.sh start /tmp/weft-mdb)\"; scripts/test.sh does it for you");
  auto base = storage::parse_database_url(url, first_line(password_file));
  name_ = "weft_c" + std::to_string(::getpid()) + "_" + std::to_string(next_database_number());
  admin_connect_ = connect_string(base, base.name);
  connect_ = connect_string(base, name_);
  {
    soci::session admin(soci::mysql, admin_connect_);
    admin << "DROP DATABASE IF EXISTS " + name_;
    admin << "CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4";
  }
  url_ = "mariadb://" + base.user + "@" + base.host + ":" + std::to_string(base.port) + "/" + name_;
  password_file_ = password_file;
}

fresh_database::~fresh_database() {
  try {
    session_.reset();
    soci::session admin(soci::mysql, admin_connect_);
    admin << "DROP DATABASE IF EXISTS " + name_;
  } catch (const std::exception& e) {
    std::cerr << "could not drop test database " << name_ << ": " << e.what() << "\n";
  }
}

soci::session& fresh_database::session() {
  if (!session_) session_ = std::make_unique<soci::session>(soci::mysql, connect_);
  return *session_;
}

std::vector<std::string> fresh_database::column(const std::string& sql) {
  std::vector<std::string> out;
  try {
    soci::rowset<soci::row> rows = (session().prepare << sql);
    for (const auto& r : rows)
      out.push_back(r.get_indicator(0) == soci::i_null ? std::string{} : r.get<std::string>(0));
  } catch (const std::exception& e) {
    session_.reset();  // a broken connection is opened again next time
    throw std::runtime_error("query failed: " + sql + ": " + e.what());
  }
  return out;
}

long long fresh_database::scalar(const std::string& sql) {
  try {
    long long n = 0;
    soci::indicator ind = soci::i_ok;
    session() << sql, soci::into(n, ind);
    return ind == soci::i_ok ? n : 0;
  } catch (const std::exception& e) {
    session_.reset();
    throw std::runtime_error("query failed: " + sql + ": " + e.what());
  }
}

// -- topology -------------------------------------------------------------------

std::string topology_text(const topology_spec& t) {
  std::ostringstream o;
  o << "[cluster]\n"
    << "name = \"" << t.cluster_name << "\"\n"
    << "secret_file = \"" << t.secret_file << "\"\n"
    << "heartbeat = \"" << t.heartbeat << "\"\n"
    << "node_timeout = \"" << t.node_timeout << "\"\n"
    << "retry_initial = \"" << t.retry_initial << "\"\n"
    << "retry_threshold = " << t.retry_threshold << "\n"
    << "retry_prolonged = \"" << t.retry_prolonged << "\"\n"
    << "\n[database]\n"
    << "url = \"" << t.database_url << "\"\n"
    << "password_file = \"" << t.password_file << "\"\n"
    << "\n[files]\n"
    << "root = \"" << t.files_root << "\"\n"
    << "\n[cleanup]\n"
    << "interval = \"24h\"\n\n"
    << t.extra << "\n";
  for (const auto& n : t.nodes) {
    o << "[[node]]\n"
      << "name = \"" << n.name << "\"\n"
      << "role = \"" << n.role << "\"\n"
      << "listen = \"127.0.0.1:" << n.port << "\"\n"
      << "merge_engines = " << n.merge_engines << "\n"
      << "weaver_engines = " << n.weaver_engines << "\n";
    if (n.role == "master") o << "database_sweep = true\n";
    o << "\n";
  }
  return o.str();
}

// -- node_process -----------------------------------------------------------------

node_process::node_process(std::string name, std::string dir)
    : name_(std::move(name)), dir_(std::move(dir)) {}

node_process::~node_process() = default;

void node_process::start(const std::string& topology, const std::vector<std::string>& env) {
  if (running()) throw std::runtime_error("node " + name_ + " is already running");
  ++runs_;
  std::vector<std::string> argv;
  if (!env.empty()) {
    argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), env.begin(), env.end());
  }
  argv.insert(argv.end(), {CAF_NODE, "run", "--config", topology, "--node", name_});
  process_ =
      std::make_unique<child_process>(argv, dir_ + "/" + name_ + ".run" + std::to_string(runs_));
}

bool node_process::running() const { return process_ && process_->running(); }

void node_process::signal(int sig) {
  if (process_) process_->signal(sig);
}

void node_process::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_for(10s);
}

std::optional<int> node_process::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait_for(timeout);
}

std::string node_process::log() const { return process_ ? process_->stderr_text() : std::string{}; }

int node_process::count(const std::string& text) const { return occurrences(log(), text); }

bool node_process::wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                                int times) const {
  return wait_until([&] { return count(text) >= times; }, timeout);
}

std::string node_process::tail(std::size_t lines) const {
  auto text = log();
  std::size_t at = text.size();
  for (std::size_t n = 0; n <= lines; ++n) {
    if (at == 0) return text;
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
  }
  return text.substr(at + 1);
}

// -- test_cluster -----------------------------------------------------------------

test_cluster::test_cluster(cluster_options options)
    : options_(std::move(options)), db_(std::make_unique<fresh_database>()) {
  spec_.secret_file = dir_.write("cluster.secret", "cluster-test-secret-0123456789\n");
  // A copy with mode 600 whatever the test server's file has.
  spec_.password_file = dir_.write("db.password", first_line(db_->password_file()) + "\n");
  spec_.database_url = db_->url();
  spec_.files_root = dir_.path() + "/files";
  spec_.extra = options_.extra;
  spec_.nodes.push_back(
      {"master", "master", free_port(), options_.master_merge, options_.master_weaver});
  for (int i = 1; i <= options_.extensions; ++i)
    spec_.nodes.push_back({"ext" + std::to_string(i), "extension", free_port(),
                           options_.extension_merge, options_.extension_weaver});
  for (const auto& n : spec_.nodes)
    nodes_[n.name] = std::make_unique<node_process>(n.name, dir_.path());
  topology_path_ = write_topology("weft.toml", spec_);
}

test_cluster::~test_cluster() {
  // Extensions first, so that the master does not log them as lost for nothing;
  // SIGKILL is enough: the database is dropped afterwards anyway.
  for (auto& [name, n] : nodes_)
    if (name != "master") n->kill();
  nodes_.at("master")->kill();
  nodes_.clear();
}

std::string test_cluster::write_topology(const std::string& file, const topology_spec& spec) const {
  return dir_.write(file, topology_text(spec), 0644);
}

node_process& test_cluster::node(const std::string& name) {
  auto n = nodes_.find(name);
  if (n == nodes_.end()) nodes_[name] = std::make_unique<node_process>(name, dir_.path());
  return *nodes_.at(name);
}

std::vector<std::string> test_cluster::extension_names() const {
  std::vector<std::string> names;
  for (const auto& n : spec_.nodes)
    if (n.role == "extension") names.push_back(n.name);
  return names;
}

void test_cluster::start_master() {
  auto& m = master();
  m.start(topology_path_);
  bool up = wait_until([&] { return m.count("' listening on ") > 0 || !m.running(); }, 30s);
  if (!up || !m.running()) throw std::runtime_error("the master did not come up:\n" + m.tail());
}

void test_cluster::start_extension(const std::string& name, bool wait_joined) {
  auto& m = master();
  auto& e = node(name);
  const std::string joined_line = "node '" + name + "' joined from";
  int joined_before = m.count(joined_line);
  e.start(topology_path_);
  if (!wait_joined) return;
  bool joined = wait_until(
      [&] {
        return (m.count(joined_line) > joined_before && e.count("joined the master") > 0) ||
               !e.running();
      },
      30s);
  if (!joined || !e.running())
    throw std::runtime_error("extension " + name + " did not join:\n" + logs());
}

void test_cluster::start_all() {
  start_master();
  for (const auto& name : extension_names()) start_extension(name);
}

std::string test_cluster::connect() const {
  return "127.0.0.1:" + std::to_string(spec_.nodes.front().port);
}

run_result test_cluster::client(std::vector<std::string> args,
                                std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{CAF_NODE};
  argv.push_back(args.front());
  argv.insert(argv.end(), {"--connect", connect(), "--config", topology_path_});
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return run_command(argv, timeout);
}

int64_t test_cluster::submit(const std::string& data, const std::string& format) {
  auto r = client({"submit", "--data", data, "--template", invoice_template(), "--format", format},
                  120s);
  std::istringstream out(r.out);
  std::string first;
  std::getline(out, first);
  int64_t id = 0;
  try {
    id = std::stoll(first);
  } catch (const std::exception&) {
  }
  if (r.exit_code != 0 || id <= 0)
    throw std::runtime_error("submit failed (exit " + std::to_string(r.exit_code) + "): " + r.out +
                             r.err + "\n" + logs());
  return id;
}

std::string test_cluster::job_json(int64_t id, bool wait, std::chrono::milliseconds timeout) {
  std::vector<std::string> args{"job", std::to_string(id)};
  if (wait) args.push_back("--wait");
  auto r = client(args, timeout);
  if (r.exit_code != 0)
    throw std::runtime_error("caf-node job " + std::to_string(id) + " failed (exit " +
                             std::to_string(r.exit_code) + "): " + r.out + r.err + "\n" + logs());
  return r.out;
}

std::string test_cluster::wait_for_job(int64_t id, std::chrono::milliseconds timeout) {
  // Watches the job's row, then asks the master for the job as a client does.
  // Not `caf-node job ID --wait`: with a node_timeout under a second the node
  // drops the waiting client (see cluster_client_test).
  const auto sql = "SELECT state FROM jobs WHERE id = " + std::to_string(id);
  auto finished = [&] {
    try {
      auto state = db_->column(sql);
      return !state.empty() &&
             (state[0] == "done" || state[0] == "failed" || state[0] == "cancelled");
    } catch (const std::exception&) {
      return false;  // ask again
    }
  };
  if (!wait_until(finished, timeout))
    throw std::runtime_error("job " + std::to_string(id) + " did not finish within " +
                             std::to_string(timeout.count()) + " ms\n" + logs());
  std::string json;
  bool answered = wait_until(
      [&] {
        auto r = client({"job", std::to_string(id)}, 30s);
        json = r.out + r.err;
        return r.exit_code == 0;
      },
      60s);
  if (!answered)
    throw std::runtime_error("caf-node job " + std::to_string(id) + " failed: " + json + "\n" +
                             logs());
  return json;
}

std::string test_cluster::logs() const {
  std::string out;
  for (const auto& [name, n] : nodes_)
    if (n->runs() > 0)
      out += "---- " + name + " (run " + std::to_string(n->runs()) + ") ----\n" + n->tail() + "\n";
  return out;
}

// -- jobs and outputs -------------------------------------------------------------

job_view parse_job(const std::string& json) {
  job_view v;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) throw std::runtime_error("not a job's JSON: " + json);
  v.state = j.value("state", "");
  v.records = j.value("records", int64_t{0});
  if (j.contains("error") && j["error"].is_string()) v.error = j["error"].get<std::string>();
  if (j.contains("outputs") && j["outputs"].is_array())
    for (const auto& o : j["outputs"]) {
      v.outputs.push_back(o.value("path", ""));
      v.documents += o.value("documents", int64_t{0});
    }
  return v;
}

std::string invoices(int64_t count) {
  static temp_dir cache;
  static std::map<int64_t, std::string> made;
  auto m = made.find(count);
  if (m != made.end()) return m->second;
  auto path = cache.path() + "/invoices-" + std::to_string(count) + ".ndjson";
  auto r = run_command({GEN_INVOICES, "--count", std::to_string(count), "--out", path}, 300s);
  if (r.exit_code != 0)
    throw std::runtime_error("weft_gen_invoices failed (" + std::to_string(r.exit_code) +
                             "): " + r.err);
  made[count] = path;
  return path;
}

std::string invoice_template() {
  return std::string{WEFT_SOURCE_DIR} + "/actors/document/samples/invoice.mustache";
}

std::map<std::string, int> invoice_counts(const std::vector<std::string>& paths) {
  static const std::string marker = "Invoice INV-";
  std::map<std::string, int> seen;
  for (const auto& path : paths) {
    auto text = read_file(path);
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
      auto start = at + marker.size() - 4;  // "INV-"
      auto end = start + 4;
      while (end < text.size() && end < start + 4 + 12 && std::isdigit(text[end])) ++end;
      ++seen[text.substr(start, end - start)];
    }
  }
  return seen;
}

std::string exactly_once_problems(const std::map<std::string, int>& seen, int64_t records) {
  std::ostringstream problems;
  int shown = 0;
  auto note = [&](const std::string& what) {
    if (++shown <= 10) problems << what << "; ";
  };
  for (int64_t n = 1; n <= records; ++n) {
    char id[32];
    std::snprintf(id, sizeof id, "INV-%06lld", static_cast<long long>(n));
    auto i = seen.find(id);
    int times = i == seen.end() ? 0 : i->second;
    if (times != 1) note(std::string{id} + " appears " + std::to_string(times) + " times");
  }
  for (const auto& [id, times] : seen) {
    long long n = 0;
    try {
      n = std::stoll(id.substr(4));
    } catch (const std::exception&) {
    }
    if (n < 1 || n > records)
      note("unexpected invoice " + id + " (" + std::to_string(times) + "x)");
  }
  if (shown > 10) problems << "and " << (shown - 10) << " more";
  return problems.str();
}

}  // namespace weft::test::cluster
