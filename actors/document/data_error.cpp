#include "actors/document/data_error.hpp"

#include <utility>

namespace weft::document {

namespace {

std::string format_message(const std::string& source, std::int64_t row, std::int64_t line,
                           const std::string& reason) {
  std::string msg = source + ": ";
  if (row > 0) {
    msg += "row " + std::to_string(row);
    if (line > 0) msg += " (line " + std::to_string(line) + ")";
    msg += ": ";
  } else if (line > 0) {
    msg += "line " + std::to_string(line) + ": ";
  }
  return msg + reason;
}

}  // namespace

data_error::data_error(std::string source, std::int64_t row, std::int64_t line, std::string reason)
    : std::runtime_error(format_message(source, row, line, reason)),
      source_(std::move(source)),
      row_(row),
      line_(line),
      reason_(std::move(reason)) {}

std::string number_overflow_reason(const std::string& what) {
  const auto open = what.find('\'');
  const auto close = what.rfind('\'');
  std::string number =
      open != std::string::npos && close > open ? what.substr(open + 1, close - open - 1) : "";
  if (number.size() > 40) number = number.substr(0, 40) + "...";
  return "number out of range: " + number;
}

}  // namespace weft::document
