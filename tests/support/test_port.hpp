#pragma once

// Loopback TCP ports for tests that cannot collide.
//
// A port handed out by reserve_port() is reserved for the rest of the process:
//
// * never handed out twice in the process;
// * exclusive across processes: each port has a lock file
//   (`$WEFT_TEST_PORT_DIR`, default /tmp/weft-test-ports, `PORT.lock`) that this
//   process holds with flock() until it exits. The descriptors are inherited by
//   the children the test starts, so a node that outlives its test (its test was
//   killed) still keeps its port reserved. scripts/test_port.sh takes the same
//   locks for the shell scripts (benchmarks, the disposable MariaDB);
// * outside the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range),
//   so no outgoing connection can be given it between the reservation and the
//   node's listen;
// * free when handed out: bind() to 127.0.0.1 without SO_REUSEADDR succeeded, so
//   a port another program (one that does not take our locks) listens on, or that
//   still has connections in TIME_WAIT, is skipped.
//
// A program that ignores the locks can still take a port after the check; the
// helpers that start caf-node (tests/support/node_runner.hpp) start it again on a
// new port when its listen fails.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft::test {

/// The port ranges reserve_port() chooses from: the registered ports from 10000
/// up to 65535 minus the ephemeral range; `ephemeral` is that range as the kernel
/// states it ({32768, 60999} when it cannot be read).
struct port_pool {
  std::pair<uint16_t, uint16_t> ephemeral;
  std::vector<std::pair<uint16_t, uint16_t>> ranges;  ///< inclusive
};
port_pool test_port_pool();

/// A port reserved for this process as described above. Throws std::runtime_error
/// when the whole pool is taken.
uint16_t reserve_port();

/// The directory of the lock files.
std::string test_port_lock_dir();

}  // namespace weft::test
