#pragma once

// `[fonts].dirs` for a whole process: no Cairo or Pango headers, so the node's start-up
// (runtime/node.cpp) can call it without them.

#include <string>
#include <vector>

namespace weft::document::layout {

/// Adds the fonts of `dirs` to the process's current fontconfig configuration, which every
/// layout_engine made afterwards uses (Pango's font maps take the current configuration).
/// Call it once at start-up, before any layout_engine exists. @throws layout_error naming the
/// directory that fontconfig cannot add.
void add_process_font_dirs(const std::vector<std::string>& dirs);

}  // namespace weft::document::layout
