#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/node_context.hpp"
#include "config/settings.hpp"

namespace weft::runtime {

/// Sets up the process-wide spdlog logger: level from `[log].level`, lines to
/// stderr and, when `[log].file` is set, appended to that file, which rotates at
/// `[log].max_size` bytes keeping `max_files` old ones; the most recent
/// lines are also kept in memory for remote inspection (`logs NODE`).
/// Throws std::runtime_error when the log file cannot be opened.
void init_logging(const config::log_settings& log, const std::string& node_name);

/// Logging for the client commands (`check`, `submit`, `render`): warnings and
/// errors to stderr only, no ring buffer.
void init_client_logging(const std::string& level = "warn");

/// A formatted log line of this process and its number (numbers only grow).
using log_line = actors::log_line;

/// This process's log lines numbered above `after` that are still in memory
/// (the last 2000), at most `max`, oldest first.
std::vector<log_line> recent_log_lines(int64_t after, std::size_t max);

/// Flushes and drops all sinks; call before the process exits.
void shutdown_logging();

}  // namespace weft::runtime
