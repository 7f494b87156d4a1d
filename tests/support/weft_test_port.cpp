// weft_test_port [N] [--hold]: reserves N (default 1) test ports
// (tests/support/test_port.hpp) and prints one a line. With --hold it keeps them
// reserved until it gets SIGTERM or SIGINT (for the allocator's own test);
// without, the reservation ends with the process, so scripts use the shell
// function of scripts/test_port.sh instead, which holds the locks itself.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>

#include "tests/support/test_port.hpp"

int main(int argc, char** argv) {
  long count = 1;
  bool hold = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--hold") == 0) {
      hold = true;
    } else {
      char* end = nullptr;
      count = std::strtol(argv[i], &end, 10);
      if (*end != '\0' || count < 1 || count > 10000) {
        std::cerr << "usage: weft_test_port [N] [--hold]\n";
        return 2;
      }
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  try {
    for (long i = 0; i < count; ++i) std::cout << weft::test::reserve_port() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "weft_test_port: " << e.what() << "\n";
    return 1;
  }
  std::cout.flush();
  if (hold) {
    int sig = 0;
    sigwait(&stop, &sig);
  }
  return 0;
}
