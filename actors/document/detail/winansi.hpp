#pragma once

#include <string>
#include <string_view>

namespace weft::document::detail {

/// Converts UTF-8 text to WinAnsi (Windows-1252), the encoding of the PDF base-14 fonts.
///
/// Characters WinAnsi lacks, and invalid UTF-8 bytes, become '?'. Tabs are kept; other control
/// characters (CR included) are dropped. The result never contains a NUL byte.
std::string utf8_to_winansi(std::string_view text);

}  // namespace weft::document::detail
