#pragma once

// Settings the operator's shell may change on a running cluster (`set KEY VALUE`): the keys
// of `[scheduler]` and `[cleanup]`. A change is validated exactly like the topology file
// (docs/configuration.md, "Changing settings on a running cluster").

#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "config/settings.hpp"

namespace weft::config {

/// Every key `set` may change: the keys known_keys() marks `settable` (today every key of the
/// `scheduler` and `cleanup` tables), written as its full dotted name
/// ("scheduler.max_records_small", "scheduler.merge.parallel_per_job.large",
/// "scheduler.weaver.expected_remote", "cleanup.interval", "cleanup.schedule",
/// "cleanup.retain.jobs", ...), sorted. Tables
/// ("scheduler.merge", "cleanup.retain") are not keys: their keys are.
std::vector<std::string> settable_keys();

/// Whether `key` (a full dotted name) is one of settable_keys().
bool is_settable(const std::string& key);

/// The key's effective value in `s` as TOML value text: `4`, `true`, `"15m"`,
/// `"*/15 * * * *"` (strings and durations quoted as TOML strings, durations in the largest
/// exact unit). An unset optional (`expected_remote`, `interval`) and the schedule while an
/// interval is in use give "" (empty text, not a quoted empty string).
/// @throws config_error (file "set") when `key` is not settable.
std::string setting_value(const settings& s, const std::string& key);

/// Applies `value` to `s` with exactly the validation of the topology file: the same type,
/// range and cross-key checks, the cross-key ones against the other current values of `s`.
///
/// `value` is TOML value text (`4`, `"15m"`, `true`), or, when it is not one valid TOML value,
/// a bare word taken as a string (`15m`, `*/5 * * * *`); leading and trailing blanks are
/// ignored. Setting cleanup.interval clears cleanup.schedule and vice versa (in the file only
/// one of them may be given).
///
/// `s` is changed only when the value is accepted.
/// @throws config_error with file "set", line and column 0 (so `what()` reads
///         "set: KEY: REASON"), naming the key and the reason. An unknown key gets a "did you
///         mean" suggestion like the topology's unknown keys; a key of the topology that
///         cannot change at run time (`cluster.secret_file`, `node`, ...) and a table
///         (`scheduler.merge`) are refused with what to do instead.
void apply_setting(settings& s, const std::string& key, const std::string& value);

/// Where a settable key's value comes from when nothing was set at run time: "topology" when
/// the topology file `file` sets it, else "default". cleanup.schedule and cleanup.interval
/// count as set by the file when it sets either of them (one excludes the other). The file is
/// parsed, not validated.
/// @throws config_error when `file` cannot be read or is not TOML, or `key` is not settable.
std::string topology_source(const std::string& file, const std::string& key);

}  // namespace weft::config
