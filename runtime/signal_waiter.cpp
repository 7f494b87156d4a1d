#include "runtime/signal_waiter.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace weft::runtime {

namespace {
std::atomic<int> stop_code{-1};
}

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}
}  // namespace

void block_stop_signals() {
  const auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_waiter::signal_waiter() : set_(stop_signals()) { block_stop_signals(); }

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
