#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace weft::runtime {

/// Sets up the process-wide spdlog logger: level from `[log].level`, lines to
/// stderr and, when `[log].file` is set, appended to that file; the most recent
/// lines are also kept in memory for remote inspection (`logs NODE`).
/// Throws std::runtime_error when the log file cannot be opened.
void init_logging(const config::log_settings& log, const std::string& node_name);

/// Logging for the client commands (`check`, `submit`, `render`): warnings and
/// errors to stderr only, no ring buffer.
void init_client_logging(const std::string& level = "warn");

/// The last `n` formatted log lines of this process, oldest first.
std::vector<std::string> recent_log_lines(std::size_t n);

/// Flushes and drops all sinks; call before the process exits.
void shutdown_logging();

}  // namespace weft::runtime
