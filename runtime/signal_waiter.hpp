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

/// Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread. Call it first in
/// `main`'s command, before any thread starts (the log's flush thread is the
/// first): a thread started earlier would not block them, and a stop signal
/// the kernel delivered to it would kill the process instead of reaching
/// sigwait() (seen as exit 138 for SIGUSR1 in the refusal tests).
void block_stop_signals();

/// Asks the process's signal_waiter to return, with `code` as the exit code the
/// node should end with. Safe to call from any thread.
void request_stop(int code);

/// The exit code given to request_stop(), or -1 when none was.
int requested_exit_code();

}  // namespace weft::runtime
