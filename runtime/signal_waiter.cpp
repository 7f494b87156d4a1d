#include "runtime/signal_waiter.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace weft::runtime {

namespace {
std::atomic<int> stop_code{-1};
}

signal_waiter::signal_waiter() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int signal_waiter::wait() {
  int sig = 0;
  while (sigwait(&set_, &sig) != 0) {
  }
  return sig;
}

void request_stop(int code) {
  int expected = -1;
  stop_code.compare_exchange_strong(expected, code);
  kill(getpid(), SIGUSR1);
}

int requested_exit_code() { return stop_code.load(); }

}  // namespace weft::runtime
