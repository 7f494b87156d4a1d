#include <iostream>

#include "actors/cleanup.hpp"
#include "config/config_error.hpp"
#include "config/topology.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"
#include "runtime/storage_spec.hpp"
#include "storage/database.hpp"
#include "storage/storage_error.hpp"

namespace weft::runtime {

int cmd_cleanup(const std::string& action, const std::string& config_file, const std::string& node,
                int limit) {
  config::settings s;
  try {
    // Only `run` sweeps as a node; history and leases need no node chosen.
    if (node.empty() && action != "run")
      s = config::load_topology_for_client(config_file);
    else
      s = config::load_topology(config_file,
                                node.empty() ? std::nullopt : std::optional<std::string>{node});
  } catch (const config::config_error& e) {
    std::cerr << "caf-node: config error: " << e.what() << "\n";
    return exit_usage;
  }
  try {
    auto db = storage::database::open(storage_spec(s.database), s.database.connect_timeout);
    actors::node_context ctx;
    ctx.settings = &s;
    ctx.db = db.get();
    if (action == "run") {
      auto json = actors::sweep_now(ctx);
      std::cout << json << std::endl;
      return json.find("\"status\":\"failed\"") == std::string::npos ? exit_ok : exit_failure;
    }
    if (action == "history") {
      std::cout << actors::sweep_history(ctx, limit) << std::endl;
      return exit_ok;
    }
    if (action == "leases") {
      std::cout << actors::lease_table(ctx) << std::endl;
      return exit_ok;
    }
    std::cerr << "caf-node: cleanup wants run, history or leases, not '" << action << "'\n";
    return exit_usage;
  } catch (const storage::storage_error& e) {
    std::cerr << "caf-node: database: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace weft::runtime
