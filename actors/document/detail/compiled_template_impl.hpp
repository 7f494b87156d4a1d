#pragma once

#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/document/compiled_template.hpp"
#include "actors/document/escape_mode.hpp"

namespace weft::document {

/// What a compiled_template holds; shared by template_engine (which fills it) and
/// compiled_template (which renders with it).
struct compiled_template::impl {
  std::string name;
  escape_mode escape = escape_mode::html;
  std::unique_ptr<kainjow::mustache::mustache> main;
  /// Partial sources as loaded, by partial name.
  std::map<std::string, std::string> partial_sources;
  /// Partial texts ready for kainjow (standalone rules applied, indentation added), by the
  /// variant name the rewritten templates use. Filled lazily for indented variants.
  std::unordered_map<std::string, kainjow::mustache::data> partial_variants;
};

}  // namespace weft::document
