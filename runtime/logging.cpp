#include "runtime/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace weft::runtime {

namespace {

constexpr std::size_t ring_capacity = 2000;
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring;

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
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.file));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("log.file: cannot open '" + log.file + "': " + e.what());
    }
  }
  ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(ring_capacity);
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

std::vector<std::string> recent_log_lines(std::size_t n) {
  if (!ring) return {};
  return ring->last_formatted(n);
}

void shutdown_logging() {
  spdlog::shutdown();
  ring.reset();
}

}  // namespace weft::runtime
