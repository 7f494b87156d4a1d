#pragma once

// Helpers shared by the config suites: fixture paths, fixture file modes, scratch topologies
// (in a temporary directory of tests/support).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "tests/support/child_process.hpp"

namespace weft::config::test {

inline std::string fixture(const std::string& name) {
  return std::string(WEFT_SOURCE_DIR) + "/tests/config/fixtures/" + name;
}

/// Git does not keep file modes: make the fixture secrets private (0600) and the one meant
/// to be too open 0644, as the fixtures' README says.
inline void set_fixture_modes() {
  for (const char* name : {"secret.txt", "db.password", "empty.secret", "short.secret",
                           "tls-node.key", "tls-master.key"})
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
using scratch_dir = weft::test::temp_dir;

/// A scratch directory with a private `secret` file and `weft.toml` holding `topology`.
struct scratch_topology {
  explicit scratch_topology(const std::string& topology) {
    dir.write("secret", "s3cret-value-0123456789\n");
    path = dir.write("weft.toml", topology, 0644);
  }
  scratch_dir dir;
  std::string path;
};

}  // namespace weft::config::test
