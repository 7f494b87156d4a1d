#include "runtime/shell/history.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace weft::shell {

namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

/// libedit writes blanks as \040 (and a backslash as \134).
std::string unvis(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 2])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 3]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

history::history(std::string path, std::size_t max_entries)
    : path_(std::move(path)), max_(max_entries) {}

bool history::load() {
  std::ifstream in(path_);
  if (!in) return ::access(path_.c_str(), F_OK) != 0;  // missing: empty history
  bool libedit_format = false;
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (lines.empty() && !libedit_format && line == "_HiStOrY_V2_") {
      libedit_format = true;
      continue;
    }
    lines.push_back(libedit_format ? unvis(line) : line);
  }
  entries_.clear();
  for (auto& l : lines) add(l);
  return true;
}

bool history::add(const std::string& text) {
  if (text.empty() || blank(text)) return false;
  // Completion leaves a blank after the last word; `nodes ` is `nodes`.
  auto line = text.substr(0, text.find_last_not_of(" \t\r") + 1);
  line.erase(0, line.find_first_not_of(" \t"));
  if (!entries_.empty() && entries_.back() == line) return false;
  entries_.erase(std::remove(entries_.begin(), entries_.end(), line), entries_.end());
  entries_.push_back(line);
  if (entries_.size() > max_)
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(entries_.size() - max_));
  return true;
}

bool history::save() const {
  if (path_.empty()) return false;
  std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    for (const auto& e : entries_) out << e << "\n";
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string history::default_path() {
  const char* home = std::getenv("HOME");
  std::string dir = home != nullptr ? home : "";
  if (dir.empty())
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
      dir = pw->pw_dir;
  if (dir.empty()) return ".weft_history";
  return dir + "/.weft_history";
}

}  // namespace weft::shell
