// Sample invoices and the exactly-once check (sample_invoices.hpp).
#include "tests/support/sample_invoices.hpp"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "tests/support/child_process.hpp"

namespace weft::test {

using namespace std::chrono_literals;

bool generate_invoices(int64_t count, const std::string& path, std::string& why) {
  auto r = run_command({GEN_INVOICES, "--count", std::to_string(count), "--out", path}, 300s);
  if (r.exit_code == 0) return true;
  why = "weft_gen_invoices failed (" + std::to_string(r.exit_code) + "): " + r.err;
  return false;
}

std::string invoices(int64_t count) {
  static temp_dir cache;
  static std::map<int64_t, std::string> made;
  auto m = made.find(count);
  if (m != made.end()) return m->second;
  auto path = cache.path() + "/invoices-" + std::to_string(count) + ".ndjson";
  std::string why;
  if (!generate_invoices(count, path, why)) throw std::runtime_error(why);
  made[count] = path;
  return path;
}

std::string invoice_template() {
  return std::string{WEFT_SOURCE_DIR} + "/actors/document/samples/invoice.mustache";
}

std::string invoice_number(int64_t n) {
  char id[32];
  std::snprintf(id, sizeof id, "INV-%06lld", static_cast<long long>(n));
  return id;
}

std::string exactly_once_problems(const std::map<std::string, int>& seen, int64_t records) {
  std::ostringstream problems;
  int shown = 0;
  auto note = [&](const std::string& what) {
    if (++shown <= 10) problems << what << "; ";
  };
  for (int64_t n = 1; n <= records; ++n) {
    auto id = invoice_number(n);
    auto i = seen.find(id);
    int times = i == seen.end() ? 0 : i->second;
    if (times != 1) note(id + " appears " + std::to_string(times) + " times");
  }
  for (const auto& [id, times] : seen) {
    int64_t n = 0;
    try {
      n = id.size() > 4 ? std::stoll(id.substr(4)) : 0;
    } catch (const std::exception&) {
    }
    if (n < 1 || n > records)
      note("unexpected invoice " + id + " (" + std::to_string(times) + "x)");
  }
  if (shown > 10) problems << "and " << (shown - 10) << " more";
  return problems.str();
}

void merge_counts(std::map<std::string, int>& a, const std::map<std::string, int>& b) {
  for (const auto& [k, v] : b) a[k] += v;
}

}  // namespace weft::test
