#pragma once

// Weft's metrics: counters, gauges and histograms with labels, and their
// Prometheus text exposition (docs/operations.md "Metrics"). No CAF, no I/O:
// actors, storage callers and the HTTP server all record into one process-wide
// registry; GET /metrics asks it for the text.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace weft::metrics {

/// A metric's labels, name → value, in the order given (each family keeps the
/// order its first series used). Values may hold any text: the exposition escapes.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A value that only grows (events, records, seconds spent). Thread-safe, lock-free.
class counter {
 public:
  /// Adds `v` (must be >= 0; negative values are ignored: a counter never falls).
  void inc(double v = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down (queue depth, engines in a state). Thread-safe.
class gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept;
  void dec(double v = 1.0) noexcept { inc(-v); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Observations counted into cumulative buckets (durations, round-trip times).
/// Thread-safe; observe() is a few relaxed atomic adds.
class histogram {
 public:
  /// `upper_bounds` ascending; +Inf is implied.
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;
  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  /// Count of observations <= upper_bounds()[i] (not cumulative; the exposition sums).
  uint64_t bucket_count(std::size_t i) const noexcept;
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the +Inf one)
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

/// Default buckets for durations in seconds: 1 ms .. 60 s.
std::vector<double> duration_buckets();

/// One sample reported by a collector at scrape time.
struct sample {
  labels label_values;
  double value = 0;
};

/// The process's metrics by name. Registration (counter(), gauge(), histogram())
/// takes a lock and returns a reference that stays valid for the registry's life:
/// hot paths look a series up once and keep the reference. Names follow
/// Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*); asking for one name with two
/// kinds, or a histogram with other buckets, throws std::logic_error (a
/// programmer's bug).
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  counter& counter_of(const std::string& name, const std::string& help, const labels& l = {});
  gauge& gauge_of(const std::string& name, const std::string& help, const labels& l = {});
  histogram& histogram_of(const std::string& name, const std::string& help, const labels& l = {},
                          const std::vector<double>& upper_bounds = duration_buckets());

  /// A gauge family whose samples are produced at scrape time by `collect`
  /// (values that live elsewhere, e.g. jobs by state in the database). It runs
  /// on the scraping thread, outside the registry's lock; an exception it throws
  /// drops the family from that scrape and counts in
  /// weft_metrics_collect_errors_total. Registering a name again replaces it.
  void collector(const std::string& name, const std::string& help,
                 std::function<std::vector<sample>()> collect);

  /// The Prometheus text exposition format (version 0.0.4) of every family,
  /// sorted by name. Never throws for a collector's failure.
  std::string expose() const;

 private:
  enum class kind { counter, gauge, histogram, collected };
  struct series {
    labels label_values;
    std::unique_ptr<counter> c;
    std::unique_ptr<gauge> g;
    std::unique_ptr<histogram> h;
  };
  struct family {
    kind k;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, std::unique_ptr<series>> by_key;  // key: the labels' text
    std::shared_ptr<std::function<std::vector<sample>()>> collect;
  };
  family& family_for(const std::string& name, kind k, const std::string& help);

  mutable std::mutex mutex_;  // guards families_ (not the values: those are atomics)
  std::map<std::string, family> families_;
};

/// The process-wide registry every module records into.
registry& global();

/// Escapes a label value for the exposition: backslash, double quote, newline.
std::string escape_label_value(const std::string& v);

}  // namespace weft::metrics
