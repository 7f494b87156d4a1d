// weft_scheduler_sim: one run of the scheduler simulation (scheduler_sim.hpp),
// printed as a row of docs/benchmark.md's table. scripts/bench_sim.sh runs the
// matrix.
//
//   weft_scheduler_sim [--nodes N] [--merge M] [--weaver W] [--records R]
//                      [--medium-jobs 8] [--small-jobs 32] [--work-us U] [--record-us R]
//                      [--store-us LO-HI] [--prefetch P] [--deadline-s S] [--header]

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "tests/bench/scheduler_sim.hpp"

namespace {

int64_t number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    auto v = std::stoll(text, &used);
    if (used != text.size() || v < 0) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    throw std::invalid_argument(flag + ": '" + text + "' is not a number ≥ 0");
  }
}

void header() {
  std::printf(
      "| nodes | engines | records | batches | run s | decisions/s | grant p50 µs | grant p99 µs "
      "| (n) | first grant p50/p99 µs | all p50/p99 µs | mailbox max | mailbox mean | peak RSS MB "
      "| ok |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|\n");
}

}  // namespace

int main(int argc, char** argv) {
  weft::bench::sim_options o;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--header") {
        header();
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(a + ": needs a value (or unknown option)");
      std::string v = argv[++i];
      if (a == "--nodes")
        o.nodes = static_cast<int>(number(a, v));
      else if (a == "--merge")
        o.merge_per_node = static_cast<int>(number(a, v));
      else if (a == "--weaver")
        o.weaver_per_node = static_cast<int>(number(a, v));
      else if (a == "--records")
        o.records = number(a, v);
      else if (a == "--medium-jobs")
        o.medium_jobs = static_cast<int>(number(a, v));
      else if (a == "--small-jobs")
        o.small_jobs = static_cast<int>(number(a, v));
      else if (a == "--prefetch")
        o.prefetch = static_cast<int>(number(a, v));
      else if (a == "--record-us")
        o.record_us = static_cast<double>(number(a, v));
      else if (a == "--work-us")
        o.work = std::chrono::microseconds(number(a, v));
      else if (a == "--deadline-s")
        o.deadline = std::chrono::seconds(number(a, v));
      else if (a == "--store-us") {
        auto dash = v.find('-');
        if (dash == std::string::npos) throw std::invalid_argument(a + ": expected LO-HI");
        o.store_min = std::chrono::microseconds(number(a, v.substr(0, dash)));
        o.store_max = std::chrono::microseconds(number(a, v.substr(dash + 1)));
        if (o.store_max < o.store_min) throw std::invalid_argument(a + ": HI < LO");
      } else
        throw std::invalid_argument("unknown option " + a);
    }
    if (o.prefetch > 64) throw std::invalid_argument("--prefetch: at most 64");
    if (o.nodes < 1 || o.merge_per_node < 1 || o.weaver_per_node < 1)
      throw std::invalid_argument("--nodes, --merge and --weaver must be at least 1");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft_scheduler_sim: %s\n", e.what());
    return 2;
  }
  o.abandon_on_deadline = true;
  o.report = [&o](const weft::bench::sim_result& r) {
    std::printf(
        "| %d | %d | %lld | %lld | %.2f | %.0f | %.0f | %.0f | %lld | %.0f / %.0f | %.0f / %.0f | "
        "%lld | %.1f | "
        "%.0f | %s |\n",
        o.nodes, r.engines, static_cast<long long>(o.records), static_cast<long long>(r.batches),
        r.seconds, r.decisions_per_s, r.p50_us, r.p99_us, static_cast<long long>(r.latency_samples),
        r.first_p50_us, r.first_p99_us, r.all_p50_us, r.all_p99_us,
        static_cast<long long>(r.mailbox_max), r.mailbox_mean, r.rss_peak_mb,
        r.ok ? "yes" : ("NO: " + r.error).c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "register %.2f s, mailbox samples %lld\n", r.register_s,
                 static_cast<long long>(r.mailbox_samples));
  };
  auto r = weft::bench::run_simulation(o);
  return r.ok ? 0 : 1;
}
