#pragma once

#include <kainjow/mustache.hpp>
#ifndef WEFT_KAINJOW_PATCHED
#error "kainjow/mustache.hpp must be the patched copy in actors/document/third_party"
#endif
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "actors/document/compiled_template.hpp"
#include "actors/document/escape_mode.hpp"
#include "actors/document/template_limits.hpp"

namespace weft::document {

/// What a compiled_template holds; shared by template_engine (which fills it) and
/// compiled_template (which renders with it).
struct compiled_template::impl {
  std::string name;
  escape_mode escape = escape_mode::html;
  template_limits limits;
  /// Called every few thousand render steps (compiled_template::set_render_check).
  render_check check;
  /// Names used as sections anywhere (their values are not output: not counted as output).
  std::unordered_set<std::string> section_names;
  std::unique_ptr<kainjow::mustache::mustache> main;
  /// Partial sources as loaded, by partial name.
  std::map<std::string, std::string> partial_sources;
  /// Partial texts ready for kainjow (standalone rules applied, indentation added), by the
  /// variant name the rewritten templates use. Filled lazily for indented variants.
  std::unordered_map<std::string, kainjow::mustache::data> partial_variants;
};

}  // namespace weft::document
