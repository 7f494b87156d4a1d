#include "runtime/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>
#include <stdexcept>

namespace weft::runtime {

namespace {

constexpr std::size_t ring_capacity = 2000;

/// The last `ring_capacity` formatted lines, each with a number that only
/// grows, so that `logs NODE -f` can ask for what follows the last line seen.
class numbered_ring_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<log_line> after(int64_t seq, std::size_t max) {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<log_line> out;
    auto first = lines_.begin();
    // Numbers are consecutive: jump to the first line after `seq`.
    if (!lines_.empty() && seq >= lines_.front().seq)
      first += std::min<int64_t>(seq - lines_.front().seq + 1, static_cast<int64_t>(lines_.size()));
    for (auto i = first; i != lines_.end() && out.size() < max; ++i) out.push_back(*i);
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string text(formatted.data(), formatted.size());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    lines_.push_back(log_line{++last_seq_, std::move(text)});
    if (lines_.size() > ring_capacity) lines_.pop_front();
  }
  void flush_() override {}

 private:
  std::deque<log_line> lines_;
  int64_t last_seq_ = 0;
};

std::shared_ptr<numbered_ring_sink> ring;

spdlog::level::level_enum parse_level(const std::string& level) {
  auto l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off")
    throw std::runtime_error("unknown log level '" + level + "'");
  return l;
}

}  // namespace

void init_logging(const config::log_settings& log, const std::string& node_name) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!log.file.empty()) {
    try {
      // Rotates before the file passes max_size: node.log → node.1.log → … →
      // node.<max_files>.log, the oldest deleted; a node never fills the disk.
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          log.file, static_cast<std::size_t>(log.max_size),
          static_cast<std::size_t>(log.max_files)));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("log.file: cannot open '" + log.file + "': " + e.what());
    }
  }
  ring = std::make_shared<numbered_ring_sink>();
  sinks.push_back(ring);
  auto logger = std::make_shared<spdlog::logger>(node_name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  logger->set_level(parse_level(log.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

void init_client_logging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>(
      "caf-node", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(parse_level(level));
  spdlog::set_default_logger(logger);
}

std::vector<log_line> recent_log_lines(int64_t after, std::size_t max) {
  if (!ring) return {};
  return ring->after(after, max);
}

void shutdown_logging() {
  spdlog::shutdown();
  ring.reset();
}

}  // namespace weft::runtime
