// Fuzzes config parsing; the first byte (mod 7) picks what the rest is:
//   0  a topology file (TOML), loaded for a node and for a client (config/topology)
//   1  `set KEY VALUE` at run time: KEY up to a newline, then VALUE (config/runtime_settings)
//   2  a duration ("15m"); one that parses must format and parse back to itself
//   3  a cron expression; a valid one must give a next firing time after the start
//   4  an endpoint "HOST:PORT"
//   5  a database URL (storage/database_spec), password after a newline
//   6  topology_source: KEY up to a newline, then a topology file
// Topology files are written to a private temporary directory holding private `secret.txt`
// and `db.password` files, so the fixtures of tests/config work as seeds.

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "config/config_error.hpp"
#include "config/cron.hpp"
#include "config/duration.hpp"
#include "config/endpoint.hpp"
#include "config/runtime_settings.hpp"
#include "config/topology.hpp"
#include "storage/database_spec.hpp"
#include "storage/storage_error.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace weft;

namespace {

void write_file(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out || ::chmod(path.c_str(), mode) != 0) std::abort();
}

std::string topology_file(std::string_view text) {
  static const bool secrets = [] {
    write_file(fuzz::temp_dir() / "secret.txt", "fuzz-secret-value-0123456789\n", 0600);
    write_file(fuzz::temp_dir() / "db.password", "fuzz-password\n", 0600);
    return true;
  }();
  (void)secrets;
  const auto path = fuzz::temp_dir() / "weft.toml";
  write_file(path, text, 0644);
  return path.string();
}

void topology(std::string_view text) {
  const auto path = topology_file(text);
  try {
    auto s = config::load_topology(path, std::nullopt);
    // Every settable key's value reads back and applies to itself.
    for (const auto& key : config::settable_keys()) {
      const auto value = config::setting_value(s, key);
      if (!value.empty()) config::apply_setting(s, key, value);
    }
  } catch (const config::config_error&) {
  }
  try {
    (void)config::load_topology_for_client(path);
  } catch (const config::config_error&) {
  }
}

void set(fuzz::input& in) {
  const std::string key(in.until('\n'));
  const std::string value(in.rest());
  config::settings s;
  try {
    config::apply_setting(s, key, value);
    (void)config::setting_value(s, key);
  } catch (const config::config_error&) {
  }
}

void duration(std::string_view text) {
  auto d = config::parse_duration(text);
  if (!d) return;
  auto back = config::parse_duration(config::format_duration(*d));
  if (!back || *back != *d) std::abort();
}

void cron(std::string_view text) {
  if (config::check_cron(text)) return;
  const auto start = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
  const auto next = config::next_fire(std::string(text), start);
  if (next <= start) std::abort();
}

void endpoint(std::string_view text) {
  try {
    auto e = config::parse_endpoint(text);
    if (e.host.empty() || e.port == 0) std::abort();
    (void)config::is_wildcard_host(e.host);
  } catch (const config::config_error&) {
  }
}

void database_url(fuzz::input& in) {
  const auto url = in.until('\n');
  try {
    auto spec = storage::parse_database_url(url, std::string(in.rest()));
    (void)storage::describe(spec);
  } catch (const storage::storage_error&) {
  }
}

void source(fuzz::input& in) {
  const std::string key(in.until('\n'));
  const auto path = topology_file(in.rest());
  try {
    (void)config::topology_source(path, key);
  } catch (const config::config_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::input in(data, size);
  switch (in.byte() % 7) {
    case 0: topology(in.rest()); break;
    case 1: set(in); break;
    case 2: duration(in.rest()); break;
    case 3: cron(in.rest()); break;
    case 4: endpoint(in.rest()); break;
    case 5: database_url(in); break;
    case 6: source(in); break;
  }
  return 0;
}
