#pragma once

// Helpers shared by the config suites: fixture paths, fixture file modes, scratch topologies.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace weft::config::test {

inline std::string fixture(const std::string& name) {
  return std::string(WEFT_SOURCE_DIR) + "/tests/config/fixtures/" + name;
}

/// Git does not keep file modes: make the fixture secrets private (0600) and the one meant
/// to be too open 0644, as the fixtures' README says.
inline void set_fixture_modes() {
  for (const char* name : {"secret.txt", "db.password", "empty.secret"})
    if (::chmod(fixture(name).c_str(), 0600) != 0)
      throw std::runtime_error("cannot chmod fixture " + fixture(name));
  if (::chmod(fixture("open.secret").c_str(), 0644) != 0)
    throw std::runtime_error("cannot chmod fixture open.secret");
}

/// Boost.Test global fixture: sets the fixture modes once per test binary.
struct fixture_modes {
  fixture_modes() { set_fixture_modes(); }
};

/// A private temporary directory, removed with its contents when the object goes away.
class scratch_dir {
 public:
  scratch_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "weft-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  /// Writes `contents` to `name` in the directory with `mode`; returns the full path.
  std::string write(const std::string& name, const std::string& contents,
                    mode_t mode = 0600) const {
    const auto file = (path_ / name).string();
    std::ofstream(file, std::ios::binary | std::ios::trunc) << contents;
    if (::chmod(file.c_str(), mode) != 0) throw std::runtime_error("chmod failed");
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace weft::config::test
