#pragma once

// What the libFuzzer harnesses share: taking choices and pieces out of the input bytes, and one
// private temporary directory per process for the harnesses that must go through files.
//
// Every harness defines LLVMFuzzerTestOneInput (docs/security-fuzzing.md); the replay driver
// (replay_main.cpp) and libFuzzer call it the same way.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace weft::fuzz {

/// The input bytes, consumed from the front: small choices first, then text.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte (0 when none is left).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  /// Text up to (not including) the next `separator`, which is consumed; everything left
  /// when there is none.
  std::string_view until(char separator) {
    auto at = rest_.find(separator);
    auto piece = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return piece;
  }

  /// Everything not consumed yet.
  std::string_view rest() {
    auto r = rest_;
    rest_ = {};
    return r;
  }

  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

/// A private directory under $TMPDIR (or /tmp), made on first use and removed when the process
/// exits normally. Harnesses write nothing anywhere else.
inline const std::filesystem::path& temp_dir() {
  struct dir {
    std::filesystem::path path;
    dir() {
      const char* base = std::getenv("TMPDIR");
      std::string pattern = std::string(base && *base ? base : "/tmp") + "/weft-fuzz-XXXXXX";
      if (!::mkdtemp(pattern.data())) std::abort();
      path = pattern;
    }
    ~dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static dir d;
  return d.path;
}

}  // namespace weft::fuzz
