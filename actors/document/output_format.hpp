#pragma once

#include <optional>
#include <string_view>

#include "actors/document/escape_mode.hpp"

namespace weft::document {

/// The kinds of output file a job can produce.
enum class output_format {
  pdf,   ///< paginated A4 print output (pdf_writer)
  txt,   ///< plain text, documents separated by a form feed line (text_writer)
  html,  ///< one HTML5 page, one <article> per document (html_writer)
};

/// "pdf", "txt" or "html"; nullopt for anything else.
std::optional<output_format> parse_output_format(std::string_view name);

/// "pdf", "txt" or "html".
std::string_view to_string(output_format format);

/// The file name extension, with its dot: ".pdf", ".txt" or ".html".
std::string_view extension(output_format format);

/// The escaping `{{x}}` should use for this output: html for html, none for the plain-text
/// outputs (where "&amp;" would be printed literally).
escape_mode template_escape_for(output_format format);

}  // namespace weft::document
