#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

namespace weft::document {

/// Bounds on compiling and rendering one template, so that a hostile template or record fails
/// with an error instead of exhausting a node's stack, memory or time (docs/jobs.md#limits;
/// the `[jobs]` keys of the same names).
struct template_limits {
  /// Most sections nested in one template or partial; deeper ones are refused at compile time
  /// with their line and column (`jobs.max_section_depth`).
  std::size_t max_section_depth = 100;
  /// Most partials nested while one record renders (`jobs.max_partial_depth`).
  std::size_t max_partial_depth = 10;
  /// Most bytes one record may render to (`jobs.max_record_output`).
  std::size_t max_record_output = 16u * 1024u * 1024u;
};

/// Rendering one record went past a template_limits bound, or the render check stopped it.
/// what() names the limit ("renders to more than 16777216 bytes (jobs.max_record_output)").
class render_limit_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Called every few thousand steps while a record renders (each section item, each variable
/// and partial), so that a long render can be stopped: it throws to stop the render (the
/// exception leaves render()), and returns to let it go on.
using render_check = std::function<void()>;

}  // namespace weft::document
