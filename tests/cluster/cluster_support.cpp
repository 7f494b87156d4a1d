#include "tests/cluster/cluster_support.hpp"

#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "runtime/certs/certs.hpp"
#include "tests/support/test_port.hpp"

namespace weft::test::cluster {

long long ms_since(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
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
    << (t.master_lease.empty() ? "" : "master_lease = \"" + t.master_lease + "\"\n")
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
    if (n.name == "master") o << "database_sweep = true\n";
    if (n.role == "master" && n.master_priority >= 0)
      o << "master_priority = " << n.master_priority << "\n";
    o << "\n";
  }
  return o.str();
}

// -- test_cluster -----------------------------------------------------------------

bool cluster_options::tls_from_environment() {
  const char* v = std::getenv("WEFT_TEST_TLS");
  return v && std::string(v) == "1";
}

bool cluster_options::two_masters_from_environment() {
  const char* v = std::getenv("WEFT_TEST_MASTERS");
  return v && std::string(v) == "2";
}

test_cluster::test_cluster(cluster_options options)
    : options_(std::move(options)), db_(std::make_unique<fresh_database>()) {
  spec_.secret_file = dir_.write("cluster.secret", "cluster-test-secret-0123456789\n");
  // A copy with mode 600 whatever the test server's file has.
  spec_.password_file = dir_.write("db.password", first_line(db_->password_file()) + "\n");
  spec_.database_url = db_->url();
  spec_.files_root = dir_.path() + "/files";
  spec_.extra = options_.extra;
  spec_.master_lease = options_.master_lease;
  if (options_.tls) {
    const auto pki = dir_.path() + "/tls";
    certs::create_ca(pki);
    certs::create_node(pki, "node", {"127.0.0.1", "localhost"});
    tls_table_ = "[tls]\nca_file = \"" + pki + "/ca.pem\"\ncert_file = \"" + pki +
                 "/node.pem\"\nkey_file = \"" + pki + "/node.key\"\n\n";
    spec_.extra = tls_table_ + spec_.extra;
  }
  spec_.nodes.push_back(
      {"master", "master", reserve_port(), options_.master_merge, options_.master_weaver});
  if (options_.standby_master) {
    spec_.nodes.front().master_priority = 10;
    spec_.nodes.push_back(
        {"master2", "master", reserve_port(), options_.master_merge, options_.master_weaver, 5});
  }
  for (int i = 1; i <= options_.extensions; ++i)
    spec_.nodes.push_back({"ext" + std::to_string(i), "extension", reserve_port(),
                           options_.extension_merge, options_.extension_weaver});
  for (const auto& n : spec_.nodes)
    nodes_[n.name] = std::make_unique<node_process>(n.name, dir_.path());
  topology_path_ = write_topology("weft.toml", spec_);
}

test_cluster::~test_cluster() {
  // Extensions first, so that the master does not log them as lost for nothing;
  // SIGKILL is enough: the database is dropped afterwards anyway.
  for (auto& [name, n] : nodes_)
    if (name != "master") n->kill();  // a standby candidate too
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
  node_process::serving_check check;
  check.serves = [&] { return shell_answer(via("master"), "nodes").has_value(); };
  check.move_port = [&] { return move_port("master"); };
  auto why = m.start_serving(topology_path_, check);
  if (!why.empty()) throw std::runtime_error("the master did not come up: " + why + "\n" + logs());
}

void test_cluster::start_standby(const std::string& name, const std::vector<std::string>& env) {
  auto& e = node(name);
  const auto before = joined_at(name);
  node_process::serving_check check;
  check.serves = [&, before] { return joined(name, before); };
  check.move_port = [&] { return move_port(name); };
  auto why = e.start_serving(topology_path_, check, env);
  if (!why.empty())
    throw std::runtime_error("the standby " + name + " did not join: " + why + "\n" + logs());
}

std::string test_cluster::active_master() {
  if (!options_.standby_master) return "master";
  std::string holder;
  wait_until(
      [&] {
        holder = lease_holder();
        return !holder.empty();
      },
      30s);
  if (holder.empty()) throw std::runtime_error("no master candidate holds the lease\n" + logs());
  return holder;
}

void test_cluster::restart_candidate(const std::string& name) {
  if (!options_.standby_master) {
    start_master();
    return;
  }
  std::string holder;
  wait_until(
      [&] {
        holder = lease_holder();
        return !holder.empty() && holder != name;
      },
      30s);
  if (holder.empty() || holder == name)
    throw std::runtime_error("no other candidate took the lease over from " + name + "\n" + logs());
  start_standby(name);
}

std::string test_cluster::lease_holder(int64_t* token) {
  try {
    auto rows = db_->column(
        "SELECT CONCAT_WS(' ', holder, token) FROM leases WHERE name = 'scheduler' AND "
        "lock_until >= UTC_TIMESTAMP(6)");
    if (rows.empty()) return {};
    auto space = rows.front().find(' ');
    if (token) *token = std::stoll(rows.front().substr(space + 1));
    return rows.front().substr(0, space);
  } catch (const std::exception&) {
    return {};
  }
}

std::string test_cluster::candidates_connect() const {
  std::string out;
  for (const auto& n : spec_.nodes)
    if (n.role == "master")
      out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.port);
  return out;
}

void test_cluster::start_extension(const std::string& name, bool wait_joined) {
  auto& e = node(name);
  if (!wait_joined) {
    e.start(topology_path_);
    return;
  }
  const auto before = joined_at(name);
  node_process::serving_check check;
  check.serves = [&, before] { return joined(name, before); };
  check.move_port = [&] { return move_port(name); };
  auto why = e.start_serving(topology_path_, check);
  if (!why.empty())
    throw std::runtime_error("extension " + name + " did not join: " + why + "\n" + logs());
}

void test_cluster::start_all() {
  start_master();
  if (options_.standby_master) start_standby();
  for (const auto& name : extension_names()) start_extension(name);
}

std::string test_cluster::joined_at(const std::string& name) {
  auto rows = db_->column("SELECT CAST(joined_at AS CHAR) FROM nodes WHERE name = '" + name + "'");
  return rows.empty() ? std::string{} : rows.front();
}

std::string test_cluster::node_state(const std::string& name) {
  auto rows = db_->column("SELECT state FROM nodes WHERE name = '" + name + "'");
  return rows.empty() ? std::string{} : rows.front();
}

bool test_cluster::joined(const std::string& name, const std::string& before) {
  try {
    const auto state = node_state(name);
    const auto at = joined_at(name);
    if (at.empty() || at == before || (state != "up" && state != "draining")) return false;
  } catch (const std::exception&) {
    return false;  // the master has not created the table yet
  }
  // The master's side is in the database; the extension's: it reaches the master.
  return shell_answer(via(name), "capacity").has_value();
}

std::string test_cluster::move_port(const std::string& name) {
  for (auto& n : spec_.nodes)
    if (n.name == name) n.port = reserve_port();
  return write_topology("weft.toml", spec_);
}

std::string test_cluster::connect() const { return address(active_); }

std::string test_cluster::address(const std::string& node) const {
  for (const auto& n : spec_.nodes)
    if (n.name == node) return "127.0.0.1:" + std::to_string(n.port);
  throw std::runtime_error("no node '" + node + "' in the test cluster's topology");
}

shell_target test_cluster::via(const std::string& node) const {
  return {address(node), topology_path_};
}

nlohmann::json test_cluster::answer(const std::string& command, const std::string& node) const {
  return shell_json(via(node), command);
}

run_result test_cluster::client(std::vector<std::string> args,
                                std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{caf_node_path()};
  argv.push_back(args.front());
  const bool follow = options_.standby_master && cluster_options::two_masters_from_environment();
  argv.insert(argv.end(),
              {"--connect", follow ? candidates_connect() : connect(), "--config", topology_path_});
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
        // The JSON is stdout; stderr may say which master the client talks to.
        json = r.exit_code == 0 ? r.out : r.out + r.err;
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

std::map<std::string, int> invoice_counts(const std::vector<std::string>& paths) {
  static const std::string marker = "Invoice INV-";
  std::map<std::string, int> seen;
  for (const auto& path : paths) {
    // A PDF file's text as pdftotext (poppler-utils) extracts it: what a reader of the file
    // sees, not what the writer meant to put there.
    const bool pdf = path.size() > 4 && path.compare(path.size() - 4, 4, ".pdf") == 0;
    std::string text;
    if (pdf) {
      auto r = run_command({"/usr/bin/pdftotext", "-q", path, "-"}, std::chrono::minutes(2));
      if (r.exit_code != 0)
        throw std::runtime_error("pdftotext " + path + " failed (exit " +
                                 std::to_string(r.exit_code) + "): " + r.err);
      text = std::move(r.out);
    } else {
      text = read_file(path);
    }
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
      auto start = at + marker.size() - 4;  // "INV-"
      auto end = start + 4;
      while (end < text.size() && end < start + 4 + 12 && std::isdigit(text[end])) ++end;
      ++seen[text.substr(start, end - start)];
    }
  }
  return seen;
}

}  // namespace weft::test::cluster
