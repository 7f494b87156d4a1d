#pragma once

#include <string>

#include "config/settings.hpp"

namespace weft::config {

/// The effective settings as TOML text: every field, defaults included, derived values
/// (database user/host/port/name, expected remote engines) and which node is this one
/// (`self`). The cluster secret and the database password are written as "<redacted>",
/// never their value; the paths of their files are shown.
std::string describe(const settings& s);

}  // namespace weft::config
