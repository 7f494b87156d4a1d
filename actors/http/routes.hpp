#pragma once

// The REST API's routes (docs/api.md), in one table: what each does, without
// Beast or CAF. Database and file work runs on the work pool; what the node's
// actors know (the cluster's live state, cancelling, the master's scheduler)
// is asked through `node_link`, which actors/http_bridge.cpp implements by
// asking the node's inspector as the shell's commands do.

#include <functional>
#include <optional>
#include <string>

#include "actors/http/router.hpp"
#include "actors/http/server.hpp"
#include "config/settings.hpp"
#include "storage/database.hpp"

namespace weft::http {

/// What the API asks the node's actors.
class node_link {
 public:
  virtual ~node_link() = default;
  /// Asks the node's inspector (inspect, command, args_json) — the shell's
  /// commands, forwarded to the master where only it can answer — with
  /// `[http] request_timeout`. `done(ok, text)` is called once, from any
  /// thread: the JSON answer, or the error's text.
  virtual void ask(const std::string& command, const std::string& args_json,
                   std::function<void(bool ok, std::string text)> done) = 0;
  /// A job row was created on this node (queued): the master's scheduler is
  /// told at once; on an extension the master adopts the row within a second.
  /// `mapped_records`: records mapped at submission (planning::submission), 0 if none.
  virtual void submitted(int64_t job, const std::string& options_json, int64_t mapped_records) = 0;
};

/// What the routes work with. The pointees outlive the server.
struct api_context {
  const config::settings* settings = nullptr;
  storage::database* db = nullptr;
  work_pool* work = nullptr;
  node_link* link = nullptr;
};

/// Every route of the API.
router make_routes(const api_context& ctx);

/// The caller a bearer token names, if it is valid (blocks on the database).
std::optional<caller> authenticate(storage::database& db, const std::string& bearer);

/// The OpenAPI 3 document (docs/openapi.json, compiled in).
const std::string& openapi_document();

}  // namespace weft::http
