#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::document::detail {

/// One piece of a Mustache template, as kainjow's parser would see it.
struct template_token {
  enum class kind {
    text,
    variable,
    unescaped,
    section,
    inverted,
    close,
    comment,
    partial,
    set_delimiter,
  };
  kind type = kind::text;
  std::size_t begin = 0;  ///< offset of the first byte (the opening delimiter for tags)
  std::size_t end = 0;    ///< offset past the last byte (past the closing delimiter for tags)
  std::string name;       ///< trimmed tag name (tags only)
  std::string open;       ///< delimiters in effect where the tag starts (tags only)
  std::string close;
};

/// Splits `text` into tokens the way kainjow 4.1 parses it and checks that sections nest, at
/// most `max_section_depth` deep.
/// @throws template_error naming `name` with the line and column of the problem.
std::vector<template_token> scan_template(const std::string& text, const std::string& name,
                                          std::size_t max_section_depth = SIZE_MAX);

/// 1-based line and column (in code points) of byte `offset` in `text`.
void line_and_column(const std::string& text, std::size_t offset, std::size_t& line,
                     std::size_t& column);

/// Where rewrite_standalone puts render markers: variable tags that render nothing and that
/// the render context (compiled_template.cpp) reads to account for output and partial depth.
enum class render_markers {
  none,
  main,     ///< after each section tag: the literal text bytes directly inside the section
  partial,  ///< the same, plus the partial's top-level text bytes first and an end marker last
};

/// First byte of a render marker's tag name; never the start of a data key a template names.
constexpr char render_marker = '\x1e';

/// Applies the specification's standalone-line rules (kainjow's own are wrong and disabled in
/// the vendored copy): a line holding only one section, inverted section, closing, comment,
/// set-delimiter or partial tag (and spaces or tabs) loses its blanks and its line break ("\n"
/// or "\r\n"; a lone "\r" does not end a line); a standalone partial keeps its indentation,
/// encoded into the tag name as partial_variant_name() does.
/// With `markers`, adds render markers: `<marker>t<N>` (N more bytes of literal text render)
/// and `<marker>e` (a partial ends).
std::string rewrite_standalone(const std::string& text, const std::vector<template_token>& tokens,
                               render_markers markers = render_markers::none);

/// The partial name kainjow will look up for partial `name` included with `indent` (spaces and
/// tabs): the name alone when indent is empty.
std::string partial_variant_name(const std::string& name, const std::string& indent);

/// Splits a variant name into partial name and indentation. False when it is not one.
bool parse_partial_variant(const std::string& variant, std::string& name, std::string& indent);

/// `text` with `indent` put before every line (not after a final line break).
std::string indent_lines(const std::string& text, const std::string& indent);

}  // namespace weft::document::detail
