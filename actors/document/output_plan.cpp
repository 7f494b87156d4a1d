#include "actors/document/output_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace weft::document {

namespace {

const nlohmann::json* find_field(const nlohmann::json& value, const std::string& field) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(field);
  if (it != value.end()) return &*it;
  // Dotted names reach into nested objects ("customer.name").
  const nlohmann::json* v = &value;
  std::size_t from = 0;
  while (from <= field.size()) {
    const auto dot = field.find('.', from);
    const std::size_t stop = dot == std::string::npos ? field.size() : dot;
    if (!v->is_object()) return nullptr;
    auto f = v->find(field.substr(from, stop - from));
    if (f == v->end()) return nullptr;
    v = &*f;
    from = stop + 1;
  }
  return v;
}

std::string as_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

/// Sort key: class 0 (missing/null) < 1 (number) < 2 (text).
struct sort_key {
  int cls = 0;
  double number = 0;
  std::string text;
};

sort_key make_sort_key(const std::optional<nlohmann::json>& v) {
  sort_key k;
  if (!v || v->is_null()) return k;
  if (v->is_number()) {
    k.cls = 1;
    k.number = v->get<double>();
    return k;
  }
  k.text = as_text(*v);
  if (v->is_string() && !k.text.empty()) {
    const char* begin = k.text.c_str();
    char* end = nullptr;
    const double d = std::strtod(begin, &end);
    const bool blank_start = k.text[0] == ' ' || k.text[0] == '\t';
    if (end == begin + k.text.size() && std::isfinite(d) && !blank_start) {
      k.cls = 1;
      k.number = d;
      return k;
    }
  }
  k.cls = 2;
  return k;
}

bool operator<(const sort_key& a, const sort_key& b) {
  if (a.cls != b.cls) return a.cls < b.cls;
  if (a.cls == 1) return a.number < b.number;
  return a.text < b.text;
}

}  // namespace

output_plan::key output_plan::key_of(const record& r, const options& opts) {
  key k;
  k.record = r.number;
  if (!opts.sort_by.empty()) {
    if (const auto* v = find_field(r.value, opts.sort_by)) k.sort_value = *v;
  }
  if (!opts.group_by.empty()) {
    if (const auto* v = find_field(r.value, opts.group_by)) k.group_value = *v;
  }
  return k;
}

std::string output_plan::sanitize(const std::string& value) {
  std::string out;
  for (char c : value) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    if (keep) {
      out.push_back(c);
    } else if (out.empty() || out.back() != '_') {
      out.push_back('_');
    }
    if (out.size() >= 40) break;
  }
  // No leading dots (hidden files, "..").
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  if (out.empty() || out == "_") return "empty";
  return out;
}

output_plan output_plan::make(std::vector<key> keys, const options& opts) {
  output_plan plan;
  if (keys.empty()) return plan;
  if (!opts.sort_by.empty() && !keys.front().sort_value) {
    throw std::invalid_argument("sort_by: unknown field \"" + opts.sort_by +
                                "\" (not in the first record)");
  }
  if (!opts.group_by.empty() && !keys.front().group_value) {
    throw std::invalid_argument("group_by: unknown field \"" + opts.group_by +
                                "\" (not in the first record)");
  }
  std::vector<std::size_t> order(keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (!opts.sort_by.empty()) {
    std::vector<sort_key> sk;
    sk.reserve(keys.size());
    for (const auto& k : keys) sk.push_back(make_sort_key(k.sort_value));
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return sk[a] < sk[b]; });
  }
  const bool grouped = !opts.group_by.empty();
  std::string current_group;
  for (std::size_t i : order) {
    const std::string group =
        grouped && keys[i].group_value ? as_text(*keys[i].group_value) : std::string();
    const bool start =
        plan.segments_.empty() || (grouped && group != current_group) ||
        (opts.split_every > 0 && plan.segments_.back().records.size() >= opts.split_every);
    if (start) {
      segment s;
      s.index = plan.segments_.size() + 1;
      char number[24];
      std::snprintf(number, sizeof number, "%04zu", s.index);
      s.name = number;
      if (grouped) s.name += "-" + sanitize(group);
      s.group = group;
      plan.segments_.push_back(std::move(s));
      current_group = group;
    }
    plan.segments_.back().records.push_back(keys[i].record);
  }
  return plan;
}

}  // namespace weft::document
