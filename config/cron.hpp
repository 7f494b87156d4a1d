#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace weft::config {

/// Checks a five-field cron expression "MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK".
/// Each field is a comma-separated list of `*`, `N` or `N-M`, each optionally followed by
/// `/STEP`; ranges are 0-59, 0-23, 1-31, 1-12 (or jan..dec), 0-7 (or sun..sat; 0 and 7 are
/// Sunday). Returns nullopt when the expression is valid, else what is wrong with it.
std::optional<std::string> check_cron(std::string_view expression);

}  // namespace weft::config
