#include "runtime/shell/shell_backend.hpp"

#include <iostream>

namespace weft::shell {

int shell_backend::submit(const std::vector<std::string>&) {
  std::cerr << "error: submit is not available on this connection\n";
  return 1;
}

}  // namespace weft::shell
