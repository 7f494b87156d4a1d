#pragma once

// The operator's routes on the HTTP API (docs/operations.md): GET /metrics
// (Prometheus text, scope read) and the status page's static files at /,
// /status.js and /status.css (no token: they hold no data). Added to the API's
// route table by the node; no Beast, no CAF.

#include "actors/http/router.hpp"

namespace weft::runtime {

/// Adds the routes above to `routes`.
void add_ops_routes(http::router& routes);

/// Counts one answered API request in weft_http_requests_total and
/// weft_http_request_duration_seconds; `route` is the matched pattern
/// ("/v1/jobs/{id}"), or "unmatched".
void observe_http_request(const std::string& route, const std::string& method, int status,
                          double seconds);

}  // namespace weft::runtime
