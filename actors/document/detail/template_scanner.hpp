#pragma once

#include <cstddef>
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

/// Splits `text` into tokens the way kainjow 4.1 parses it and checks that sections nest.
/// @throws template_error naming `name` with the line and column of the problem.
std::vector<template_token> scan_template(const std::string& text, const std::string& name);

/// 1-based line and column (in code points) of byte `offset` in `text`.
void line_and_column(const std::string& text, std::size_t offset, std::size_t& line,
                     std::size_t& column);

/// Applies the specification's standalone-line rules that kainjow does not: a line holding only
/// a comment, a set-delimiter tag or a partial tag (and blanks) is removed; a standalone partial
/// keeps its indentation, encoded into the tag name as partial_variant_name() does.
std::string rewrite_standalone(const std::string& text, const std::vector<template_token>& tokens);

/// The partial name kainjow will look up for partial `name` included with `indent` (spaces and
/// tabs): the name alone when indent is empty.
std::string partial_variant_name(const std::string& name, const std::string& indent);

/// Splits a variant name into partial name and indentation. False when it is not one.
bool parse_partial_variant(const std::string& variant, std::string& name, std::string& indent);

/// `text` with `indent` put before every line (not after a final line break).
std::string indent_lines(const std::string& text, const std::string& indent);

}  // namespace weft::document::detail
