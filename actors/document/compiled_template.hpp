#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actors/document/template_limits.hpp"

namespace weft::document {

/// A Mustache template, parsed once, with its partials, ready to render many records.
///
/// Made by template_engine. Move-only. Not thread-safe: render() reuses internal caches, so give
/// each thread (or actor) its own compiled_template (compiling again is cheap).
class compiled_template {
 public:
  compiled_template(compiled_template&&) noexcept;
  compiled_template& operator=(compiled_template&&) noexcept;
  ~compiled_template();

  /// Renders `value` (normally a JSON object: one record) and appends the text to `out`.
  /// @throws render_limit_error when partials nest deeper than the limits (or so deeply that
  /// rendering would exhaust the stack), or the record renders to more bytes than they allow.
  /// @throws std::invalid_argument when `value` nests deeper than 512 levels.
  /// @throws whatever the render check throws.
  void render(const nlohmann::json& value, std::string& out);

  /// Renders `value` into a new string.
  std::string render(const nlohmann::json& value);

  /// Sets the check called every few thousand steps of a render (a cancellation flag, a time
  /// budget); it throws to stop the render. Empty: none.
  void set_render_check(render_check check);

  /// The limits it was compiled with.
  const template_limits& limits() const;

  /// The name given at compile time (file name for files), used in error messages.
  const std::string& name() const;

  /// Names of all partials the template uses, directly or through other partials, sorted.
  std::vector<std::string> partials() const;

  /// Internal state (detail/compiled_template_impl.hpp); not part of the interface.
  struct impl;

 private:
  friend class template_engine;
  explicit compiled_template(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace weft::document
