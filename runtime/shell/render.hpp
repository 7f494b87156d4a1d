#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "runtime/shell/table.hpp"

namespace weft::shell {

/// A progress bar of `width` cells and the percentage, e.g.
/// `[#######.....]  62%`. `fraction` is clamped to [0, 1].
std::string progress_bar(double fraction, int width = 12);

/// How far a job is, from 0 to 1: merging counts as the first half (records
/// merged of the records, or merge batches done), weaving as the second
/// (weave batches done). Empty when the job is not running (done, failed,
/// cancelled, or unknown).
std::optional<double> job_progress(const nlohmann::json& job);

/// The colour of a node, engine, job or sweep state: up, idle, done: green;
/// lost, failed: red; draining, standby, cancelled: yellow; busy and running
/// job states: cyan.
colour state_colour(std::string_view state);

/// 1536 → "1.5 KiB".
std::string format_bytes(double bytes);
/// 1500 → "1.5 s"; 120 → "120 ms"; 90000 → "1.5 min".
std::string format_millis(double ms);

/// Prints the answer of inspection `command` (the wire name: nodes,
/// engines, capacity, actors, jobs, job, cancel, settings, set, drain,
/// undrain, locks, cleanup_status, cleanup_run, config) for a person.
/// Fields the node left out print as "-". `logs` is printed by the session.
/// @throws nlohmann::json::exception when the answer has another shape.
void render_answer(const std::string& command, const nlohmann::json& answer, std::ostream& out,
                   bool colour_enabled);

}  // namespace weft::shell
