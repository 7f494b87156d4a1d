#include "config/duration.hpp"

#include <cstdint>
#include <limits>

namespace weft::config {

namespace {

struct unit {
  std::string_view suffix;
  int64_t milliseconds;
};

// Largest first: format_duration picks the first unit that divides the value.
constexpr unit units[] = {
    {"d", 24LL * 3600 * 1000}, {"h", 3600LL * 1000}, {"m", 60LL * 1000}, {"s", 1000}, {"ms", 1},
};

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits == text.size()) return std::nullopt;
  const std::string_view suffix = text.substr(digits);
  for (const auto& u : units) {
    if (suffix != u.suffix) continue;
    const int64_t limit = std::numeric_limits<int64_t>::max() / u.milliseconds;
    int64_t count = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const int d = text[i] - '0';
      if (count > (limit - d) / 10) return std::nullopt;  // would overflow
      count = count * 10 + d;
    }
    return duration{count * u.milliseconds};
  }
  return std::nullopt;
}

std::string format_duration(duration value) {
  const int64_t ms = value.count();
  if (ms == 0) return "0s";
  for (const auto& u : units)
    if (ms % u.milliseconds == 0)
      return std::to_string(ms / u.milliseconds) + std::string(u.suffix);
  return std::to_string(ms) + "ms";  // not reached: every value divides by 1 ms
}

}  // namespace weft::config
