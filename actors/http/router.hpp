#pragma once

// The REST API's one route table (docs/api.md): method, path pattern with
// {placeholders}, the scope a token needs, and the handler. Everything the
// server serves is a row here; the OpenAPI test walks the same rows.

#include <optional>
#include <string>
#include <vector>

#include "actors/http/api.hpp"

namespace weft::http {

struct route {
  std::string method;        ///< GET, POST, DELETE
  std::string pattern;       ///< "/v1/jobs/{id}"
  scope need = scope::read;  ///< scope::none: no token (health checks, the OpenAPI document)
  /// The body is multipart/form-data, streamed into the upload area as it
  /// arrives and bounded by `[limits]` max_upload_size (not read whole).
  bool streams_upload = false;
  handler run;
};

/// The routes, matched in the order they were added.
class router {
 public:
  void add(route r) { routes_.push_back(std::move(r)); }

  /// The outcome of matching a request line.
  struct match {
    const route* found = nullptr;  ///< null: see `path_known`
    std::map<std::string, std::string> params;
    bool path_known = false;  ///< a route has this path with another method (405)
  };
  match find(const std::string& method, const std::string& path) const;

  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

/// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space).
std::map<std::string, std::string> parse_query(const std::string& query);

/// Percent-decoding; invalid escapes are kept as they are.
std::string url_decode(const std::string& text);

}  // namespace weft::http
