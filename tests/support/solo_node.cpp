#include "tests/support/solo_node.hpp"

#include <stdexcept>

#include "tests/support/test_port.hpp"

namespace weft::test {

solo_node::solo_node(const std::string& tag)
    : dir(tag), port(reserve_port()), node("", dir.path()) {
  dir.write("cluster.secret", tag + "-test-secret-0123456789abcdef\n");
}

std::string solo_node::write_config() {
  config = dir.write("weft.toml", solo_topology("solo", port, extra_));
  return config;
}

void solo_node::start(const std::string& extra) {
  extra_ = extra;
  node_process::serving_check check;
  check.serves = [this] { return serves(); };
  check.move_port = [this] {
    port = reserve_port();
    return write_config();
  };
  auto why = node.start_serving(write_config(), check);
  if (!why.empty()) throw std::runtime_error(why);
}

}  // namespace weft::test
