// Loopback ports reserved for the life of a test process (test_port.hpp).
#include "tests/support/test_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

namespace weft::test {

namespace {

constexpr uint16_t lowest_port = 10000;  // below: well-known services and their neighbours

std::pair<uint16_t, uint16_t> ephemeral_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  long lo = 0, hi = 0;
  if (in >> lo >> hi && lo > 0 && hi >= lo && hi <= 65535)
    return {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
  return {32768, 60999};  // Linux's default
}

/// Whether 127.0.0.1:port can be bound now (nobody listens on it or on the
/// wildcard address, no socket of it lingers). The socket never listens, so it
/// leaves nothing behind.
bool bindable(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

struct registry {
  std::mutex mutex;
  std::set<uint16_t> handed_out;
  std::vector<int> lock_fds;  ///< held until the process exits
};

registry& the_registry() {
  static auto* r = new registry;  // never destroyed: the locks live as long as the process
  return *r;
}

/// Takes the lock of `port` for this process; false when another process holds it.
/// The descriptor is deliberately not close-on-exec (see test_port.hpp).
bool lock_port(const std::string& dir, uint16_t port, std::vector<int>& fds) {
  const auto path = dir + "/" + std::to_string(port) + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0666);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  fds.push_back(fd);
  return true;
}

}  // namespace

std::string test_port_lock_dir() {
  const char* d = std::getenv("WEFT_TEST_PORT_DIR");
  return d != nullptr && *d ? d : "/tmp/weft-test-ports";
}

port_pool test_port_pool() {
  port_pool p;
  p.ephemeral = ephemeral_range();
  const auto [lo, hi] = p.ephemeral;
  if (lo > lowest_port) p.ranges.push_back({lowest_port, static_cast<uint16_t>(lo - 1)});
  if (hi < 65535)
    p.ranges.push_back({static_cast<uint16_t>(std::max<int>(hi + 1, lowest_port)), 65535});
  return p;
}

uint16_t reserve_port() {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  const auto dir = test_port_lock_dir();
  if (::mkdir(dir.c_str(), 01777) == 0)
    ::chmod(dir.c_str(), 01777);  // whatever the umask: every user's tests share it
  else if (errno != EEXIST)
    throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));

  const auto pool = test_port_pool();
  std::vector<uint16_t> candidates;
  for (const auto& [from, to] : pool.ranges)
    for (int p = from; p <= to; ++p) candidates.push_back(static_cast<uint16_t>(p));
  if (candidates.empty()) throw std::runtime_error("no port outside the ephemeral range");
  // Each process starts at its own place in the pool and walks on from there:
  // concurrent processes rarely meet, and a process reuses no port.
  static const std::size_t start = [&] {
    std::seed_seq seed{
        static_cast<unsigned>(::getpid()),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    std::mt19937 gen(seed);
    return std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(gen);
  }();
  static std::size_t next = 0;
  for (std::size_t tried = 0; tried < candidates.size(); ++tried, ++next) {
    const auto port = candidates[(start + next) % candidates.size()];
    if (r.handed_out.count(port)) continue;
    if (!lock_port(dir, port, r.lock_fds)) continue;
    if (!bindable(port)) {
      // Someone who does not take our locks uses it: leave it to them.
      ::close(r.lock_fds.back());
      r.lock_fds.pop_back();
      continue;
    }
    r.handed_out.insert(port);
    ++next;
    return port;
  }
  throw std::runtime_error("every test port is reserved or in use (lock files in " + dir + ")");
}

}  // namespace weft::test
