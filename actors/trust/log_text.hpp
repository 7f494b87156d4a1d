#pragma once

// Peer-supplied text made safe for a log line: the one function every actor
// uses before it logs a name, role, version or message a peer sent.

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::trust {

/// `text` as one printable log fragment: control characters (newlines, ANSI
/// ESC, C1 controls), backslashes and bytes that are not UTF-8 become `\xNN`;
/// text longer than `max` bytes is cut at a character boundary and ends with
/// "…(N bytes)", N being the original size. Never throws anything but
/// std::bad_alloc.
std::string log_text(std::string_view text, std::size_t max = 64);

}  // namespace weft::trust
