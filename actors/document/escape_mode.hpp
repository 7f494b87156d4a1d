#pragma once

namespace weft::document {

/// What `{{x}}` does to the value it inserts. `{{{x}}}` and `{{& x}}` never escape.
enum class escape_mode {
  html,  ///< & < > " ' become entities, as the Mustache specification says (HTML and PDF output,
         ///< whose templates are HTML)
  none,  ///< values are inserted as they are (txt output)
};

}  // namespace weft::document
