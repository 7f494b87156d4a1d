#pragma once

// The payloads of the prefetch protocol (issue 15, docs/protocol.md "Engines and the
// scheduler"): several batches per grant and several finished batches per report, as
// JSON text (only CAF's built-in types cross the wire). The one place that reads and
// writes them: the engine, the scheduler and the tests' fixture all call these.

#include <string>
#include <vector>

#include "actors/planning/scheduling_policy.hpp"

namespace weft::planning {

/// A batch an engine reports finished. `accepted`: its fenced result was stored.
/// (A field for what else a result carries goes here, and in the two functions below.)
struct finished_batch {
  batch b;
  bool accepted = false;
};

/// Most entries a grant or a report may carry (a malformed or hostile peer's list is
/// refused beyond it; prefetch is at most 64).
constexpr std::size_t max_batches_per_message = 256;

/// `[{"job":1,"type":"merge","batch":0,"attempt":1,"first":1,"last":100}, …]`
std::string batches_to_json(const std::vector<batch>& batches);
/// @throws std::invalid_argument naming what is wrong (not a JSON array, a field missing
///         or of the wrong type, an unknown type, more than max_batches_per_message).
std::vector<batch> batches_from_json(const std::string& json);

/// `[{"job":1,"type":"merge","batch":0,"attempt":1,"accepted":true}, …]`
std::string finished_to_json(const std::vector<finished_batch>& finished);
/// @throws std::invalid_argument as batches_from_json.
std::vector<finished_batch> finished_from_json(const std::string& json);

}  // namespace weft::planning
