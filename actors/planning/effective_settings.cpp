#include "actors/planning/effective_settings.hpp"

#include <spdlog/spdlog.h>

#include "config/config_error.hpp"
#include "config/runtime_settings.hpp"
#include "storage/storage_error.hpp"

namespace weft::planning {

std::shared_ptr<const config::settings> effective_settings(const config::settings& topology,
                                                           storage::settings_store& store) {
  auto s = std::make_shared<config::settings>(topology);
  try {
    for (const auto& row : store.all()) {
      try {
        config::apply_setting(*s, row.name, row.value);
        spdlog::debug("setting {} = {} (set by {} at {})", row.name, row.value, row.set_by,
                      row.set_at);
      } catch (const config::config_error& e) {
        spdlog::warn("ignoring the stored setting {} = {}: {}", row.name, row.value, e.what());
      }
    }
  } catch (const storage::storage_error& e) {
    spdlog::warn("cannot read the stored settings (the topology's values apply): {}", e.what());
  }
  return s;
}

}  // namespace weft::planning
