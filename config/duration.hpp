#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace weft::config {

/// Parses a duration written as a non-negative integer and a unit: "250ms", "15s", "15m",
/// "24h", "2d". No sign, no fraction, no spaces, no unit-less numbers; the result must fit
/// in milliseconds. Returns nullopt for anything else ("", "15", "-1s", "1.5h", "10 parsecs").
std::optional<duration> parse_duration(std::string_view text);

/// Writes a duration in the largest unit that represents it exactly ("90s", "1500ms",
/// "2d"); zero is "0s". The result parses back to the same value with parse_duration.
std::string format_duration(duration value);

}  // namespace weft::config
