#include "actors/document/output_format.hpp"

namespace weft::document {

std::optional<output_format> parse_output_format(std::string_view name) {
  if (name == "pdf") return output_format::pdf;
  if (name == "txt") return output_format::txt;
  if (name == "html") return output_format::html;
  return std::nullopt;
}

std::string_view to_string(output_format format) {
  switch (format) {
    case output_format::pdf:
      return "pdf";
    case output_format::txt:
      return "txt";
    default:
      return "html";
  }
}

std::string_view extension(output_format format) {
  switch (format) {
    case output_format::pdf:
      return ".pdf";
    case output_format::txt:
      return ".txt";
    default:
      return ".html";
  }
}

escape_mode template_escape_for(output_format format) {
  return format == output_format::txt ? escape_mode::none : escape_mode::html;
}

}  // namespace weft::document
