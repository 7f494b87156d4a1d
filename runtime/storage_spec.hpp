#pragma once

#include "config/settings.hpp"
#include "storage/database_spec.hpp"

namespace weft::runtime {

/// The storage module's connection spec for the validated `[database]`
/// settings (storage knows nothing of the config module).
storage::database_spec storage_spec(const config::database_settings& db);

}  // namespace weft::runtime
