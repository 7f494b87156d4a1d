#pragma once

// The settings a node works with: its topology file plus what the operator
// changed on the run with the shell's `set` (stored in the `settings` table).

#include <memory>

#include "config/settings.hpp"
#include "storage/settings_store.hpp"

namespace weft::planning {

/// `topology` with every stored override applied, in the order they were made.
/// An override the topology no longer allows (the file changed since) is
/// skipped with a warning; an unreadable table leaves the topology's values
/// (warned too): a node never fails to start because of a stored setting.
std::shared_ptr<const config::settings> effective_settings(const config::settings& topology,
                                                           storage::settings_store& store);

}  // namespace weft::planning
