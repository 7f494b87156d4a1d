#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace weft::config {

/// Checks a five-field cron expression "MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK".
/// Each field is a comma-separated list of `*`, `N` or `N-M`, each optionally followed by
/// `/STEP`; ranges are 0-59, 0-23, 1-31, 1-12 (or jan..dec), 0-7 (or sun..sat; 0 and 7 are
/// Sunday). Returns nullopt when the expression is valid, else what is wrong with it.
std::optional<std::string> check_cron(std::string_view expression);

/// The first minute strictly after `after` at which the cron expression fires, in UTC.
///
/// Fields are matched like Vixie cron: a time fires when minute, hour and month match and
/// the day matches; when both day fields are restricted (neither starts with `*`) the day
/// matches if either of them does, otherwise only the restricted one counts.
/// Returns `time_point::max()` when the expression never fires within eight years (for
/// example "0 0 30 2 *").
/// @throws std::invalid_argument when `check_cron` rejects the expression.
std::chrono::system_clock::time_point next_fire(const std::string& expression,
                                                std::chrono::system_clock::time_point after);

}  // namespace weft::config
