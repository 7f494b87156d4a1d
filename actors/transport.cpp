#include "actors/transport.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace weft::actors {

void configure_transport(caf::actor_system_config& cfg, const config::tls_files& tls) {
  cfg.load<caf::io::middleman>();
  if (!tls.enabled()) return;
  // The openssl module with no files would speak anonymous TLS: never.
  if (tls.cert_file.empty() || tls.key_file.empty())
    throw std::invalid_argument("TLS needs a CA file, a certificate and a key");
  cfg.load<caf::openssl::manager>();
  cfg.openssl_cafile = tls.ca_file;
  cfg.openssl_certificate = tls.cert_file;
  cfg.openssl_key = tls.key_file;
}

bool uses_tls(const caf::actor_system& sys) { return sys.has_openssl_manager(); }

caf::actor connector(caf::actor_system& sys) {
  if (sys.has_openssl_manager())
    return caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle());
  return caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
}

caf::expected<uint16_t> publish_gateway(caf::actor_system& sys, const caf::actor& gateway,
                                        uint16_t port, const std::string& host) {
  if (sys.has_openssl_manager()) return caf::openssl::publish(gateway, port, host.c_str(), true);
  return sys.middleman().publish(gateway, port, host.c_str(), true);
}

namespace detail {

namespace {

std::atomic<bool> log_refusals{false};

std::mutex connect_mutex;
std::string last_connect_failure;

/// The peer of `ssl`'s socket as "ADDRESS" and "ADDRESS:PORT".
std::pair<std::string, std::string> peer_of(SSL* ssl) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  const int fd = SSL_get_fd(ssl);
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return {"unknown", "unknown"};
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return {host, std::string(host) + ":" + std::to_string(port)};
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
    return {host, "[" + std::string(host) + "]:" + std::to_string(port)};
  }
  return {"unknown", "unknown"};
}

/// Why a handshake failed, in OpenSSL's words (library text, never peer text).
std::string reason_of(SSL* ssl, int error) {
  if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN)
    return "the peer closed the connection during the TLS handshake";
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return std::string("peer certificate refused: ") + X509_verify_cert_error_string(verify);
  const unsigned long e = ERR_peek_last_error();
  const char* text = e ? ERR_reason_error_string(e) : nullptr;
  std::string reason = text ? text : "TLS handshake failed";
  if (reason == "wrong version number" || reason == "http request" ||
      reason == "packet length too long" || reason == "unknown protocol")
    reason += " (not a TLS client)";
  return reason;
}

/// Once per peer address a minute, and at most `budget` lines a minute in all.
class refusal_limiter {
 public:
  void refused(const std::string& address, const std::string& peer, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= period) {
      if (suppressed_ > 0)
        spdlog::warn("tls: {} further refused connection(s) in the last minute not logged",
                     suppressed_);
      window_start_ = now;
      lines_ = 0;
      suppressed_ = 0;
      if (last_.size() > 10000) last_.clear();
    }
    auto it = last_.find(address);
    if ((it != last_.end() && now - it->second < period) || lines_ >= budget) {
      ++suppressed_;
      return;
    }
    last_[address] = now;
    ++lines_;
    spdlog::warn("tls: refused a connection from {}: {}", peer, reason);
  }

 private:
  static constexpr auto period = std::chrono::seconds(60);
  static constexpr int budget = 20;
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  int lines_ = 0;
  long suppressed_ = 0;
};

refusal_limiter& limiter() {
  static refusal_limiter instance;
  return instance;
}

}  // namespace

/// Called by the SSL_accept and SSL_connect wrappers below after OpenSSL's answer.
void handshake_result(SSL* ssl, int ret, bool accepting) {
  if (ret == 1) return;
  const int error = SSL_get_error(ssl, ret);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
  auto [address, peer] = peer_of(ssl);
  auto reason = reason_of(ssl, error);
  if (accepting) {
    if (log_refusals.load()) limiter().refused(address, peer, reason);
  } else {
    std::lock_guard<std::mutex> lock(connect_mutex);
    last_connect_failure = reason;
  }
}

}  // namespace detail

void log_refused_peers() { detail::log_refusals.store(true); }

std::string take_tls_connect_failure() {
  std::lock_guard<std::mutex> lock(detail::connect_mutex);
  std::string out;
  out.swap(detail::last_connect_failure);
  return out;
}

}  // namespace weft::actors

// CAF's openssl module (0.17) creates its SSL contexts itself and logs a failed handshake
// only through CAF's logger (compiled out of Debian's build); it exposes no callback. The
// definitions below interpose OpenSSL's handshake and I/O functions for the whole process
// (the executable's definition wins over libssl's for libcaf_openssl's calls) and call the
// real ones through dlsym(RTLD_NEXT).
//
// They do two things:
//  - report failed handshakes (SSL_accept: the refused-peer log; SSL_connect: the reason a
//    client or an extension could not connect). Refusal itself stays CAF's and OpenSSL's:
//    the connection is closed before any BASP byte is read;
//  - clear the thread's OpenSSL error queue before each call. CAF reads SSL_get_error()
//    after a call but empties the queue only inside its (compiled-out) log statements, so an
//    error left by one connection — a client that exits without close_notify leaves
//    "unexpected eof while reading" — made the next SSL_read that merely wanted more bytes
//    on ANOTHER connection look fatal, and CAF closed it: extensions were dropped whenever a
//    client disconnected (seen in cluster_failures_tls_test). Clearing the queue before the
//    call is what OpenSSL asks of every caller; it changes no result of the call itself.
namespace {

template <class Fn>
Fn real_function(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int SSL_accept(SSL* ssl) {
  using fn = int (*)(SSL*);
  static const fn real = real_function<fn>("SSL_accept");
  ERR_clear_error();
  const int ret = real(ssl);
  weft::actors::detail::handshake_result(ssl, ret, true);
  return ret;
}

int SSL_connect(SSL* ssl) {
  using fn = int (*)(SSL*);
  static const fn real = real_function<fn>("SSL_connect");
  ERR_clear_error();
  const int ret = real(ssl);
  weft::actors::detail::handshake_result(ssl, ret, false);
  return ret;
}

int SSL_read(SSL* ssl, void* buf, int num) {
  using fn = int (*)(SSL*, void*, int);
  static const fn real = real_function<fn>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  using fn = int (*)(SSL*, const void*, int);
  static const fn real = real_function<fn>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

}
