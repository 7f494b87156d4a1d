#pragma once

#include <chrono>
#include <string>

namespace weft::runtime {

/// Tells the service manager about the node's life (systemd's sd_notify; the
/// package's weft-node.service is `Type=notify`). Each call is a no-op when the
/// process was not started by systemd (no NOTIFY_SOCKET), so callers need not
/// check. Never throws; a failed notification is logged at debug level.

/// The node serves: it listens on its address(es). `status` is shown by
/// `systemctl status`.
void notify_ready(const std::string& status);

/// The node has begun to stop (SIGTERM or a requested stop).
void notify_stopping(const std::string& status);

/// systemd's watchdog interval (WatchdogSec=, passed as WATCHDOG_USEC); zero when the
/// watchdog is off or the process was not started by systemd.
std::chrono::microseconds watchdog_interval();

/// WATCHDOG=1: the node is alive. Send it at least every half interval, and only
/// after checking that the node works (its actors answer): systemd restarts a node
/// whose pings stop.
void notify_watchdog();

}  // namespace weft::runtime
