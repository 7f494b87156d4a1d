#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "actors/document/compiled_template.hpp"
#include "actors/document/escape_mode.hpp"
#include "actors/document/template_limits.hpp"

namespace weft::document {

/// Compiles Mustache templates: kainjow::mustache underneath (the patched copy in
/// actors/document/third_party/kainjow-mustache), with the specification's standalone-line rules
/// applied by detail::rewrite_standalone and its dotted-name rule by the render context. Passes the
/// specification's suites but one deliberate case (docs/templates.md, "Conformance").
///
/// All partials a template names are loaded and checked at compile time: a missing or broken
/// partial is a template_error, never a silent empty string at render time.
class template_engine {
 public:
  /// Returns the source of partial `name`, or nullopt when there is none.
  using partial_loader = std::function<std::optional<std::string>(const std::string& name)>;

  explicit template_engine(escape_mode escape = escape_mode::html, template_limits limits = {})
      : escape_(escape), limits_(limits) {}

  /// Compiles `text`. `name` appears in error messages. Partials come from `partials` (with no
  /// loader, any partial tag is an error).
  /// Templates and partials whose sections nest deeper than the limits allow are refused.
  /// @throws template_error with the line and column of the first problem.
  compiled_template compile(const std::string& text, const std::string& name = "template",
                            const partial_loader& partials = {}) const;

  /// Compiles the file at `path`; `{{> name}}` loads `name.mustache` from the same directory.
  /// @throws template_error when the file or a partial cannot be read or does not compile.
  compiled_template compile_file(const std::filesystem::path& path) const;

  /// A loader reading `name.mustache` files from `directory`.
  static partial_loader directory_partials(std::filesystem::path directory);

 private:
  escape_mode escape_;
  template_limits limits_;
};

}  // namespace weft::document
