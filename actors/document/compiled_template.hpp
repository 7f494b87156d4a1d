#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  /// @throws template_error when partials nest so deeply that rendering would exhaust the stack.
  /// @throws std::invalid_argument when `value` nests deeper than 512 levels.
  void render(const nlohmann::json& value, std::string& out);

  /// Renders `value` into a new string.
  std::string render(const nlohmann::json& value);

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
