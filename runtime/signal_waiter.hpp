#pragma once

#include <csignal>

namespace weft::runtime {

/// Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread (and in every
/// thread started after it) so that the main thread can wait for them with
/// sigwait(). Construct it before the actor system starts its threads.
/// SIGUSR1 is how the node asks itself to stop (see request_stop()).
class signal_waiter {
 public:
  signal_waiter();
  signal_waiter(const signal_waiter&) = delete;
  signal_waiter& operator=(const signal_waiter&) = delete;

  /// Waits until one of the signals arrives; returns its number.
  int wait();

 private:
  sigset_t set_;
};

/// Asks the process's signal_waiter to return, with `code` as the exit code the
/// node should end with. Safe to call from any thread.
void request_stop(int code);

/// The exit code given to request_stop(), or -1 when none was.
int requested_exit_code();

}  // namespace weft::runtime
