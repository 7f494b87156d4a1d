#include "config/cron.hpp"

#include <array>
#include <bitset>
#include <cctype>
#include <ctime>
#include <stdexcept>
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

std::vector<std::string_view> cron_fields(std::string_view expression) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < expression.size()) {
    while (i < expression.size() && (expression[i] == ' ' || expression[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < expression.size() && expression[i] != ' ' && expression[i] != '\t') ++i;
    if (i > start) parts.push_back(expression.substr(start, i - start));
  }
  return parts;
}

// The values a checked field allows (index = value; day of week 7 is folded into 0).
std::bitset<64> allowed_values(std::string_view text, const field_spec& f) {
  std::bitset<64> allowed;
  for (auto item : split(text, ',')) {
    std::string_view base = item;
    int step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      step = value_of(item.substr(slash + 1), f);
    }
    int first = f.min;
    int last = f.max;
    if (base != "*") {
      const auto dash = base.find('-');
      first = value_of(base.substr(0, dash), f);
      // "N/STEP" runs from N to the end of the range, like Vixie cron.
      const bool stepped = item.find('/') != std::string_view::npos;
      last = dash != std::string_view::npos ? value_of(base.substr(dash + 1), f)
             : stepped                      ? f.max
                                            : first;
    }
    for (int v = first; v <= last; v += step) allowed.set(static_cast<std::size_t>(v));
  }
  if (f.max == 7 && allowed.test(7)) allowed.set(0);
  return allowed;
}

}  // namespace

std::chrono::system_clock::time_point next_fire(const std::string& expression,
                                                std::chrono::system_clock::time_point after) {
  using namespace std::chrono;
  if (auto problem = check_cron(expression)) throw std::invalid_argument(*problem);
  const auto parts = cron_fields(expression);
  std::bitset<64> allowed[5];
  for (std::size_t n = 0; n < 5; ++n) allowed[n] = allowed_values(parts[n], fields[n]);
  const bool dom_restricted = parts[2].front() != '*';
  const bool dow_restricted = parts[4].front() != '*';

  // Start at the first whole minute after `after`.
  auto t = floor<minutes>(after) + minutes(1);
  auto seconds = system_clock::to_time_t(time_point_cast<system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  const int give_up_year = tm.tm_year + 8;
  for (;;) {
    if (tm.tm_year > give_up_year) return system_clock::time_point::max();
    if (!allowed[3].test(static_cast<std::size_t>(tm.tm_mon + 1))) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = 0;
      tm.tm_min = 0;
    } else {
      const bool dom = allowed[2].test(static_cast<std::size_t>(tm.tm_mday));
      const bool dow = allowed[4].test(static_cast<std::size_t>(tm.tm_wday));
      const bool day = dom_restricted && dow_restricted ? (dom || dow)
                       : dom_restricted                 ? dom
                       : dow_restricted                 ? dow
                                                        : true;
      if (!day) {
        tm.tm_mday += 1;
        tm.tm_hour = 0;
        tm.tm_min = 0;
      } else if (!allowed[1].test(static_cast<std::size_t>(tm.tm_hour))) {
        tm.tm_hour += 1;
        tm.tm_min = 0;
      } else if (!allowed[0].test(static_cast<std::size_t>(tm.tm_min))) {
        tm.tm_min += 1;
      } else {
        return system_clock::from_time_t(timegm(&tm));
      }
    }
    // Normalise (timegm folds overflowing fields into the next unit) and refresh tm_wday.
    const std::time_t normal = timegm(&tm);
    gmtime_r(&normal, &tm);
  }
}

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
