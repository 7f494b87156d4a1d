#include "config/config_error.hpp"

#include <utility>

namespace weft::config {

config_error::config_error(std::string file_, int line_, int column_, std::string key_,
                           std::string reason_)
    : std::runtime_error(format(file_, line_, column_, key_, reason_)),
      file(std::move(file_)),
      line(line_),
      column(column_),
      key(std::move(key_)),
      reason(std::move(reason_)) {}

std::string config_error::format(const std::string& file, int line, int column,
                                 const std::string& key, const std::string& reason) {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ':' + std::to_string(line);
      if (column > 0) out += ':' + std::to_string(column);
    }
    out += ": ";
  } else if (line > 0) {
    out += "line " + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
    out += ": ";
  }
  if (!key.empty()) out += key + ": ";
  out += reason;
  return out;
}

}  // namespace weft::config
