#pragma once

// The `[jobs]` limits (config/settings.hpp) as the document library takes them.

#include <cstddef>

#include "actors/document/template_limits.hpp"
#include "config/settings.hpp"

namespace weft::actors {

/// The template limits of `[jobs]`: used where a job's template is compiled (the session at
/// submit, the merge engines), so both refuse the same templates.
inline document::template_limits template_limits_of(const config::jobs_settings& jobs) {
  document::template_limits limits;
  limits.max_section_depth = static_cast<std::size_t>(jobs.max_section_depth);
  limits.max_partial_depth = static_cast<std::size_t>(jobs.max_partial_depth);
  limits.max_record_output = static_cast<std::size_t>(jobs.max_record_output);
  return limits;
}

}  // namespace weft::actors
