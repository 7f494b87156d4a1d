#pragma once

// The REST API's HTTP server (docs/api.md): Boost.Beast over Boost.Asio, on
// its own I/O threads (never CAF's scheduler), plain HTTP or HTTPS with the
// node's certificate. It owns the protocol-level limits (header and body
// timeouts → 408, body size → 413, concurrent requests → 429), the bearer
// token check (401/403, refusals logged rate-limited) and the streaming of
// multipart uploads into the upload area; what a route does is its
// handler's (routes.hpp). Beast's headers stay in server.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/http/router.hpp"

namespace weft::http {

/// A few threads for blocking work (database, files) a handler must not do
/// on the I/O threads.
class work_pool {
 public:
  explicit work_pool(int threads);
  ~work_pool();  ///< waits for the work already posted
  work_pool(const work_pool&) = delete;
  work_pool& operator=(const work_pool&) = delete;
  void post(std::function<void()> fn);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct server_options {
  std::string host;
  uint16_t port = 0;  ///< 0: any free port
  bool tls = false;   ///< HTTPS with cert_file and key_file
  std::string cert_file;
  std::string key_file;
  int threads = 2;
  int max_requests = 64;
  int64_t max_body_size = 1 << 20;
  int64_t max_upload_size = int64_t{4} << 30;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
};

struct server_hooks {
  /// The token `bearer` names, if valid. Blocking (the database): run on the work pool.
  std::function<std::optional<caller>(const std::string& bearer)> authenticate;
  /// A new, empty folder for one request's upload (created).
  std::function<std::string()> new_upload_dir;
  /// Optional: told of every answer (route pattern or "unmatched", method, status, seconds
  /// since the request's header was read), for the metrics (docs/operations.md). Must not block.
  std::function<void(const std::string& route, const std::string& method, int status,
                     double seconds)>
      observe;
};

class server {
 public:
  server(server_options options, router routes, server_hooks hooks, work_pool& work);
  ~server();  ///< stops
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts serving. @return the bound port.
  /// @throws std::runtime_error naming the address and the reason (also a bad certificate).
  uint16_t start();
  /// Stops accepting and ends every connection; waits for the I/O threads.
  void stop();

  struct impl;  ///< server.cpp's (its connections share it)

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace weft::http
