// `caf-node token create|list|revoke` (docs/api.md "Tokens"): the REST API's
// bearer tokens, written straight to the cluster's database.

#include <iostream>
#include <nlohmann/json.hpp>

#include "actors/http/router.hpp"
#include "actors/http/tokens.hpp"
#include "config/config_error.hpp"
#include "config/duration.hpp"
#include "config/topology.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"
#include "runtime/storage_spec.hpp"
#include "storage/api_store.hpp"
#include "storage/database.hpp"
#include "storage/storage_error.hpp"

namespace weft::runtime {

int cmd_token(const token_args& args) {
  config::settings s;
  try {
    s = config::load_topology_for_client(args.config_file);
  } catch (const config::config_error& e) {
    std::cerr << "caf-node: config error: " << e.what() << "\n";
    return exit_usage;
  }
  const bool create = args.action == "create", revoke = args.action == "revoke";
  if (!create && !revoke && args.action != "list") {
    std::cerr << "caf-node: token wants create, list or revoke, not '" << args.action << "'\n";
    return exit_usage;
  }
  if ((create || revoke) && args.name.empty()) {
    std::cerr << "caf-node: token " << args.action << " needs a NAME\n";
    return exit_usage;
  }
  std::chrono::milliseconds expires{0};
  if (create) {
    if (http::parse_scope(args.scope) == http::scope::none) {
      std::cerr << "caf-node: --scope must be submit, read or admin, not '" << args.scope << "'\n";
      return exit_usage;
    }
    if (!args.expires.empty()) {
      auto d = config::parse_duration(args.expires);
      if (!d || d->count() <= 0) {
        std::cerr << "caf-node: --expires: '" << args.expires
                  << "' is not a duration (\"90d\" is not one: use \"2160h\", \"30m\")\n";
        return exit_usage;
      }
      expires = *d;
    }
    if (args.name.size() > 100) {
      std::cerr << "caf-node: a token's name has at most 100 characters\n";
      return exit_usage;
    }
  }
  try {
    auto db = storage::database::open(storage_spec(s.database), s.database.connect_timeout);
    storage::api_store api(*db);
    if (create) {
      auto token = http::new_token();
      auto salt = http::new_webhook_salt();
      api.create(args.name, http::token_hash(token), args.scope, expires, salt);
      std::cout << token << "\n";
      std::cerr << "token '" << args.name << "' (scope " << args.scope
                << (expires.count() ? ", expires in " + config::format_duration(expires) : "")
                << ") created; it is shown only now: the database keeps its hash\n"
                << "webhook signing secret: " << http::token_webhook_secret(s.cluster.secret, salt)
                << "\n(the webhooks of jobs this token submits carry X-Weft-Signature: "
                   "sha256=HMAC-SHA256(this secret, body))\n";
      return exit_ok;
    }
    if (revoke) {
      if (!api.revoke(args.name)) {
        std::cerr << "caf-node: no valid token named '" << args.name << "'\n";
        return exit_failure;
      }
      std::cout << "token '" << args.name << "' revoked\n";
      return exit_ok;
    }
    auto out = nlohmann::json::array();
    for (const auto& t : api.list()) {
      std::string state = !t.revoked_at.empty() ? "revoked" : t.expired ? "expired" : "valid";
      out.push_back({{"name", t.name},
                     {"scope", t.scope},
                     {"created_at", t.created_at},
                     {"expires_at", t.expires_at},
                     {"revoked_at", t.revoked_at},
                     {"state", state}});
    }
    std::cout << nlohmann::json{{"tokens", out}}.dump(2) << std::endl;
    return exit_ok;
  } catch (const storage::storage_error& e) {
    std::cerr << "caf-node: " << (e.code == storage::errc::conflict ? "" : "database: ") << e.what()
              << "\n";
    return exit_failure;
  }
}

}  // namespace weft::runtime
