#include "actors/document/template_engine.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "actors/document/detail/compiled_template_impl.hpp"
#include "actors/document/detail/html_escape.hpp"
#include "actors/document/detail/template_scanner.hpp"
#include "actors/document/detail/utf8_validator.hpp"
#include "actors/document/template_error.hpp"

namespace weft::document {

namespace {

using detail::template_token;

constexpr std::size_t max_template_bytes = 4u * 1024u * 1024u;

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string no_escape(const std::string& s) { return s; }

std::unique_ptr<kainjow::mustache::mustache> build(const std::string& text,
                                                   const std::vector<template_token>& tokens,
                                                   const std::string& name, escape_mode escape,
                                                   detail::render_markers markers) {
  auto m = std::make_unique<kainjow::mustache::mustache>(
      detail::rewrite_standalone(text, tokens, markers));
  if (!m->is_valid()) {
    // scan_template mirrors kainjow's parser, so this is not expected; report it anyway.
    throw template_error(name, 1, 1, m->error_message());
  }
  m->set_custom_escape(escape == escape_mode::html ? detail::escape_html : no_escape);
  return m;
}

/// Refuses a template (or partial) that is too large or not UTF-8 text: names taken from it end
/// up in JSON (the mapping report), which holds UTF-8 only, and columns count code points.
void check_text(const std::string& text, const std::string& name) {
  if (text.size() > max_template_bytes) {
    throw template_error(
        name, 1, 1, "template is larger than " + std::to_string(max_template_bytes) + " bytes");
  }
  detail::utf8_validator utf8;
  std::size_t start = 0;  // the first byte of the current character
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (utf8.complete()) start = i;
    if (!utf8.feed(static_cast<unsigned char>(text[i])) ||
        (i + 1 == text.size() && !utf8.complete())) {
      std::size_t line = 0;
      std::size_t column = 0;
      detail::line_and_column(text, start, line, column);
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[i]));
      throw template_error(
          name, line, column,
          std::string("not UTF-8 text (byte ") + byte + "); save the template as UTF-8");
    }
  }
}

}  // namespace

compiled_template template_engine::compile(const std::string& text, const std::string& name,
                                           const partial_loader& partials) const {
  check_text(text, name);
  auto p = std::make_unique<compiled_template::impl>();
  p->name = name;
  p->escape = escape_;
  p->limits = limits_;
  const auto tokens = detail::scan_template(text, name, limits_.max_section_depth);
  p->main = build(text, tokens, name, escape_, detail::render_markers::main);
  const auto note_sections = [&p](const std::vector<template_token>& scanned) {
    for (const template_token& t : scanned)
      if (t.type == template_token::kind::section || t.type == template_token::kind::inverted)
        p->section_names.insert(t.name);
  };
  note_sections(tokens);

  // Load every partial reachable from the template, breadth first, each once.
  struct pending {
    std::string source_name;
    const std::string* source;
    std::vector<template_token> tokens;
  };
  std::vector<pending> work;
  work.push_back({name, &text, tokens});
  while (!work.empty()) {
    pending item = std::move(work.back());
    work.pop_back();
    for (const template_token& t : item.tokens) {
      if (t.type != template_token::kind::partial || p->partial_sources.count(t.name) > 0) {
        continue;
      }
      std::optional<std::string> source = partials ? partials(t.name) : std::nullopt;
      if (!source) {
        std::size_t line = 0;
        std::size_t column = 0;
        detail::line_and_column(*item.source, t.begin, line, column);
        throw template_error(item.source_name, line, column,
                             "unknown partial \"" + t.name + "\" (no " + t.name + ".mustache)");
      }
      const std::string file = t.name + ".mustache";
      check_text(*source, file);
      auto& stored = p->partial_sources[t.name] = std::move(*source);
      auto scanned = detail::scan_template(stored, file, limits_.max_section_depth);
      note_sections(scanned);
      p->partial_variants.emplace(t.name, kainjow::mustache::data(detail::rewrite_standalone(
                                              stored, scanned, detail::render_markers::partial)));
      // kainjow parses partials at render time; make sure it will accept this one.
      build(stored, scanned, file, escape_, detail::render_markers::partial);
      work.push_back({file, &stored, std::move(scanned)});
    }
  }
  return compiled_template(std::move(p));
}

compiled_template template_engine::compile_file(const std::filesystem::path& path) const {
  const std::string name = path.filename().string();
  const auto text = read_file(path);
  if (!text) throw template_error(name, 0, 0, "cannot read template file " + path.string());
  return compile(*text, name, directory_partials(path.parent_path()));
}

template_engine::partial_loader template_engine::directory_partials(
    std::filesystem::path directory) {
  return [dir = std::move(directory)](const std::string& name) -> std::optional<std::string> {
    // Names are restricted by the scanner (no '/', no leading '.'), so this stays in `dir`.
    return read_file(dir / (name + ".mustache"));
  };
}

}  // namespace weft::document
