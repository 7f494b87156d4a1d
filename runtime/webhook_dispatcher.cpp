// The webhook dispatcher's loop and its HTTP client (Boost.Beast, plain or TLS),
// the one translation unit of the node that includes Beast's client headers.
#include "runtime/webhook_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "actors/http/tokens.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/planning/callback_url.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/trust/auth.hpp"
#include "actors/trust/log_text.hpp"
#include "storage/api_store.hpp"
#include "storage/job_store.hpp"
#include "storage/webhook_store.hpp"
#include "weft/version.hpp"

namespace weft::runtime {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

std::string hmac_hex(const std::string& key, const std::string& data) {
  return trust::hmac_sha256_hex(key, data);
}

/// 128 random bits in hex: a delivery's id, for the receiver's de-duplication.
std::string new_delivery_id() { return trust::make_nonce().substr(0, 32); }

/// What one attempt gave.
struct attempt_result {
  int status = 0;     ///< the receiver's status, 0 when it did not answer
  std::string error;  ///< "" when delivered (2xx)
};

template <class Stream>
attempt_result exchange(Stream& stream, const planning::callback_url& u,
                        const storage::webhook_delivery& d, const std::string& signature,
                        milliseconds timeout) {
  http::request<http::string_body> req{http::verb::post, u.target, 11};
  const bool default_port =
      (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
  std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  req.set(http::field::host, default_port ? host : host + ":" + std::to_string(u.port));
  req.set(http::field::user_agent, std::string{"weft/"} + weft::version);
  req.set(http::field::content_type, "application/json");
  req.set("X-Weft-Event", "job.finished");
  req.set("X-Weft-Delivery", d.delivery_id);
  req.set("X-Weft-Attempt", std::to_string(d.attempts + 1));
  req.set("X-Weft-Signature", signature);
  req.body() = d.body;
  req.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(timeout);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);  // the answer is not read beyond this
  http::read(stream, buffer, parser);
  attempt_result r;
  r.status = static_cast<int>(parser.get().result_int());
  if (r.status < 200 || r.status > 299)
    r.error = "the receiver answered " + std::to_string(r.status);
  return r;
}

attempt_result post(const storage::webhook_delivery& d, const std::string& signature,
                    milliseconds timeout) {
  std::string problem;
  auto u = planning::parse_callback_url(d.url, problem);
  if (!u) return {0, problem};
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(u->host, std::to_string(u->port));
    if (u->scheme == "http") {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      auto r = exchange(stream, *u, d, signature, timeout);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return r;
    }
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str()))
      return {0, "TLS: cannot set the server name"};
    stream.set_verify_callback(asio::ssl::host_name_verification(u->host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(asio::ssl::stream_base::client);
    auto r = exchange(stream, *u, d, signature, timeout);
    beast::error_code ignored;
    stream.shutdown(ignored);
    return r;
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

}  // namespace

std::string cluster_webhook_key(const std::string& cluster_secret) {
  return hmac_hex(cluster_secret, "weft webhook signing key v1");
}

std::string webhook_signature(const std::string& key, const std::string& body) {
  return "sha256=" + hmac_hex(key, body);
}

struct webhook_dispatcher::impl {
  storage::database& db;
  const config::settings& settings;
  const std::string key;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;

  impl(storage::database& d, const config::settings& s)
      : db(d), settings(s), key(cluster_webhook_key(s.cluster.secret)) {}

  /// The key that signs a delivery: the cluster-derived key for "cluster", the token's
  /// webhook secret for "token:ID" (derived from the cluster secret and the token's salt).
  /// A token without a salt (made before schema version 10) or unknown: the cluster key.
  std::string signing_key(const std::string& signing) {
    if (signing.rfind("token:", 0) != 0) return key;
    int64_t id = 0;
    try {
      id = std::stoll(signing.substr(6));
    } catch (const std::exception&) {
      return key;
    }
    auto salt = storage::api_store(db).webhook_salt(id);
    if (salt.empty()) return key;
    return ::weft::http::token_webhook_secret(settings.cluster.secret, salt);
  }

  /// Back-off before attempt n + 1 after n failed ones: first_retry doubling, capped.
  milliseconds backoff(int failed) const {
    const auto& w = settings.webhooks;
    milliseconds wait = std::chrono::duration_cast<milliseconds>(w.first_retry);
    const auto cap = std::chrono::duration_cast<milliseconds>(w.max_backoff);
    for (int i = 1; i < failed && wait < cap; ++i) wait *= 2;
    return std::min(wait, cap);
  }

  void count(const char* name, const char* help, const std::string& result) {
    metrics::global().counter_of(name, help, {{"result", result}}).inc();
  }

  /// One round: new deliveries for jobs that ended, then the due ones.
  void round() {
    storage::webhook_store store(db);
    storage::job_store jobs(db);
    for (const auto& c : store.undelivered_jobs(100)) {
      std::string url;
      try {
        url = planning::parse_job_options(c.options_json).callback_url;
      } catch (const std::exception&) {
        url.clear();
      }
      if (url.empty()) {  // no callback after all: only the request row goes
        store.create(c.job_id, "", "", "", c.signing, milliseconds(0));
        continue;
      }
      const auto id = new_delivery_id();
      nlohmann::json body{{"event", "job.finished"}, {"delivery_id", id}, {"job_id", c.job_id}};
      try {
        body["job"] = nlohmann::json::parse(planning::job_json(jobs, c.job_id));
        body["state"] = body["job"].value("state", "");
      } catch (const std::exception& e) {
        body["state"] = "unknown";
        body["error"] = e.what();
      }
      if (store.create(c.job_id, id, url, body.dump(), c.signing,
                       std::chrono::duration_cast<milliseconds>(settings.webhooks.retry_for)))
        spdlog::info("webhook: job {} ended: delivery {} to {}", c.job_id, id,
                     trust::log_text(url));
    }
    for (const auto& d : store.due(20)) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stop) return;
      }
      const auto started = std::chrono::steady_clock::now();
      auto r = post(d, webhook_signature(signing_key(d.signing), d.body),
                    std::chrono::duration_cast<milliseconds>(settings.webhooks.timeout));
      const auto took =
          std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
      const bool delivered = r.error.empty();
      const auto next = backoff(d.attempts + 1);
      store.record_attempt(d, delivered, r.status, r.error, took, next);
      count("weft_webhook_attempts_total",
            "Webhook delivery attempts by result (delivered, refused: the receiver answered "
            "non-2xx, unreachable: no answer).",
            delivered  ? "delivered"
            : r.status ? "refused"
                       : "unreachable");
      if (delivered) {
        spdlog::info("webhook: delivery {} of job {} delivered (attempt {}, {})", d.delivery_id,
                     d.job_id, d.attempts + 1, r.status);
      } else if (d.past_give_up) {
        count("weft_webhook_given_up_total", "Webhook deliveries given up after retry_for.",
              "failed");
        spdlog::error("webhook: delivery {} of job {} given up after {} attempts: {}",
                      d.delivery_id, d.job_id, d.attempts + 1, trust::log_text(r.error));
      } else {
        spdlog::warn("webhook: delivery {} of job {} attempt {} failed: {}; next in {} ms",
                     d.delivery_id, d.job_id, d.attempts + 1, trust::log_text(r.error),
                     next.count());
      }
    }
  }

  void run() {
    for (;;) {
      try {
        round();
      } catch (const std::exception& e) {
        metrics::global()
            .counter_of("weft_database_errors_total",
                        "Database operations that failed on this node, by component; each is "
                        "retried.",
                        {{"node", settings.this_node().name}, {"component", "webhooks"}})
            .inc();
        spdlog::warn("webhook: {}; retrying", trust::log_text(e.what()));
      }
      std::unique_lock<std::mutex> lock(mutex);
      // Polls the database twice a second: jobs end on any node's engines.
      if (wake.wait_for(lock, milliseconds(500), [this] { return stop; })) return;
    }
  }
};

webhook_dispatcher::webhook_dispatcher(storage::database& db, const config::settings& settings)
    : impl_(std::make_unique<impl>(db, settings)) {
  impl_->thread = std::thread([this] { impl_->run(); });
}

webhook_dispatcher::~webhook_dispatcher() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

}  // namespace weft::runtime
