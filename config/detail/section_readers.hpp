#pragma once

// Config-internal: the readers of the `[scheduler]` and `[cleanup]` tables, shared by the
// topology loader and by run-time changes (config/runtime_settings.hpp), so that a value
// set on a running cluster passes exactly the checks the topology file does.

#include "config/detail/table_reader.hpp"
#include "config/settings.hpp"

namespace weft::config::detail {

/// Reads `[scheduler]` (with `[scheduler.merge]` and `[scheduler.weaver]`) of `root` into
/// `s.scheduler`, each key through its descriptor (config/known_keys.hpp). Only keys present in
/// the table are overwritten; cross-key checks (max_records_small < min_records_large,
/// min_batch_size <= max_batch_size) compare against the current values of `s` for keys the
/// table does not set. An absent table changes nothing.
/// @throws config_error naming the offending key; `s` may then be partly updated.
void read_scheduler(const table_reader& root, settings& s);

/// Reads `[cleanup]` (with `[cleanup.retain]`) of `root` into `s.cleanup`, as read_scheduler
/// does. `schedule` and `interval` exclude each other: setting one clears the other.
/// @throws config_error naming the offending key; `s` may then be partly updated.
void read_cleanup(const table_reader& root, settings& s);

}  // namespace weft::config::detail
