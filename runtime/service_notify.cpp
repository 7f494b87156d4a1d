// sd_notify from Debian's libsystemd, kept in this one file so that nothing else
// includes <systemd/sd-daemon.h>.
#include "runtime/service_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace weft::runtime {

namespace {

void notify(const std::string& state) {
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::debug("sd_notify failed: {}", rc);
}

/// STATUS= ends at a newline: keep the text on one line.
std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

void notify_ready(const std::string& status) { notify("READY=1\nSTATUS=" + one_line(status)); }

void notify_stopping(const std::string& status) {
  notify("STOPPING=1\nSTATUS=" + one_line(status));
}

std::chrono::microseconds watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::microseconds{0};
  return std::chrono::microseconds{static_cast<int64_t>(usec)};
}

void notify_watchdog() { notify("WATCHDOG=1"); }

}  // namespace weft::runtime
