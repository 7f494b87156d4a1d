#pragma once

// The REST API's vocabulary (docs/api.md), without Beast or CAF: a request as
// the router hands it to a route's handler, the response the handler answers
// with, and the JSON error body every refusal uses. The server (server.hpp)
// turns Beast's messages into these and back.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace weft::http {

/// The longest `GET /v1/jobs/{id}?wait=S` holds its answer (docs/api.md).
inline constexpr std::chrono::seconds max_job_wait{10};

/// What a token may do (docs/api.md "Tokens"): `read` ⊂ `submit` ⊂ `admin`.
enum class scope { none, read, submit, admin };

/// "read", "submit", "admin" ("none" for scope::none).
const char* to_string(scope s) noexcept;
/// The scope named `text`; scope::none for anything else.
scope parse_scope(const std::string& text) noexcept;
/// Whether a token of scope `have` may call a route that needs `need`.
bool allows(scope have, scope need) noexcept;

/// The token a request was authenticated with.
struct caller {
  int64_t token_id = 0;
  std::string name;
  scope granted = scope::none;
};

/// What a multipart/form-data body (POST /v1/jobs) left behind: its files,
/// already written to `dir` (the upload area), and its small text fields.
struct upload {
  std::string dir;                                         ///< "" when the request had none
  std::map<std::string, std::string> fields;               ///< form field → value (text parts)
  std::vector<std::pair<std::string, std::string>> files;  ///< (form field, file name in dir)
  int64_t bytes = 0;                                       ///< file bytes written
};

/// One request, as a route's handler sees it.
struct request {
  std::string method;
  std::string path;                            ///< without the query
  std::map<std::string, std::string> query;    ///< decoded
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::map<std::string, std::string> params;   ///< the route's {placeholders}
  std::string body;                            ///< unless the route streams an upload
  upload form;                                 ///< the route streams an upload
  std::string peer;                            ///< the client's address
  caller who;                                  ///< after the token check

  /// The header `name` (lower case) or `fallback`.
  std::string header(const std::string& name, const std::string& fallback = "") const;
};

/// One response. Either `body` or, when `file_path` is set, `file_length`
/// bytes of that file from `file_offset`, streamed (never read whole).
struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string file_path;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
};

/// The error body: {"error":{"code":CODE,"message":MESSAGE}} with `status`.
/// Codes are stable (docs/api.md "Errors"); messages are for people.
response error(int status, const std::string& code, const std::string& message);

/// A JSON body with `status`.
response json_response(int status, std::string json_text);

/// Answers a request: called exactly once, from any thread.
using reply = std::function<void(response)>;

/// A route's handler. It must not block its thread for long (it runs on the
/// API's I/O threads): database and file work goes to `work` (server.hpp).
using handler = std::function<void(request&, reply)>;

}  // namespace weft::http
