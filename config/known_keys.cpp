#include "config/known_keys.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "config/cron.hpp"
#include "config/detail/table_reader.hpp"
#include "config/duration.hpp"

namespace weft::config {

namespace {

constexpr int64_t int_max = INT_MAX;
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

// --- values as TOML text -----------------------------------------------------------------

/// A TOML basic string ("..."), escaped as TOML requires.
std::string toml_string(const std::string& text) {
  std::ostringstream out;
  // No format flags: no 'literal' or multi-line strings, always "..." with escapes.
  out << toml::toml_formatter{toml::value<std::string>(text), toml::format_flags::none};
  return out.str();
}

std::string value_text(int v) { return std::to_string(v); }
std::string value_text(int64_t v) { return std::to_string(v); }
std::string value_text(bool v) { return v ? "true" : "false"; }
std::string value_text(duration v) { return toml_string(format_duration(v)); }
std::string value_text(const std::string& v) { return v.empty() ? std::string() : toml_string(v); }
std::string value_text(const endpoint& v) {
  return v.host.empty() && v.port == 0 ? std::string() : toml_string(v.to_string());
}
std::string value_text(node_role v) {
  return toml_string(v == node_role::master ? "master" : "extension");
}
std::string value_text(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_string(v[i]);
  return out + "]";
}
template <class T>
std::string value_text(const std::optional<T>& v) {
  return v ? value_text(*v) : std::string();
}

// --- values read from TOML ---------------------------------------------------------------

template <class T>
struct tag {};

int read_value(const detail::table_reader& t, const key_info& k, tag<int>) {
  return *t.get_int(k.key, static_cast<int>(k.min), static_cast<int>(k.max));
}

int64_t read_value(const detail::table_reader& t, const key_info& k, tag<int64_t>) {
  return *t.get_integer(k.key, k.min, k.max);
}

bool read_value(const detail::table_reader& t, const key_info& k, tag<bool>) {
  return *t.get_boolean(k.key);
}

duration read_value(const detail::table_reader& t, const key_info& k, tag<duration>) {
  return *t.get_duration(k.key, duration{k.min});
}

std::string read_value(const detail::table_reader& t, const key_info& k, tag<std::string>) {
  auto value = *t.get_string(k.key);
  if (k.required && value.empty()) t.fail(k.key, "must not be empty");
  if (k.check)
    if (auto problem = k.check(value)) t.fail(k.key, *problem);
  if (k.type != key_type::path) return value;
  // Relative paths resolve against the directory of the topology file.
  namespace fs = std::filesystem;
  fs::path p(value);
  if (p.is_relative()) {
    std::error_code ec;
    p = fs::absolute(fs::path(t.file()), ec).parent_path() / p;
  }
  return p.lexically_normal().string();
}

/// An array of paths: each a string, resolved against the topology file's directory, then
/// given to `k.check` (the error points at that element).
std::vector<std::string> read_value(const detail::table_reader& t, const key_info& k,
                                    tag<std::vector<std::string>>) {
  const toml::node* node = t.find(k.key);
  const toml::array* array = node ? node->as_array() : nullptr;
  if (!array) t.fail(k.key, "expected an array of paths, found " + detail::describe_value(*node));
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const toml::node& element : *array) {
    const auto* text = element.as_string();
    if (!text)
      t.fail_at(element.source(), k.key,
                "expected a path (a string), found " + detail::describe_value(element));
    if (text->get().empty()) t.fail_at(element.source(), k.key, "a path must not be empty");
    fs::path p(text->get());
    if (p.is_relative()) {
      std::error_code ec;
      p = fs::absolute(fs::path(t.file()), ec).parent_path() / p;
    }
    const std::string value = p.lexically_normal().string();
    if (k.check)
      if (auto problem = k.check(value)) t.fail_at(element.source(), k.key, *problem);
    out.push_back(value);
  }
  return out;
}

endpoint read_value(const detail::table_reader& t, const key_info& k, tag<endpoint>) {
  return *t.get_endpoint(k.key);
}

node_role read_value(const detail::table_reader& t, const key_info& k, tag<node_role>) {
  const auto role = read_value(t, k, tag<std::string>{});
  if (role == "master") return node_role::master;
  if (role != "extension")
    t.fail(k.key, "unknown role \"" + role + "\"; use \"master\" or \"extension\"");
  return node_role::extension;
}

template <class T>
struct underlying {
  using type = T;
};
template <class T>
struct underlying<std::optional<T>> {
  using type = T;
};

/// The field reached from a `Root` through `Members` (`&settings::cluster`,
/// `&cluster_settings::heartbeat`).
template <class Root, auto... Members>
class member_field final : public key_field<Root> {
  // A fold over `.*`: ((r .* M1) .* M2) ...
  static auto& get(Root& r) { return (r.*....*Members); }
  static const auto& get(const Root& r) { return (r.*....*Members); }

 public:
  using value_type = std::decay_t<decltype(get(std::declval<Root&>()))>;

  void read(const detail::table_reader& t, const key_info& k, Root& r) const override {
    if (!t.find(k.key)) {
      if (k.required) t.fail_missing(k.key);
      return;
    }
    get(r) = read_value(t, k, tag<typename underlying<value_type>::type>{});
  }

  std::string text(const Root& r) const override { return value_text(get(r)); }
};

template <class Root, auto... Members>
const key_field<Root>* field_at() {
  static const member_field<Root, Members...> field;
  return &field;
}

template <auto Member>
const key_field<settings>* cluster_field() {
  return field_at<settings, &settings::cluster, Member>();
}
template <auto Member>
const key_field<settings>* database_field() {
  return field_at<settings, &settings::database, Member>();
}
template <auto Member>
const key_field<settings>* scheduler_field() {
  return field_at<settings, &settings::scheduler, Member>();
}
template <auto Member>
const key_field<settings>* cleanup_field() {
  return field_at<settings, &settings::cleanup, Member>();
}
template <auto Member>
const key_field<settings>* jobs_field() {
  return field_at<settings, &settings::jobs, Member>();
}
template <auto Member>
const key_field<settings>* log_field() {
  return field_at<settings, &settings::log, Member>();
}
template <auto Member>
const key_field<settings>* limits_field() {
  return field_at<settings, &settings::limits, Member>();
}
template <auto Member>
const key_field<settings>* tls_field() {
  return field_at<settings, &settings::tls, Member>();
}
template <auto Member>
const key_field<settings>* webhooks_field() {
  return field_at<settings, &settings::webhooks, Member>();
}
template <auto Member>
const key_field<settings>* http_field() {
  return field_at<settings, &settings::http, Member>();
}
template <auto Member>
const key_field<node_settings>* node_field() {
  return field_at<node_settings, Member>();
}

// --- checks ------------------------------------------------------------------------------

/// An unset [database] key: shown as "" with MariaDB, left out on the embedded default.
std::string shown_with_mariadb(const settings& s) { return s.database.embedded ? "" : "\"\""; }

std::optional<std::string> not_empty(std::string_view value) {
  if (value.empty()) return std::string("must not be empty");
  return std::nullopt;
}

std::optional<std::string> log_file_check(std::string_view value) {
  if (value.empty()) return std::string("must not be empty (leave the key out for stderr only)");
  return std::nullopt;
}

std::optional<std::string> log_level_check(std::string_view level) {
  for (const char* known : {"trace", "debug", "info", "warn", "error"})
    if (level == known) return std::nullopt;
  return "unknown level \"" + std::string(level) + "\"; use one of trace, debug, info, warn, error";
}

std::optional<std::string> node_name_check(std::string_view name) {
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return std::string("node names may use letters, digits, `.`, `_` and `-` only");
  }
  return std::nullopt;
}

/// `[files].resources`: a folder below the file store's root, never outside it.
std::optional<std::string> resources_folder_check(std::string_view folder) {
  if (folder.empty()) return std::string("must not be empty");
  if (folder.front() == '/') return std::string("must be relative to [files].root");
  std::size_t start = 0;
  for (;;) {
    const auto slash = folder.find('/', start);
    const auto part =
        folder.substr(start, slash == std::string_view::npos ? folder.npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return std::string("must be a folder below [files].root (no empty, \".\" or \"..\" parts)");
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

/// `[fonts].dirs`: each an existing directory this process can list.
std::optional<std::string> font_dir_check(std::string_view dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p{std::string(dir)};
  if (!fs::exists(p, ec)) return "font directory \"" + p.string() + "\" does not exist";
  if (!fs::is_directory(p, ec)) return "\"" + p.string() + "\" is not a directory";
  fs::directory_iterator it(p, ec);
  if (ec) return "font directory \"" + p.string() + "\" cannot be read: " + ec.message();
  return std::nullopt;
}

// --- the table ---------------------------------------------------------------------------

/// A key_info built step by step: `entry(...).range(1, 1000).in(field).doc(...)`.
struct entry : key_info {
  entry(std::string_view table_, std::string_view key_, key_type type_) {
    table = table_;
    key = key_;
    type = type_;
  }
  entry& in(const key_field<settings>* f) {
    field = f;
    return *this;
  }
  entry& in(const key_field<node_settings>* f) {
    node_field = f;
    return *this;
  }
  entry& range(int64_t lo, int64_t hi) {
    min = lo;
    max = hi;
    return *this;
  }
  /// For durations: the least value (1 ms: "> 0").
  entry& at_least(duration d) {
    min = d.count();
    return *this;
  }
  entry& rule(std::string_view r) {
    relation = r;
    return *this;
  }
  entry& checked(string_check c) {
    check = c;
    return *this;
  }
  entry& needed() {
    required = true;
    return *this;
  }
  entry& note(std::string_view n) {
    default_note = n;
    return *this;
  }
  entry& at_run_time() {
    settable = true;
    return *this;
  }
  entry& unset(std::string (*f)(const settings&)) {
    when_unset = f;
    return *this;
  }
  entry& doc(std::string_view meaning_, std::string_view example_) {
    meaning = meaning_;
    example = example_;
    return *this;
  }
};

constexpr duration positive{1};
constexpr duration non_negative{0};

entry table_entry(std::string_view table, std::string_view key, std::string_view note) {
  entry e(table, key, key_type::table);
  e.note(note);
  return e;
}

std::string merge_sum(const settings& s) {
  return std::to_string(s.extension_merge_engines()) +
         "  # not set: sum of the extensions' merge_engines";
}
std::string weaver_sum(const settings& s) {
  return std::to_string(s.extension_weaver_engines()) +
         "  # not set: sum of the extensions' weaver_engines";
}

template <auto Which, auto Member>
const key_field<settings>* engine_field() {
  return field_at<settings, &settings::scheduler, Which, Member>();
}

template <auto Which>
void add_engine_scheduling(std::vector<key_info>& k, std::string_view table,
                           std::string_view parallel_table, std::string_view reserved_table,
                           std::string (*sum)(const settings&), std::string_view example) {
  using e = engine_scheduling;
  k.push_back(entry(table, "expected_remote", key_type::integer)
                  .in(engine_field<Which, &e::expected_remote>())
                  .range(0, int_max)
                  .note("sum of the extensions' `merge_engines` (resp. `weaver_engines`)")
                  .unset(sum)
                  .at_run_time()
                  .doc("Remote engines of this type the master plans with and enforces: extra "
                       "registered engines go on standby, missing ones make the cluster degraded.",
                       example));
  k.push_back(table_entry(table, "parallel_per_job", "")
                  .doc("Most engines of this type one job may use, per job class (small jobs "
                       "always use one).",
                       "{ medium = 2, large = 8 }"));
  k.push_back(table_entry(table, "reserved", "")
                  .doc("Engines of this type kept for one job class only; the rest float.",
                       "{ small = 1, medium = 0, large = 0 }"));
  k.push_back(entry(table, "additional_engine_every", key_type::integer)
                  .in(engine_field<Which, &e::additional_engine_every>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("A job gets one more engine per this many records, up to "
                       "parallel_per_job.",
                       "100"));
  k.push_back(entry(parallel_table, "medium", key_type::integer)
                  .in(engine_field<Which, &e::parallel_medium>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("Most engines for one medium job.", "2"));
  k.push_back(entry(parallel_table, "large", key_type::integer)
                  .in(engine_field<Which, &e::parallel_large>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("Most engines for one large job.", "8"));
  k.push_back(entry(reserved_table, "small", key_type::integer)
                  .in(engine_field<Which, &e::reserved_small>())
                  .range(0, int_max)
                  .at_run_time()
                  .doc("Engines reserved for small jobs.", "1"));
  k.push_back(entry(reserved_table, "medium", key_type::integer)
                  .in(engine_field<Which, &e::reserved_medium>())
                  .range(0, int_max)
                  .at_run_time()
                  .doc("Engines reserved for medium jobs.", "0"));
  k.push_back(entry(reserved_table, "large", key_type::integer)
                  .in(engine_field<Which, &e::reserved_large>())
                  .range(0, int_max)
                  .at_run_time()
                  .doc("Engines reserved for large jobs.", "0"));
}

std::vector<key_info> make_known_keys() {
  std::vector<key_info> k;
  // Top level.
  k.push_back(table_entry("", "cluster", "required")
                  .doc("Cluster identity, secret and timing.", "[cluster]"));
  k.push_back(table_entry("", "database", "absent: embedded SQLite")
                  .doc("Shared MariaDB/MySQL database; leave out for the embedded SQLite default.",
                       "[database]"));
  k.push_back(table_entry("", "files", "required").doc("The file store.", "[files]"));
  k.push_back(table_entry("", "scheduler", "all defaults")
                  .doc("Scheduling (read by the master).", "[scheduler]"));
  k.push_back(table_entry("", "cleanup", "all defaults").doc("The clean-up service.", "[cleanup]"));
  k.push_back(table_entry("", "log", "all defaults").doc("Logging.", "[log]"));
  k.push_back(table_entry("", "limits", "all defaults")
                  .doc("What a node gives clients and strangers at most.", "[limits]"));
  k.push_back(table_entry("", "tls", "absent: plain TCP (loopback only)")
                  .doc("Mutual TLS on every connection; required when a node is not on loopback.",
                       "[tls]"));
  k.push_back(table_entry("", "http", "all defaults")
                  .doc("The REST API's limits (docs/api.md); each node turns it on with "
                       "http_listen.",
                       "[http]"));
  k.push_back(table_entry("", "jobs", "all defaults")
                  .doc("Limits on one job's rendering and retries.", "[jobs]"));
  k.push_back(table_entry("", "webhooks", "all defaults")
                  .doc("Delivery of a job's callback_url when the job ends.", "[webhooks]"));
  k.push_back(table_entry("", "fonts", "all defaults")
                  .doc("Fonts of PDF output beyond the node's fontconfig fonts.", "[fonts]"));
  k.push_back(entry("", "node", key_type::array_of_tables)
                  .note("required")
                  .doc("One entry per node of the cluster.", "[[node]]"));

  // [cluster]
  using cl = cluster_settings;
  k.push_back(entry("cluster", "name", key_type::string)
                  .in(cluster_field<&cl::name>())
                  .needed()
                  .doc("Cluster name; a node only joins a master with the same name.", "\"prod\""));
  k.push_back(
      entry("cluster", "secret_file", key_type::path)
          .in(cluster_field<&cl::secret_file>())
          .needed()
          .doc("File holding the shared cluster secret (mode 600, at least 16 bytes). Nodes and "
               "shells prove they know it; it never crosses the wire.",
               "\"/etc/weft/cluster.secret\""));
  k.push_back(entry("cluster", "heartbeat", key_type::duration_string)
                  .in(cluster_field<&cl::heartbeat>())
                  .at_least(positive)
                  .doc("Interval of the liveness heartbeat between nodes.", "\"250ms\""));
  k.push_back(entry("cluster", "node_timeout", key_type::duration_string)
                  .in(cluster_field<&cl::node_timeout>())
                  .at_least(positive)
                  .rule("> heartbeat")
                  .doc("A node silent for this long is declared lost and its work re-dispatched.",
                       "\"1s\""));
  k.push_back(
      entry("cluster", "retry_initial", key_type::duration_string)
          .in(cluster_field<&cl::retry_initial>())
          .at_least(positive)
          .doc("Join back-off: first retry interval of an extension connecting to the master.",
               "\"500ms\""));
  k.push_back(
      entry("cluster", "retry_threshold", key_type::integer)
          .in(cluster_field<&cl::retry_threshold>())
          .range(0, int_max)
          .doc("Join back-off: attempts at retry_initial before switching to retry_prolonged.",
               "20"));
  k.push_back(entry("cluster", "retry_prolonged", key_type::duration_string)
                  .in(cluster_field<&cl::retry_prolonged>())
                  .at_least(positive)
                  .rule(">= retry_initial")
                  .doc("Join back-off: retry interval after retry_threshold attempts.", "\"5s\""));
  k.push_back(entry("cluster", "request_timeout", key_type::duration_string)
                  .in(cluster_field<&cl::request_timeout>())
                  .at_least(positive)
                  .doc("Upper bound for any request between nodes.", "\"5s\""));
  // Master failover (docs/cluster.md "Master failover").
  k.push_back(entry("cluster", "master_lease", key_type::duration_string)
                  .in(cluster_field<&cl::master_lease>())
                  .at_least(positive)
                  .note("1.5 × node_timeout")
                  .rule("> 2 × heartbeat")
                  .doc("How long the scheduler lease lasts without renewal: a standby master "
                       "candidate takes over this long after the active master last renewed it "
                       "(every heartbeat).",
                       "\"3s\""));

  // [database]
  using db = database_settings;
  k.push_back(entry("database", "url", key_type::string)
                  .in(database_field<&db::url>())
                  .needed()
                  .note("required in `[database]`")
                  .doc("mariadb://USER@HOST[:PORT]/DB (or mysql://); the port defaults to 3306. "
                       "No password here: use password_file.",
                       "\"mariadb://weft@10.0.0.5:3306/weft\""));
  k.push_back(entry("database", "password_file", key_type::path)
                  .in(database_field<&db::password_file>())
                  .checked(not_empty)
                  .note("none (connect without a password)")
                  .unset(shown_with_mariadb)
                  .doc("File holding the database password (mode 600, not empty).",
                       "\"/etc/weft/db.password\""));
  k.push_back(entry("database", "pool_size", key_type::integer)
                  .in(database_field<&db::pool_size>())
                  .range(1, 1000)
                  .doc("Database connections per node.", "4"));
  k.push_back(entry("database", "connect_timeout", key_type::duration_string)
                  .in(database_field<&db::connect_timeout>())
                  .at_least(positive)
                  .doc("Timeout of one connection attempt.", "\"3s\""));
  k.push_back(entry("database", "tls_ca_file", key_type::path)
                  .in(database_field<&db::tls_ca_file>())
                  .checked(not_empty)
                  .unset(shown_with_mariadb)
                  .note("none (no TLS)")
                  .doc("Reach MariaDB over TLS: the CA file (PEM) that signed the server's "
                       "certificate; the connection fails unless the server proves it. "
                       "`check` warns when a server that is not on loopback is reached without "
                       "it.",
                       "\"/etc/weft/mariadb-ca.pem\""));
  k.push_back(entry("database", "tls_cert_file", key_type::path)
                  .in(database_field<&db::tls_cert_file>())
                  .checked(not_empty)
                  .unset(shown_with_mariadb)
                  .note("none")
                  .doc("A client certificate (PEM) for servers that require one; needs "
                       "tls_key_file and tls_ca_file.",
                       "\"/etc/weft/db-client.pem\""));
  k.push_back(
      entry("database", "tls_key_file", key_type::path)
          .in(database_field<&db::tls_key_file>())
          .checked(not_empty)
          .unset(shown_with_mariadb)
          .note("none")
          .doc("The client certificate's private key (mode 600).", "\"/etc/weft/db-client.key\""));

  // [files]
  k.push_back(entry("files", "root", key_type::path)
                  .in(field_at<settings, &settings::files, &files_settings::root>())
                  .needed()
                  .doc("Root of the file store shared by every node (NFS in production); the "
                       "embedded database lives in ROOT/weft.db.",
                       "\"/mnt/weft-share\""));
  k.push_back(entry("files", "resources", key_type::string)
                  .in(field_at<settings, &settings::files, &files_settings::resources>())
                  .checked(resources_folder_check)
                  .doc("The cluster's resource folder (images and fonts templates refer to), "
                       "relative to the root; jobs submitted without --resources use it. It may "
                       "be absent.",
                       "\"resources\""));

  // [scheduler]
  using sc = scheduler_settings;
  k.push_back(
      entry("scheduler", "max_records_small", key_type::integer)
          .in(scheduler_field<&sc::max_records_small>())
          .range(0, int64_max)
          .at_run_time()
          .doc("Jobs with at most this many records are small (always one engine).", "100"));
  k.push_back(entry("scheduler", "min_records_large", key_type::integer)
                  .in(scheduler_field<&sc::min_records_large>())
                  .range(1, int64_max)
                  .rule("> max_records_small")
                  .at_run_time()
                  .doc("Jobs with at least this many records are large; between the two: medium.",
                       "10000"));
  k.push_back(entry("scheduler", "min_batch_size", key_type::integer)
                  .in(scheduler_field<&sc::min_batch_size>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("Adaptive batch size: fewest records per batch.", "10"));
  k.push_back(entry("scheduler", "max_batch_size", key_type::integer)
                  .in(scheduler_field<&sc::max_batch_size>())
                  .range(1, int_max)
                  .rule(">= min_batch_size")
                  .at_run_time()
                  .doc("Adaptive batch size: most records per batch.", "1000"));
  k.push_back(entry("scheduler", "batches_per_engine", key_type::integer)
                  .in(scheduler_field<&sc::batches_per_engine>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("Batch sizes aim at this many batches per granted engine.", "4"));
  // issue 15: several batches per grant
  k.push_back(entry("scheduler", "prefetch", key_type::integer)
                  .in(scheduler_field<&sc::prefetch>())
                  .range(1, 64)
                  .doc("Batches an engine holds at most; it stores and reports the ones it "
                       "finished together (from 3 on it asks while its last one runs).",
                       "2"));
  k.push_back(entry("scheduler", "merge_while_mapping", key_type::boolean)
                  .in(scheduler_field<&sc::merge_while_mapping>())
                  .doc("Cut and hand out merge batches over the records already stored while "
                       "a job is still mapping (off: merging starts when the whole file is "
                       "mapped). Off by default until the cluster failure suites run with it.",
                       "true"));
  k.push_back(table_entry("scheduler", "merge", "all defaults")
                  .doc("Merge engine scheduling.", "[scheduler.merge]"));
  k.push_back(table_entry("scheduler", "weaver", "all defaults")
                  .doc("Weaver engine scheduling.", "[scheduler.weaver]"));
  add_engine_scheduling<&sc::merge>(k, "scheduler.merge", "scheduler.merge.parallel_per_job",
                                    "scheduler.merge.reserved", merge_sum, "6");
  add_engine_scheduling<&sc::weaver>(k, "scheduler.weaver", "scheduler.weaver.parallel_per_job",
                                     "scheduler.weaver.reserved", weaver_sum, "2");

  // [cleanup]
  using cu = cleanup_settings;
  k.push_back(entry("cleanup", "schedule", key_type::cron)
                  .in(cleanup_field<&cu::schedule>())
                  .checked(check_cron)
                  .at_run_time()
                  .doc("When sweeps run: five cron fields (minute hour day-of-month month "
                       "day-of-week). Not together with interval; the default applies when "
                       "neither is set.",
                       "\"*/15 * * * *\""));
  k.push_back(entry("cleanup", "interval", key_type::duration_string)
                  .in(cleanup_field<&cu::interval>())
                  .at_least(positive)
                  .note("none")
                  .at_run_time()
                  .doc("Run sweeps at this interval instead of a cron schedule.", "\"15m\""));
  k.push_back(entry("cleanup", "run_at_startup", key_type::boolean)
                  .in(cleanup_field<&cu::run_at_startup>())
                  .at_run_time()
                  .doc("Also sweep once when the node starts.", "false"));
  k.push_back(entry("cleanup", "lock_at_most", key_type::duration_string)
                  .in(cleanup_field<&cu::lock_at_most>())
                  .at_least(positive)
                  .at_run_time()
                  .doc("The cleanup lease expires after this long if its holder dies.", "\"10m\""));
  k.push_back(entry("cleanup", "lock_at_least", key_type::duration_string)
                  .in(cleanup_field<&cu::lock_at_least>())
                  .at_least(non_negative)
                  .rule("<= lock_at_most")
                  .at_run_time()
                  .doc("The lease is held at least this long, so a short sweep does not re-run "
                       "on another node.",
                       "\"30s\""));
  k.push_back(entry("cleanup", "batch_size", key_type::integer)
                  .in(cleanup_field<&cu::batch_size>())
                  .range(1, int_max)
                  .at_run_time()
                  .doc("Rows deleted per transaction by the database sweep.", "1000"));
  k.push_back(entry("cleanup", "pause_percent", key_type::integer)
                  .in(cleanup_field<&cu::pause_percent>())
                  .range(0, 1000)
                  .at_run_time()
                  .doc("After each delete transaction the database sweep pauses this percentage "
                       "of the time the transaction took (0: no pause), so that running jobs "
                       "keep their share of the database.",
                       "100"));
  k.push_back(table_entry("cleanup", "retain", "")
                  .doc("How long finished jobs and their data are kept.",
                       "{ jobs = \"24h\", content = \"6h\", outputs = \"24h\" }"));
  k.push_back(entry("cleanup", "orphan_min_age", key_type::duration_string)
                  .in(cleanup_field<&cu::orphan_min_age>())
                  .at_least(positive)
                  .at_run_time()
                  .doc("Unreferenced files younger than this are never deleted.", "\"1h\""));
  k.push_back(
      entry("cleanup.retain", "jobs", key_type::duration_string)
          .in(cleanup_field<&cu::retain_jobs>())
          .at_least(positive)
          .at_run_time()
          .doc("Finished jobs (and their records) older than this are deleted.", "\"24h\""));
  k.push_back(entry("cleanup.retain", "content", key_type::duration_string)
                  .in(cleanup_field<&cu::retain_content>())
                  .at_least(positive)
                  .at_run_time()
                  .doc("Content items of finished jobs older than this are deleted.", "\"6h\""));
  k.push_back(entry("cleanup.retain", "outputs", key_type::duration_string)
                  .in(cleanup_field<&cu::retain_outputs>())
                  .at_least(positive)
                  .at_run_time()
                  .doc("Output files of finished jobs older than this are deleted.", "\"24h\""));

  // [jobs]
  using jb = jobs_settings;
  k.push_back(entry("jobs", "max_section_depth", key_type::integer)
                  .in(jobs_field<&jb::max_section_depth>())
                  .range(1, 10000)
                  .doc("Most sections nested inside each other in one template (or partial); a "
                       "deeper template is refused when the job is submitted.",
                       "100"));
  k.push_back(entry("jobs", "max_partial_depth", key_type::integer)
                  .in(jobs_field<&jb::max_partial_depth>())
                  .range(1, 1000)
                  .doc("Most partials nested inside each other while one record renders.", "10"));
  k.push_back(entry("jobs", "max_record_output", key_type::integer)
                  .in(jobs_field<&jb::max_record_output>())
                  .range(1, int64_max)
                  .doc("Most bytes one record may render to.", "16777216"));
  k.push_back(
      entry("jobs", "max_document_pages", key_type::integer)
          .in(jobs_field<&jb::max_document_pages>())
          .range(1, int64_max)
          .doc("Most pages one document (one record) may fill in a PDF or txt output.", "10000"));
  k.push_back(
      entry("jobs", "max_batch_time", key_type::duration_string)
          .in(jobs_field<&jb::max_batch_time>())
          .at_least(positive)
          .doc("Longest an engine may render one batch; a slower batch fails its job.", "\"5m\""));
  k.push_back(entry("jobs", "max_attempts", key_type::integer)
                  .in(jobs_field<&jb::max_attempts>())
                  .range(1, 1000)
                  .doc("Attempts of one batch (its engine or node was lost, the master "
                       "restarted) before its job fails with the last error.",
                       "3"));
  k.push_back(entry("jobs", "max_image_bytes", key_type::integer)
                  .in(jobs_field<&jb::max_image_bytes>())
                  .range(1, int64_max)
                  .doc("Largest image file (bytes) a PDF template may show with <img>; a larger "
                       "one fails the job naming the image and the template line.",
                       "10485760"));
  k.push_back(entry("jobs", "max_resource_size", key_type::integer)
                  .in(jobs_field<&jb::max_resource_size>())
                  .range(1, int64_max)
                  .doc("Most bytes one resource file (submit --resources) may have; a larger "
                       "upload is refused and removed.",
                       "16777216"));
  k.push_back(entry("jobs", "max_resources_size", key_type::integer)
                  .in(jobs_field<&jb::max_resources_size>())
                  .range(1, int64_max)
                  .doc("Most bytes one job's resource files may have together.", "268435456"));
  k.push_back(entry("jobs", "max_resources", key_type::integer)
                  .in(jobs_field<&jb::max_resources>())
                  .range(1, 1000000)
                  .doc("Most resource files one job may have.", "1000"));
  k.push_back(entry("jobs", "max_warnings", key_type::integer)
                  .in(jobs_field<&jb::max_warnings>())
                  .range(1, 100000)
                  .doc("Most distinct layout warnings (HTML/CSS outside the PDF template "
                       "subset) kept with a job; more are counted, not listed.",
                       "100"));

  // [log]
  k.push_back(
      entry("log", "level", key_type::string)
          .in(log_field<&log_settings::level>())
          .checked(log_level_check)
          .doc("Least severe level logged: trace, debug, info, warn or error.", "\"debug\""));
  k.push_back(entry("log", "file", key_type::path)
                  .in(log_field<&log_settings::file>())
                  .checked(log_file_check)
                  .note("none (stderr only)")
                  .unset([](const settings&) { return std::string("\"\"  # stderr only"); })
                  .doc("Also write the log to this file.", "\"/var/log/weft/node.log\""));
  k.push_back(entry("log", "max_size", key_type::integer)
                  .in(log_field<&log_settings::max_size>())
                  .range(1024, int64_max)
                  .doc("Bytes: the log file is rotated (node.log → node.1.log → …) before it "
                       "grows past this.",
                       "104857600"));
  k.push_back(
      entry("log", "max_files", key_type::integer)
          .in(log_field<&log_settings::max_files>())
          .range(1, 1000)
          .doc("Rotated log files kept besides the current one; the oldest is deleted.", "5"));

  // [webhooks] (docs/operations.md "Webhooks")
  using wh = webhook_settings;
  k.push_back(
      entry("webhooks", "timeout", key_type::duration_string)
          .in(webhooks_field<&wh::timeout>())
          .at_least(duration{100})
          .doc("One delivery attempt, from connecting to the receiver's last byte.", "\"5s\""));
  k.push_back(
      entry("webhooks", "first_retry", key_type::duration_string)
          .in(webhooks_field<&wh::first_retry>())
          .at_least(duration{10})
          .doc("Wait after the first failed attempt; it doubles after each one.", "\"2s\""));
  k.push_back(entry("webhooks", "max_backoff", key_type::duration_string)
                  .in(webhooks_field<&wh::max_backoff>())
                  .at_least(duration{10})
                  .doc("The longest wait between two attempts.", "\"1m\""));
  k.push_back(entry("webhooks", "retry_for", key_type::duration_string)
                  .in(webhooks_field<&wh::retry_for>())
                  .at_least(duration{1000})
                  .doc("How long after the job ended a delivery is retried; then it is given "
                       "up (state failed).",
                       "\"6h\""));
  k.push_back(entry("webhooks", "allowed_hosts", key_type::string)
                  .in(webhooks_field<&wh::allowed_hosts>())
                  .note("any host")
                  .unset([](const settings&) { return std::string("\"\"  # any host"); })
                  .doc("Comma-separated host names or IP addresses a callback_url may name; a "
                       "submit naming another host is refused. Set it: callbacks are requests "
                       "the master makes on a client's behalf (SSRF).",
                       "\"erp.example.com, 10.0.0.7\""));

  // [limits]
  using li = limits_settings;
  k.push_back(entry("limits", "session_idle_timeout", key_type::duration_string)
                  .in(limits_field<&li::session_idle_timeout>())
                  .at_least(duration{1000})
                  .doc("A client session without a request for this long ends; its unfinished "
                       "uploads are removed.",
                       "\"30m\""));
  k.push_back(entry("limits", "max_sessions", key_type::integer)
                  .in(limits_field<&li::max_sessions>())
                  .range(1, 100000)
                  .doc("Client sessions a node serves at once (each is a thread); more are "
                       "refused.",
                       "256"));
  k.push_back(entry("limits", "max_upload_size", key_type::integer)
                  .in(limits_field<&li::max_upload_size>())
                  .range(1, int64_max)
                  .doc("Bytes a session's uploads may hold, all files together, until submit "
                       "moves them to the job; a chunk past it is refused and its partial file "
                       "removed.",
                       "1073741824"));
  k.push_back(entry("limits", "pending_handshakes", key_type::integer)
                  .in(limits_field<&li::pending_handshakes>())
                  .range(16, 10000000)
                  .doc("Unanswered handshake challenges a node keeps (30 s each); past it the "
                       "oldest is dropped.",
                       "10000"));
  k.push_back(entry("limits", "pending_handshakes_per_peer", key_type::integer)
                  .in(limits_field<&li::pending_handshakes_per_peer>())
                  .range(1, 10000)
                  .doc("Unanswered handshake challenges kept per peer (CAF node); past it that "
                       "peer's oldest is dropped.",
                       "16"));

  // [tls]
  k.push_back(entry("tls", "ca_file", key_type::path)
                  .in(tls_field<&tls_settings::ca_file>())
                  .needed()
                  .note("required in `[tls]`")
                  .doc("The cluster's CA certificate (PEM, `caf-node certs create-ca`). Every peer "
                       "must present a certificate it signed.",
                       "\"/etc/weft/tls/ca.pem\""));
  k.push_back(entry("tls", "cert_file", key_type::path)
                  .in(tls_field<&tls_settings::cert_file>())
                  .note("none (each [[node]] sets tls_cert_file)")
                  .doc("A node's certificate (PEM, `caf-node certs create-node`), for the nodes "
                       "without their own tls_cert_file.",
                       "\"/etc/weft/tls/node.pem\""));
  k.push_back(
      entry("tls", "key_file", key_type::path)
          .in(tls_field<&tls_settings::key_file>())
          .note("none (each [[node]] sets tls_key_file)")
          .doc("The private key of cert_file (PEM, mode 600).", "\"/etc/weft/tls/node.key\""));

  // [http] (docs/api.md)
  using ht = http_settings;
  k.push_back(entry("http", "allow_plain_remote", key_type::boolean)
                  .in(http_field<&ht::allow_plain_remote>())
                  .doc("Let a node's http_listen be a non-loopback address without `[tls]` "
                       "(plain HTTP: bearer tokens cross the network readable).",
                       "false"));
  k.push_back(entry("http", "max_body_size", key_type::integer)
                  .in(http_field<&ht::max_body_size>())
                  .range(1, int64_max)
                  .doc("Bytes a request body may have (413 past it); POST /v1/jobs is bounded "
                       "by `[limits]` max_upload_size instead.",
                       "1048576"));
  k.push_back(entry("http", "max_requests", key_type::integer)
                  .in(http_field<&ht::max_requests>())
                  .range(1, 100000)
                  .doc("Requests a node's API serves at once; more are answered 429.", "64"));
  k.push_back(entry("http", "header_timeout", key_type::duration_string)
                  .in(http_field<&ht::header_timeout>())
                  .at_least(duration{100})
                  .doc("A request's header must arrive within this (408 past it); also how long "
                       "an idle keep-alive connection stays open.",
                       "\"10s\""));
  k.push_back(entry("http", "body_timeout", key_type::duration_string)
                  .in(http_field<&ht::body_timeout>())
                  .at_least(duration{100})
                  .doc("A request's body must arrive within this after its header (408 past it).",
                       "\"60s\""));
  k.push_back(entry("http", "request_timeout", key_type::duration_string)
                  .in(http_field<&ht::request_timeout>())
                  .at_least(duration{100})
                  .doc("How long a request's work (the node's actors, the database) may take "
                       "(503 past it).",
                       "\"30s\""));
  k.push_back(entry("http", "threads", key_type::integer)
                  .in(http_field<&ht::threads>())
                  .range(1, 64)
                  .doc("The API's own I/O threads (never CAF's scheduler).", "2"));

  // [fonts] (docs/templates.md "Fonts")
  k.push_back(entry("fonts", "dirs", key_type::path_list)
                  .in(field_at<settings, &settings::fonts, &fonts_settings::dirs>())
                  .checked(font_dir_check)
                  .doc("Directories whose fonts (TrueType, OpenType, Type 1) the node's PDF "
                       "layout adds to fontconfig's; each must exist and be readable. Relative "
                       "to the topology file.",
                       "[\"/srv/weft/fonts\"]"));

  // [[node]]
  using n = node_settings;
  k.push_back(entry("node", "name", key_type::string)
                  .in(node_field<&n::name>())
                  .needed()
                  .checked(node_name_check)
                  .doc("Unique node name (letters, digits, `.`, `_`, `-`); chosen with --node "
                       "NAME or matched against the host name.",
                       "\"ext1\""));
  k.push_back(entry("node", "role", key_type::string)
                  .in(node_field<&n::role>())
                  .needed()
                  .doc("`master` or `extension`. Several nodes may be `master`: candidates, of "
                       "which one at a time is the active master (docs/cluster.md \"Master "
                       "failover\").",
                       "\"extension\""));
  k.push_back(entry("node", "master_priority", key_type::integer)
                  .in(node_field<&n::master_priority>())
                  .range(0, 1000)
                  .doc("Master candidates only: the higher takes the scheduler lease first; "
                       "unique among candidates when there are several.",
                       "10"));
  k.push_back(entry("node", "listen", key_type::address)
                  .in(node_field<&n::listen>())
                  .needed()
                  .doc("Address the node listens on.", "\"0.0.0.0:4242\""));
  k.push_back(entry("node", "advertise", key_type::address)
                  .in(node_field<&n::advertise>())
                  .note("`listen`")
                  .doc("Address other nodes and shells dial. Required on the master when it "
                       "listens on 0.0.0.0 and the cluster has extensions.",
                       "\"10.0.0.10:4242\""));
  k.push_back(entry("node", "merge_engines", key_type::integer)
                  .in(node_field<&n::merge_engines>())
                  .range(0, 1024)
                  .doc("Merge engines this node runs.", "4"));
  k.push_back(entry("node", "weaver_engines", key_type::integer)
                  .in(node_field<&n::weaver_engines>())
                  .range(0, 1024)
                  .doc("Weaver engines this node runs.", "1"));
  k.push_back(entry("node", "database_sweep", key_type::boolean)
                  .in(node_field<&n::database_sweep>())
                  .note("`false`; `true` on the master when no node sets it")
                  .doc("This node runs the database sweep (at most one node; the one next to "
                       "the database).",
                       "true"));
  k.push_back(entry("node", "tls_cert_file", key_type::path)
                  .in(node_field<&n::tls_cert_file>())
                  .note("`[tls]` cert_file")
                  .doc("This node's own certificate (PEM), overriding `[tls]` cert_file.",
                       "\"/etc/weft/tls/ext1.pem\""));
  k.push_back(
      entry("node", "tls_key_file", key_type::path)
          .in(node_field<&n::tls_key_file>())
          .note("`[tls]` key_file")
          .doc("The private key of tls_cert_file (PEM, mode 600).", "\"/etc/weft/tls/ext1.key\""));
  k.push_back(entry("node", "http_listen", key_type::address)
                  .in(node_field<&n::http_listen>())
                  .note("none: no HTTP API")
                  .doc("Address of this node's REST API (docs/api.md); HTTPS with the node's "
                       "certificate under `[tls]`, else loopback only unless `[http]` "
                       "allow_plain_remote.",
                       "\"127.0.0.1:8080\""));
  return k;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string key_info::dotted() const {
  return table.empty() ? std::string(key) : std::string(table) + "." + std::string(key);
}

std::string key_info::type_text() const {
  switch (type) {
    case key_type::table:
      return "table";
    case key_type::array_of_tables:
      return "array of tables";
    case key_type::string:
      return "string";
    case key_type::path:
      return "path";
    case key_type::cron:
      return "cron";
    case key_type::boolean:
      return "boolean";
    case key_type::address:
      return "HOST:PORT";
    case key_type::path_list:
      return "array of paths";
    case key_type::integer:
      if (!relation.empty()) return "integer " + std::string(relation);
      if (max == int_max || max == int64_max) return "integer >= " + std::to_string(min);
      return "integer " + std::to_string(min) + ".." + std::to_string(max);
    case key_type::duration_string:
      if (!relation.empty()) return "duration " + std::string(relation);
      if (min == 1) return "duration > 0";
      return "duration >= " + format_duration(duration{min});
  }
  return "?";
}

bool key_info::has_typed_default() const {
  if (required || !default_note.empty()) return false;
  if (type == key_type::table) return is_inline_table(dotted());
  return field != nullptr || node_field != nullptr;
}

std::string key_info::default_text() const {
  if (!default_note.empty()) return std::string(default_note);
  if (required) return "required";
  if (type == key_type::table) return inline_table_text(settings{}, dotted());
  if (field) return field->text(settings{});
  if (node_field) return node_field->text(node_settings{});
  return {};
}

const std::vector<key_info>& known_keys() {
  static const std::vector<key_info> keys = make_known_keys();
  return keys;
}

const key_info* find_key(std::string_view table, std::string_view key) {
  for (const auto& k : known_keys())
    if (k.table == table && k.key == key) return &k;
  return nullptr;
}

const key_info* find_dotted_key(std::string_view dotted) {
  for (const auto& k : known_keys())
    if (k.dotted() == dotted) return &k;
  return nullptr;
}

std::vector<std::string_view> keys_of(std::string_view table) {
  std::vector<std::string_view> names;
  for (const auto& k : known_keys())
    if (k.table == table) names.push_back(k.key);
  return names;
}

bool is_inline_table(std::string_view table) {
  // Top-level tables and [[node]] are never inline.
  if (table.find('.') == std::string_view::npos) return false;
  bool any = false;
  for (const auto& k : known_keys()) {
    if (k.table != table) continue;
    if (k.type == key_type::table || !k.field) return false;
    any = true;
  }
  return any;
}

std::string inline_table_text(const settings& s, std::string_view table) {
  std::string out;
  for (const auto& k : known_keys()) {
    if (k.table != table || !k.field) continue;
    out += (out.empty() ? "{ " : ", ") + std::string(k.key) + " = " + k.field->text(s);
  }
  return out + " }";
}

std::optional<std::string_view> closest_key(std::string_view unknown,
                                            const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (auto candidate : candidates) {
    const auto d = edit_distance(unknown, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (!best) return std::nullopt;
  const std::size_t longer = std::max(unknown.size(), best->size());
  if (best_distance <= 2 || best_distance * 3 <= longer) return best;
  return std::nullopt;
}

namespace detail {

void read_keys(const table_reader& t, settings& s) {
  for (const auto& k : known_keys()) {
    if (k.table != t.schema()) continue;
    if (k.type == key_type::table) {
      if (auto sub = t.get_table(k.key, k.dotted())) {
        sub->reject_unknown_keys();
        read_keys(*sub, s);
      }
    } else if (k.field) {
      k.field->read(t, k, s);
    }
  }
}

void read_keys(const table_reader& t, node_settings& n) {
  for (const auto& k : known_keys())
    if (k.table == t.schema() && k.node_field) k.node_field->read(t, k, n);
}

}  // namespace detail

}  // namespace weft::config
