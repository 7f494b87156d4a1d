// The inspection shell as a test reads a node's state (shell_client.hpp).
#include "tests/support/shell_client.hpp"

#include <stdexcept>

#include "tests/support/node_process.hpp"

namespace weft::test {

run_result shell(const shell_target& to, const std::string& command,
                 std::chrono::milliseconds timeout) {
  return run_command({caf_node_path(), "shell", "--connect", to.address, "--config", to.topology,
                      "--json", "-c", command},
                     timeout);
}

std::optional<nlohmann::json> shell_answer(const shell_target& to, const std::string& command,
                                           std::chrono::milliseconds timeout) {
  auto r = shell(to, command, timeout);
  if (r.exit_code != 0) return std::nullopt;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

nlohmann::json shell_json(const shell_target& to, const std::string& command) {
  auto r = shell(to, command);
  if (r.exit_code != 0)
    throw std::runtime_error("shell -c '" + command + "' via " + to.address + " exited " +
                             std::to_string(r.exit_code) + ": " + r.err + r.out);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("shell -c '" + command + "': not JSON: " + r.out);
  return j;
}

nlohmann::json find_by(const nlohmann::json& rows, const std::string& key,
                       const std::string& value) {
  if (!rows.is_array()) return nullptr;
  for (const auto& r : rows) {
    if (!r.is_object() || !r.contains(key)) continue;
    const auto& v = r[key];
    if (v.is_string() ? v.get<std::string>() == value : v.dump() == value) return r;
  }
  return nullptr;
}

}  // namespace weft::test
