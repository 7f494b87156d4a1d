#include "actors/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace weft::metrics {

namespace {

void atomic_add(std::atomic<double>& a, double v) noexcept {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

bool valid_name(const std::string& n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest of %.15g..%.17g that reads back as the same double (0.1, not 0.1000…01).
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string escape_help(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string label_text(const labels& l, const std::string& extra_name = {},
                       const std::string& extra_value = {}) {
  if (l.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : l) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

const char* type_name(int k) {
  switch (k) {
    case 0:
      return "counter";
    case 2:
      return "histogram";
    default:
      return "gauge";
  }
}

}  // namespace

void counter::inc(double v) noexcept {
  if (!(v >= 0)) return;
  atomic_add(value_, v);
}

void gauge::inc(double v) noexcept { atomic_add(value_, v); }

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::logic_error("histogram buckets must ascend");
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void histogram::observe(double v) noexcept {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

uint64_t histogram::bucket_count(std::size_t i) const noexcept {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}

std::vector<double> duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

registry::family& registry::family_for(const std::string& name, kind k, const std::string& help) {
  if (!valid_name(name)) throw std::logic_error("invalid metric name: " + name);
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.k = k;
    it->second.help = help;
  } else if (it->second.k != k) {
    throw std::logic_error("metric " + name + " registered with two kinds");
  }
  return it->second;
}

counter& registry::counter_of(const std::string& name, const std::string& help, const labels& l) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& f = family_for(name, kind::counter, help);
  auto& s = f.by_key[label_text(l)];
  if (!s) {
    s = std::make_unique<series>();
    s->label_values = l;
    s->c = std::make_unique<counter>();
  }
  return *s->c;
}

gauge& registry::gauge_of(const std::string& name, const std::string& help, const labels& l) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& f = family_for(name, kind::gauge, help);
  auto& s = f.by_key[label_text(l)];
  if (!s) {
    s = std::make_unique<series>();
    s->label_values = l;
    s->g = std::make_unique<gauge>();
  }
  return *s->g;
}

histogram& registry::histogram_of(const std::string& name, const std::string& help, const labels& l,
                                  const std::vector<double>& upper_bounds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& f = family_for(name, kind::histogram, help);
  if (f.by_key.empty())
    f.bounds = upper_bounds;
  else if (f.bounds != upper_bounds)
    throw std::logic_error("histogram " + name + " registered with other buckets");
  auto& s = f.by_key[label_text(l)];
  if (!s) {
    s = std::make_unique<series>();
    s->label_values = l;
    s->h = std::make_unique<histogram>(upper_bounds);
  }
  return *s->h;
}

void registry::collector(const std::string& name, const std::string& help,
                         std::function<std::vector<sample>()> collect) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& f = family_for(name, kind::collected, help);
  f.help = help;
  f.collect = std::make_shared<std::function<std::vector<sample>()>>(std::move(collect));
}

std::string registry::expose() const {
  // Collectors run outside the lock (they may be slow: a database query).
  std::vector<std::pair<std::string, std::shared_ptr<std::function<std::vector<sample>()>>>> todo;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, f] : families_)
      if (f.k == kind::collected && f.collect) todo.emplace_back(name, f.collect);
  }
  std::map<std::string, std::vector<sample>> collected;
  int errors = 0;
  for (const auto& [name, fn] : todo) {
    try {
      collected[name] = (*fn)();
    } catch (...) {
      ++errors;
    }
  }
  if (errors > 0)
    const_cast<registry*>(this)
        ->counter_of(
            "weft_metrics_collect_errors_total",
            "Scrape-time collectors that failed (their family is left out of that scrape).")
        .inc(errors);

  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, f] : families_) {
    if (f.k == kind::collected && !collected.count(name)) continue;
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + type_name(static_cast<int>(f.k)) + "\n";
    if (f.k == kind::collected) {
      for (const auto& s : collected[name])
        out += name + label_text(s.label_values) + " " + number(s.value) + "\n";
      continue;
    }
    for (const auto& [key, s] : f.by_key) {
      if (f.k == kind::counter) {
        out += name + key + " " + number(s->c->value()) + "\n";
      } else if (f.k == kind::gauge) {
        out += name + key + " " + number(s->g->value()) + "\n";
      } else {
        const auto& h = *s->h;
        uint64_t cumulative = 0;
        for (std::size_t i = 0; i < h.upper_bounds().size(); ++i) {
          cumulative += h.bucket_count(i);
          out += name + "_bucket" + label_text(s->label_values, "le", number(h.upper_bounds()[i])) +
                 " " + std::to_string(cumulative) + "\n";
        }
        cumulative += h.bucket_count(h.upper_bounds().size());
        out += name + "_bucket" + label_text(s->label_values, "le", "+Inf") + " " +
               std::to_string(cumulative) + "\n";
        out += name + "_sum" + key + " " + number(h.sum()) + "\n";
        out += name + "_count" + key + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

registry& global() {
  static registry r;
  return r;
}

}  // namespace weft::metrics
