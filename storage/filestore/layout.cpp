#include "storage/filestore/layout.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>

namespace weft::filestore {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view part_suffix = ".part";

/// Digits only, not empty, at most `max_digits` of them (so the value fits).
std::optional<int64_t> digits(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

/// A batch or attempt number: fits an int.
std::optional<int> number(std::string_view text) {
  auto n = digits(text, 9);
  if (!n) return std::nullopt;
  return static_cast<int>(*n);
}

constexpr std::size_t writer_tag_size = 16;  // hex digits

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// "<final>.<16 hex>.part" (or the older "<final>.part") → "<final>"; other names unchanged.
std::string_view strip_part(std::string_view name) {
  if (name.size() <= part_suffix.size() ||
      name.substr(name.size() - part_suffix.size()) != part_suffix)
    return name;
  name.remove_suffix(part_suffix.size());
  if (name.size() > writer_tag_size + 1 && name[name.size() - writer_tag_size - 1] == '.' &&
      is_hex(name.substr(name.size() - writer_tag_size)))
    name.remove_suffix(writer_tag_size + 1);
  return name;
}

/// 16 hex digits that no other writer — in this process or another, on this machine or
/// another sharing the file store — uses at the same time: a random 64-bit start per
/// process plus a counter.
std::string writer_tag() {
  static const uint64_t start = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ (static_cast<uint64_t>(::getpid()) << 16);
  }();
  static std::atomic<uint64_t> next{0};
  char buf[writer_tag_size + 1];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(start + next.fetch_add(1)));
  return buf;
}

std::string in_job(const std::string& root, int64_t job, std::string_view rest) {
  return job_dir(root, job) + "/" + std::string{rest};
}

}  // namespace

std::string jobs_dir(const std::string& root) { return root + "/jobs"; }

std::string job_dir(const std::string& root, int64_t job) {
  return jobs_dir(root) + "/" + std::to_string(job);
}

std::string input_dir(const std::string& root, int64_t job) {
  return root + "/" + input_dir_below_root(job);
}

std::string input_dir_below_root(int64_t job) { return "jobs/" + std::to_string(job) + "/input"; }

std::string resources_dir(const std::string& root, int64_t job) {
  return in_job(root, job, "resources");
}

std::string keys_path(const std::string& root, int64_t job) {
  return in_job(root, job, "keys.ndjson");
}

std::string plan_dir(const std::string& root, int64_t job) { return in_job(root, job, "plan"); }

std::string plan_path(const std::string& root, int64_t job, int64_t segment) {
  return plan_dir(root, job) + "/" + std::to_string(segment) + ".txt";
}

std::string content_path(const std::string& root, int64_t job, int batch_no, int attempt) {
  return in_job(root, job,
                "content/m" + std::to_string(batch_no) + ".a" + std::to_string(attempt) + ".bin");
}

std::string output_dir(const std::string& root, int64_t job) { return in_job(root, job, "out"); }

std::string output_file_name(const std::string& name, const std::string& segment, int attempt,
                             std::string_view extension) {
  std::string file = name + "-" + segment;
  if (attempt > 1) file += ".a" + std::to_string(attempt);
  return file + std::string{extension};
}

std::string uploads_dir(const std::string& root) { return root + "/uploads"; }

std::string upload_dir(const std::string& root, const std::string& token) {
  return uploads_dir(root) + "/" + token;
}

std::string upload_resources_dir(const std::string& root, const std::string& token) {
  return upload_dir(root, token) + "/resources";
}

std::string cluster_resources_dir(const std::string& root, const std::string& configured) {
  return root + "/" + configured;
}

std::string part_path(const std::string& path) {
  return path + "." + writer_tag() + std::string{part_suffix};
}

job_area area_of(std::string_view top) {
  if (top == "input") return job_area::input;
  if (top == "resources") return job_area::resources;
  if (top == "content") return job_area::content;
  if (top == "out") return job_area::out;
  if (top == "plan") return job_area::plan;
  return job_area::other;
}

std::optional<int64_t> parse_job_dir_name(std::string_view name) { return digits(name, 18); }

std::optional<file_attempt> parse_content_name(std::string_view file) {
  const auto name = strip_part(file);
  if (name.size() < 8 || name[0] != 'm' || name.substr(name.size() - 4) != ".bin")
    return std::nullopt;
  const auto core = name.substr(1, name.size() - 5);  // "<B>.a<A>"
  const auto dot = core.find(".a");
  if (dot == std::string_view::npos) return std::nullopt;
  auto b = number(core.substr(0, dot));
  auto a = number(core.substr(dot + 2));
  if (!b || !a) return std::nullopt;
  return file_attempt{*b, *a};
}

std::optional<file_attempt> parse_output_name(std::string_view file) {
  auto name = strip_part(file);
  const auto ext = name.rfind('.');
  if (ext == std::string_view::npos) return std::nullopt;
  name = name.substr(0, ext);
  int attempt = 1;
  if (const auto a = name.rfind(".a"); a != std::string_view::npos) {
    if (auto n = number(name.substr(a + 2))) {
      attempt = *n;
      name = name.substr(0, a);
    }
  }
  const auto dash = name.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto seg = number(name.substr(dash + 1));
  if (!seg || *seg < 1) return std::nullopt;
  return file_attempt{*seg - 1, attempt};
}

std::string relative_to_job(const std::string& stored, int64_t job) {
  const std::string marker = "jobs/" + std::to_string(job) + "/";
  const auto at = stored.rfind(marker);
  if (at == std::string::npos || (at > 0 && stored[at - 1] != '/')) return "";
  return fs::path(stored.substr(at + marker.size())).lexically_normal().string();
}

}  // namespace weft::filestore
