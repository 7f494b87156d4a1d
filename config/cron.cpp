#include "config/cron.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace weft::config {

namespace {

struct field_spec {
  const char* name;
  int min;
  int max;
  std::array<const char*, 12> names;  // names[i] stands for min + i (months) or i (days)
};

const field_spec fields[] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month",
     1,
     12,
     {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
};

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// A number or (for month and day of week) a three-letter name; -1 when neither.
int value_of(std::string_view text, const field_spec& f) {
  if (text.empty() || text.size() > 3) return -1;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int v = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 12; ++i)
    if (f.names[i] != nullptr && lower == f.names[i]) return f.min == 1 ? i + 1 : i;
  return -1;
}

std::optional<std::string> check_field(std::string_view text, const field_spec& f) {
  const std::string where = std::string(f.name) + " field `" + std::string(text) + "`";
  const std::string range = std::to_string(f.min) + "-" + std::to_string(f.max);
  for (auto item : split(text, ',')) {
    if (item.empty()) return where + " has an empty list item";
    std::string_view base = item;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      const auto step = item.substr(slash + 1);
      bool digits = !step.empty() && step.size() <= 2;
      for (char c : step) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (!digits || value_of(step, f) < 1)
        return where + ": the step after `/` must be a positive number";
    }
    if (base == "*") continue;
    const auto dash = base.find('-');
    const auto first = value_of(base.substr(0, dash), f);
    if (first < f.min || first > f.max) return where + ": values must be in " + range;
    if (dash != std::string_view::npos) {
      const auto last = value_of(base.substr(dash + 1), f);
      if (last < f.min || last > f.max) return where + ": values must be in " + range;
      if (last < first) return where + ": the range runs backwards";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_cron(std::string_view expression) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < expression.size()) {
    while (i < expression.size() && (expression[i] == ' ' || expression[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < expression.size() && expression[i] != ' ' && expression[i] != '\t') ++i;
    if (i > start) parts.push_back(expression.substr(start, i - start));
  }
  if (parts.size() != 5)
    return "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), found " +
           std::to_string(parts.size());
  for (std::size_t n = 0; n < 5; ++n)
    if (auto problem = check_field(parts[n], fields[n])) return problem;
  return std::nullopt;
}

}  // namespace weft::config
