#include "runtime/ops_routes.hpp"

#include <string>

#include "actors/metrics/registry.hpp"
#include "runtime/node_metrics.hpp"
#include "runtime/status_page.hpp"

namespace weft::runtime {

namespace {

void add_static(http::router& routes, const std::string& path) {
  http::route r;
  r.method = "GET";
  r.pattern = path;
  r.need = http::scope::none;
  r.run = [path](http::request&, http::reply done) {
    const auto* f = status_page_file(path);
    if (!f) {
      done(http::error(404, "not_found", "no such page"));
      return;
    }
    http::response res;
    res.status = 200;
    res.content_type = std::string{f->content_type};
    res.body = std::string{f->body};
    res.headers.emplace_back("Cache-Control", "no-cache");
    // The page talks to this node only; nothing may frame it.
    res.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; frame-ancestors 'none'");
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    done(std::move(res));
  };
  routes.add(std::move(r));
}

}  // namespace

void add_ops_routes(http::router& routes) {
  http::route m;
  m.method = "GET";
  m.pattern = "/metrics";
  m.need = http::scope::read;
  m.run = [](http::request&, http::reply done) {
    http::response res;
    try {
      res.status = 200;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = metrics_text();
    } catch (const std::exception& e) {
      res = http::error(500, "internal", std::string{"metrics: "} + e.what());
    }
    done(std::move(res));
  };
  routes.add(std::move(m));
  for (const char* path : {"/", "/index.html", "/status.js", "/status.css"})
    add_static(routes, path);
}

void observe_http_request(const std::string& route, const std::string& method, int status,
                          double seconds) {
  auto& r = metrics::global();
  r.counter_of("weft_http_requests_total",
               "API requests answered by this node, by route pattern, method and status.",
               {{"route", route}, {"method", method}, {"status", std::to_string(status)}})
      .inc();
  r.histogram_of("weft_http_request_duration_seconds", "Time this node took to answer a request.",
                 {{"route", route}})
      .observe(seconds);
}

}  // namespace weft::runtime
