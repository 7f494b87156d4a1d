#pragma once

// The REST API's way into the node's actors (docs/api.md): the one
// translation unit that joins the CAF-free HTTP library (actors/http/) and
// CAF. Like a client's session, it asks the node's actors as itself, every
// request with a timeout; what only the master can do, the node's inspector
// forwards over the cluster as it does the shell's commands.

#include <caf/fwd.hpp>
#include <memory>
#include <string>

#include "actors/http/routes.hpp"
#include "actors/node_context.hpp"

namespace weft::actors {

class http_bridge final : public http::node_link {
 public:
  /// Spawns the bridge's actor. `scheduler` is null on an extension.
  http_bridge(caf::actor_system& sys, const node_context& ctx, const caf::actor& inspector,
              const caf::actor& scheduler);
  ~http_bridge() override;

  void ask(const std::string& command, const std::string& args_json,
           std::function<void(bool ok, std::string text)> done) override;
  void submitted(int64_t job, const std::string& options_json, int64_t mapped_records) override;

  /// The bridge's actor, for the node to stop with its others.
  const caf::actor& actor() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace weft::actors
