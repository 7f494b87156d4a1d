// The REST API's HTTP server (server.hpp): the only translation unit that
// includes Boost.Beast. One `connection` per client socket, on its own strand;
// every read is bounded by a timer of ours (header_timeout, body_timeout) so
// that a slow client is answered 408 instead of being dropped silently.

#include "actors/http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/http/multipart.hpp"
#include "actors/trust/log_text.hpp"
#include "actors/trust/refusal_log.hpp"

namespace weft::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
namespace fs = std::filesystem;

// -- the work pool ------------------------------------------------------------------

struct work_pool::impl {
  explicit impl(int threads) : pool(static_cast<std::size_t>(std::max(threads, 1))) {}
  net::thread_pool pool;
};

work_pool::work_pool(int threads) : impl_(std::make_unique<impl>(threads)) {}
work_pool::~work_pool() { impl_->pool.join(); }
void work_pool::post(std::function<void()> fn) {
  net::post(impl_->pool, [fn = std::move(fn)] {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("http: work failed: {}", trust::log_text(e.what(), 200));
    } catch (...) {
      spdlog::error("http: work failed");
    }
  });
}

namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr std::size_t max_field_bytes = 64 * 1024;
constexpr auto write_timeout = std::chrono::seconds(60);
constexpr std::size_t max_linger_bytes = 64u << 20;  ///< dropped after a refusal, at most

/// A file name from a form part that is safe in the upload area: letters,
/// digits, '.', '-', '_'; not starting with '.'; at most 200 characters.
bool safe_file_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// -- the server's shared state ---------------------------------------------------------

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(server_options o, router r, server_hooks h, work_pool& w)
      : options(std::move(o)), routes(std::move(r)), hooks(std::move(h)), work(w) {}

  server_options options;
  router routes;
  server_hooks hooks;
  work_pool& work;
  std::shared_ptr<net::io_context> ioc = std::make_shared<net::io_context>();
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<int> active{0};  ///< requests between header and response
  std::mutex refusals_mutex;
  trust::refusal_log refusals;
  std::atomic<bool> stopped{false};

  /// Logs a refused request of `peer`, at most a few per peer and window.
  void log_refusal(const std::string& peer, const std::string& what) {
    uint64_t suppressed = 0;
    {
      std::lock_guard<std::mutex> lock(refusals_mutex);
      if (!refusals.allow(peer, trust::refusal_log::clock::now(), suppressed)) return;
    }
    if (suppressed > 0)
      spdlog::warn("http: {} from {} ({} more refused, not logged)", what, peer, suppressed);
    else
      spdlog::warn("http: {} from {}", what, peer);
  }

  void accept();
};

namespace {

template <class Stream>
class connection : public std::enable_shared_from_this<connection<Stream>> {
 public:
  connection(std::shared_ptr<server::impl> srv, Stream stream, std::string peer)
      : ioc_(srv->ioc),
        srv_(std::move(srv)),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        peer_(std::move(peer)) {}

  ~connection() { remove_upload(); }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_header();
    } else {
      arm(srv_->options.header_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->disarm();
                                if (ec) return self->close();
                                self->read_header();
                              });
    }
  }

 private:
  // -- timers ---------------------------------------------------------------------

  /// A deadline for the reads that follow: when it passes, they are
  /// cancelled and `timed_out_` says why.
  void arm(std::chrono::milliseconds after) {
    timed_out_ = false;
    auto gen = ++generation_;
    timer_.expires_after(after);
    timer_.async_wait([self = this->shared_from_this(), gen](beast::error_code ec) {
      if (ec || gen != self->generation_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
    });
  }
  void disarm() {
    ++generation_;
    timer_.cancel();
  }

  // -- reading --------------------------------------------------------------------

  void read_header() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes);
    // Bounded below, per route. Not boost::none: Boost 1.74 compares a Content-Length with
    // an empty optional limit as larger and refuses every body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    req_ = request{};
    req_.peer = peer_;
    counted_ = false;
    close_after_ = false;
    beast::get_lowest_layer(stream_).expires_never();
    arm(srv_->options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    disarm();
    if (ec) {
      if (timed_out_ && parser_->got_some())
        return refuse(error(408, "request_timeout",
                            "the request's header did not arrive within " +
                                std::to_string(srv_->options.header_timeout.count()) +
                                " ms ([http] header_timeout)"));
      if (ec == bhttp::error::header_limit)
        return refuse(error(
            431, "header_too_large",
            "the request's header is larger than " + std::to_string(max_header_bytes) + " bytes"));
      if (ec == bhttp::error::end_of_stream || timed_out_ || ec == net::error::operation_aborted ||
          ec == net::error::eof || ec == net::error::connection_reset)
        return close();
      return refuse(error(400, "bad_request", "malformed HTTP request: " + ec.message()));
    }
    auto& msg = parser_->get();
    req_.method = std::string(msg.method_string());
    std::string target(msg.target());
    auto q = target.find('?');
    req_.path = target.substr(0, q);
    if (q != std::string::npos) req_.query = parse_query(target.substr(q + 1));
    for (const auto& field : msg)
      req_.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    keep_alive_ = msg.keep_alive();

    // Concurrent requests: this one counts from its header to its response.
    if (srv_->active.fetch_add(1) >= srv_->options.max_requests) {
      srv_->active.fetch_sub(1);
      srv_->log_refusal(peer_, "request refused: too many at once ([http] max_requests)");
      return refuse(error(429, "too_many_requests",
                          "this node serves " + std::to_string(srv_->options.max_requests) +
                              " requests at once ([http] max_requests); try again"),
                    {{"Retry-After", "1"}});
    }
    counted_ = true;

    begun_ = std::chrono::steady_clock::now();
    auto m = srv_->routes.find(req_.method, req_.path);
    if (!m.found) {
      if (m.path_known)
        return refuse(error(405, "method_not_allowed",
                            req_.method + " is not allowed on " + trust::log_text(req_.path, 200)));
      return refuse(error(404, "not_found", "no route " + trust::log_text(req_.path, 200)));
    }
    route_ = m.found;
    req_.params = std::move(m.params);
    if (route_->need == scope::none) return check_body();

    auto auth = req_.header("authorization");
    const std::string prefix = "bearer ";
    if (auth.size() <= prefix.size() || lower(auth.substr(0, prefix.size())) != prefix) {
      srv_->log_refusal(peer_, "request without a bearer token refused");
      return refuse(error(401, "unauthorized", "this route needs 'Authorization: Bearer TOKEN'"),
                    {{"WWW-Authenticate", "Bearer"}});
    }
    auto token = auth.substr(prefix.size());
    auto self = this->shared_from_this();
    srv_->work.post([self, token] {
      std::optional<caller> who;
      bool failed = false;
      try {
        who = self->srv_->hooks.authenticate(token);
      } catch (const std::exception& e) {
        failed = true;
        spdlog::warn("http: token check failed: {}", trust::log_text(e.what(), 200));
      }
      net::post(self->stream_.get_executor(),
                [self, who, failed] { self->on_authenticated(who, failed); });
    });
  }

  void on_authenticated(const std::optional<caller>& who, bool failed) {
    if (failed)
      return refuse(error(503, "unavailable", "the token cannot be checked now (database)"));
    if (!who) {
      srv_->log_refusal(peer_, "request with an unknown, expired or revoked token refused");
      return refuse(error(401, "unauthorized", "the bearer token is unknown, expired or revoked"),
                    {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}});
    }
    req_.who = *who;
    if (!allows(who->granted, route_->need)) {
      srv_->log_refusal(peer_, "token '" + trust::log_text(who->name) + "' refused: scope " +
                                   to_string(who->granted) + ", " + req_.method + " " +
                                   trust::log_text(route_->pattern) + " needs " +
                                   to_string(route_->need));
      return refuse(error(403, "forbidden",
                          std::string("this token's scope is ") + to_string(who->granted) + "; " +
                              req_.method + " " + route_->pattern + " needs " +
                              to_string(route_->need)));
    }
    check_body();
  }

  void check_body() {
    auto& p = *parser_;
    const bool has_body = p.chunked() || (p.content_length() && *p.content_length() > 0);
    if (!has_body) return dispatch();
    const int64_t limit =
        route_->streams_upload ? srv_->options.max_upload_size : srv_->options.max_body_size;
    const char* key = route_->streams_upload ? "[limits] max_upload_size" : "[http] max_body_size";
    if (p.content_length() && static_cast<int64_t>(*p.content_length()) > limit)
      return refuse(error(413, "payload_too_large",
                          "the request body has " + std::to_string(*p.content_length()) +
                              " bytes; this node takes at most " + std::to_string(limit) + " (" +
                              key + ")"));
    limit_ = limit;
    limit_key_ = key;
    if (route_->streams_upload) {
      auto boundary = form_boundary(req_.header("content-type"));
      if (!boundary)
        return refuse(error(415, "unsupported_media_type",
                            "the body must be multipart/form-data with a boundary"));
      try {
        req_.form.dir = srv_->hooks.new_upload_dir();
      } catch (const std::exception& e) {
        return refuse(
            error(500, "internal", std::string("cannot create the upload area: ") + e.what()));
      }
      start_form(*boundary);
    }
    body_bytes_ = 0;
    arm(srv_->options.body_timeout);
    read_body();
  }

  void start_form(const std::string& boundary) {
    form_.emplace(boundary);
    form_->on_part = [this](const multipart_parser::part& part) {
      current_field_ = part.name;
      if (part.filename.empty()) {
        in_file_ = false;
        req_.form.fields[part.name].clear();
        return true;
      }
      // Browsers send the bare name; a path is refused, not shortened.
      const auto& name = part.filename;
      if (!safe_file_name(name)) {
        form_->fail("file name '" + trust::log_text(part.filename) +
                    "' is not allowed (letters, digits, '.', '-', '_'; not starting with '.')");
        return false;
      }
      for (const auto& f : req_.form.files)
        if (f.second == name) {
          form_->fail("two parts upload the file '" + name + "'");
          return false;
        }
      out_.open(fs::path(req_.form.dir) / name, std::ios::binary | std::ios::trunc);
      if (!out_) {
        form_->fail("cannot write " + name + " in the upload area");
        return false;
      }
      in_file_ = true;
      req_.form.files.emplace_back(part.name, name);
      return true;
    };
    form_->on_data = [this](const char* data, std::size_t n) {
      if (!in_file_) {
        auto& v = req_.form.fields[current_field_];
        if (v.size() + n > max_field_bytes) {
          form_->fail("form field '" + trust::log_text(current_field_) + "' is longer than " +
                      std::to_string(max_field_bytes) + " bytes");
          return false;
        }
        v.append(data, n);
        return true;
      }
      req_.form.bytes += static_cast<int64_t>(n);
      out_.write(data, static_cast<std::streamsize>(n));
      if (!out_) {
        form_->fail("cannot write the upload (disk full?)");
        return false;
      }
      return true;
    };
    form_->on_part_end = [this] {
      if (in_file_) {
        out_.close();
        in_file_ = false;
        if (!out_) {
          form_->fail("cannot write the upload (disk full?)");
          return false;
        }
      }
      return true;
    };
  }

  void read_body() {
    auto& body = parser_->get().body();
    body.data = chunk_;
    body.size = sizeof(chunk_);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_body(ec);
                      });
  }

  void on_body(beast::error_code ec) {
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      disarm();
      if (timed_out_)
        return refuse(error(408, "request_timeout",
                            "the request's body did not arrive within " +
                                std::to_string(srv_->options.body_timeout.count()) +
                                " ms ([http] body_timeout)"));
      return close();
    }
    const std::size_t n = sizeof(chunk_) - parser_->get().body().size;
    body_bytes_ += static_cast<int64_t>(n);
    if (body_bytes_ > limit_) {
      disarm();
      return refuse(error(413, "payload_too_large",
                          "the request body is larger than " + std::to_string(limit_) + " bytes (" +
                              limit_key_ + ")"));
    }
    if (n > 0) {
      if (form_) {
        if (!form_->feed(chunk_, n)) {
          disarm();
          return refuse(error(400, "bad_upload", "multipart body refused: " + form_->error()));
        }
      } else {
        req_.body.append(chunk_, n);
      }
    }
    if (!parser_->is_done()) return read_body();
    disarm();
    if (form_ && !form_->done())
      return refuse(error(400, "bad_upload", "the multipart body ends before its last boundary"));
    dispatch();
  }

  // -- answering ------------------------------------------------------------------

  void dispatch() {
    auto self = this->shared_from_this();
    auto once = std::make_shared<std::atomic<bool>>(false);
    reply answer = [self, once](response r) {
      if (once->exchange(true)) return;
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->send(std::move(r)); });
    };
    try {
      route_->run(req_, answer);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {} failed: {}", req_.method, trust::log_text(route_->pattern),
                    trust::log_text(e.what(), 200));
      answer(error(500, "internal", e.what()));
    }
  }

  /// Answers and closes: the rest of the request (its body) is not read.
  void refuse(response r, std::vector<std::pair<std::string, std::string>> extra = {}) {
    for (auto& h : extra) r.headers.push_back(std::move(h));
    close_after_ = true;
    send(std::move(r));
  }

  template <class Message>
  void fill(Message& res, const response& r) {
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    res.set(bhttp::field::server, "weft");
    res.set(bhttp::field::content_type, r.content_type);
    for (const auto& h : r.headers) res.set(h.first, h.second);
    res.keep_alive(keep_alive_ && !close_after_);
  }

  void send(response r) {
    if (srv_->hooks.observe) {
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - begun_;
      srv_->hooks.observe(route_ ? route_->pattern : "unmatched", req_.method, r.status,
                          took.count());
    }
    remove_upload();
    beast::get_lowest_layer(stream_).expires_after(write_timeout);
    if (!r.file_path.empty()) return send_file(std::move(r));
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    fill(*res, r);
    res->body() = std::move(r.body);
    res->prepare_payload();
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                         self->after_response(ec);
                       });
  }

  void send_file(response r) {
    file_.open(r.file_path, std::ios::binary);
    if (file_) file_.seekg(static_cast<std::streamoff>(r.file_offset));
    if (!file_) {
      r = error(500, "internal", "cannot read the output file");
      r.file_path.clear();
      return send(std::move(r));
    }
    file_left_ = r.file_length;
    file_res_.emplace();
    fill(*file_res_, r);
    file_res_->content_length(r.file_length);
    file_res_->body().data = nullptr;
    file_res_->body().more = true;
    file_sr_.emplace(*file_res_);
    bhttp::async_write_header(stream_, *file_sr_,
                              [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->after_response(ec);
                                self->send_file_chunk();
                              });
  }

  void send_file_chunk() {
    auto& body = file_res_->body();
    if (file_left_ == 0) {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    } else {
      auto want = static_cast<std::size_t>(std::min<uint64_t>(file_left_, sizeof(chunk_)));
      file_.read(chunk_, static_cast<std::streamsize>(want));
      auto got = static_cast<std::size_t>(file_.gcount());
      if (got == 0) {
        // The file shrank under us: the client sees a short body and the connection closes.
        close_after_ = true;
        return close();
      }
      file_left_ -= got;
      body.data = chunk_;
      body.size = got;
      body.more = file_left_ > 0;
    }
    bhttp::async_write(stream_, *file_sr_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec == bhttp::error::need_buffer) ec = {};
                         if (ec) return self->after_response(ec);
                         if (!self->file_sr_->is_done()) return self->send_file_chunk();
                         self->file_.close();
                         self->file_sr_.reset();
                         self->file_res_.reset();
                         self->after_response(ec);
                       });
  }

  void after_response(beast::error_code ec) {
    if (counted_) {
      srv_->active.fetch_sub(1);
      counted_ = false;
    }
    if (ec || close_after_ || !keep_alive_) return close();
    form_.reset();
    route_ = nullptr;
    read_header();
  }

  void close() {
    disarm();
    if (counted_) {
      srv_->active.fetch_sub(1);
      counted_ = false;
    }
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (close_after_ && !lingering_) {
      // A refusal before the body was read: closing with unread bytes would reset the
      // connection and could destroy the answer in the client's buffers before it reads
      // it. Stop sending, then read and drop what the client still sends, for a while.
      lingering_ = true;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      arm(std::chrono::seconds(2));
      return linger();
    }
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  void linger() {
    beast::get_lowest_layer(stream_).socket().async_read_some(
        net::buffer(chunk_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->lingered_ += n;
          if (!ec && self->lingered_ < max_linger_bytes) return self->linger();
          self->disarm();
          beast::error_code ignored;
          beast::get_lowest_layer(self->stream_).close();
        });
  }

  void remove_upload() {
    if (out_.is_open()) out_.close();
    if (req_.form.dir.empty()) return;
    std::error_code ec;
    fs::remove_all(req_.form.dir, ec);  // what a handler kept, it moved out already
    req_.form.dir.clear();
  }

  std::shared_ptr<net::io_context> ioc_;  ///< first: outlives the stream and the timer
  std::shared_ptr<server::impl> srv_;
  Stream stream_;
  net::steady_timer timer_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  request req_;
  const route* route_ = nullptr;
  std::chrono::steady_clock::time_point begun_ = std::chrono::steady_clock::now();
  bool keep_alive_ = false;
  bool close_after_ = false;
  bool counted_ = false;
  bool timed_out_ = false;
  bool lingering_ = false;
  std::size_t lingered_ = 0;
  uint64_t generation_ = 0;
  int64_t limit_ = 0;
  std::string limit_key_;
  int64_t body_bytes_ = 0;
  std::optional<multipart_parser> form_;
  std::string current_field_;
  bool in_file_ = false;
  std::ofstream out_;
  std::ifstream file_;
  uint64_t file_left_ = 0;
  std::optional<bhttp::response<bhttp::buffer_body>> file_res_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> file_sr_;
  char chunk_[chunk_size];
};

}  // namespace

void server::impl::accept() {
  acceptor->async_accept(net::make_strand(*ioc), [self = shared_from_this()](beast::error_code ec,
                                                                             tcp::socket s) {
    if (self->stopped) return;
    if (!ec) {
      beast::error_code e2;
      auto remote = s.remote_endpoint(e2);
      std::string peer = e2 ? "?" : remote.address().to_string();
      try {
        if (self->tls) {
          std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(
              self,
              beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *self->tls),
              peer)
              ->run();
        } else {
          std::make_shared<connection<beast::tcp_stream>>(self, beast::tcp_stream(std::move(s)),
                                                          peer)
              ->run();
        }
      } catch (const std::exception& e) {
        spdlog::warn("http: connection from {} failed: {}", peer, trust::log_text(e.what(), 200));
      }
    }
    self->accept();
  });
}

server::server(server_options options, router routes, server_hooks hooks, work_pool& work)
    : impl_(std::make_shared<impl>(std::move(options), std::move(routes), std::move(hooks), work)) {
}

server::~server() { stop(); }

uint16_t server::start() {
  auto& o = impl_->options;
  const std::string where = o.host + ":" + std::to_string(o.port);
  try {
    if (o.tls) {
      impl_->tls.emplace(ssl::context::tls_server);
      impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                              ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.cert_file);
      impl_->tls->use_private_key_file(o.key_file, ssl::context::pem);
    }
    auto address = net::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host);
    tcp::endpoint ep{address, o.port};
    impl_->acceptor.emplace(*impl_->ioc);
    impl_->acceptor->open(ep.protocol());
    impl_->acceptor->set_option(net::socket_base::reuse_address(true));
    impl_->acceptor->bind(ep);
    impl_->acceptor->listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve HTTP on " + where + ": " + e.what());
  }
  const auto port = impl_->acceptor->local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < std::max(1, o.threads); ++i)
    impl_->threads.emplace_back([ioc = impl_->ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: I/O thread: {}", trust::log_text(e.what(), 200));
        }
      }
    });
  return port;
}

void server::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  net::post(*impl_->ioc, [impl = impl_] {
    beast::error_code ignored;
    if (impl->acceptor) impl->acceptor->close(ignored);
  });
  impl_->ioc->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace weft::http
