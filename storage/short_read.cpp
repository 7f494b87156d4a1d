// Reads cut short (short_read.hpp).

#include "storage/short_read.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include "storage/storage_error.hpp"

namespace weft::storage {

namespace {
std::atomic<bool> armed{false};
std::mutex mutex;
std::map<std::string, int>& pending() {
  static std::map<std::string, int> m;
  return m;
}
}  // namespace

void require_complete_read(const std::string& what, std::int64_t got, std::int64_t expected) {
  if (expected >= 0 && got >= expected) return;
  throw storage_error(errc::unavailable, what + ": read " + std::to_string(got) + " of " +
                                             (expected < 0 ? std::string{"an unknown number of"}
                                                           : std::to_string(expected)) +
                                             " rows (the database answered only in part)");
}

void cut_reads_short_for_test(const std::string& read, int reads) {
  std::lock_guard<std::mutex> lock(mutex);
  pending()[read] = reads;
  armed = true;
}

namespace detail {
bool cut_short(const char* read) {
  if (!armed.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = pending().find(read);
  if (it == pending().end() || it->second <= 0) return false;
  --it->second;
  return true;
}
}  // namespace detail

}  // namespace weft::storage
