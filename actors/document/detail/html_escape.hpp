#pragma once

#include <string>

namespace weft::document::detail {

/// `s` with & < > " ' replaced by entities, as the Mustache specification
/// escapes `{{x}}` (also used for the HTML writer's title).
std::string escape_html(const std::string& s);

}  // namespace weft::document::detail
