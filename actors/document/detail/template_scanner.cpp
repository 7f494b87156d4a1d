#include "actors/document/detail/template_scanner.hpp"

#include "actors/document/template_error.hpp"

namespace weft::document::detail {

namespace {

using kind = template_token::kind;

constexpr char variant_separator = '\x1f';

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(const std::string& s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

[[noreturn]] void fail(const std::string& text, const std::string& name, std::size_t offset,
                       const std::string& reason) {
  std::size_t line = 0;
  std::size_t column = 0;
  line_and_column(text, offset, line, column);
  throw template_error(name, line, column, reason);
}

// Same rules as kainjow's parse_set_delimiter_tag: "=open close=", no '=' or blanks inside.
bool parse_delimiters(const std::string& contents, std::string& open, std::string& close) {
  if (contents.size() < 5 || contents.back() != '=') return false;
  const std::string inner = trim(contents.substr(1, contents.size() - 2));
  const auto space = inner.find(' ');
  if (space == std::string::npos) return false;
  const auto second = inner.find_first_not_of(' ', space + 1);
  if (second == std::string::npos) return false;
  std::string o = inner.substr(0, space);
  std::string c = inner.substr(second);
  for (const std::string* d : {&o, &c}) {
    for (char ch : *d) {
      if (ch == '=' || is_space(ch)) return false;
    }
  }
  open = std::move(o);
  close = std::move(c);
  return true;
}

bool valid_partial_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string describe(const template_token& t) {
  switch (t.type) {
    case kind::section:
      return t.open + "#" + t.name + t.close;
    case kind::inverted:
      return t.open + "^" + t.name + t.close;
    default:
      return t.open + "/" + t.name + t.close;
  }
}

}  // namespace

void line_and_column(const std::string& text, std::size_t offset, std::size_t& line,
                     std::size_t& column) {
  line = 1;
  column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
}

std::vector<template_token> scan_template(const std::string& text, const std::string& name,
                                          std::size_t max_section_depth) {
  std::vector<template_token> tokens;
  std::vector<std::size_t> open_sections;  // indexes into tokens
  std::string open = "{{";
  std::string close = "}}";
  std::size_t pos = 0;
  const std::size_t n = text.size();
  while (pos < n) {
    const std::size_t start = text.find(open, pos);
    if (start == std::string::npos) {
      tokens.push_back({kind::text, pos, n, {}, {}, {}});
      break;
    }
    if (start > pos) tokens.push_back({kind::text, pos, start, {}, {}, {}});
    template_token tag;
    tag.begin = start;
    tag.open = open;
    tag.close = close;
    std::size_t contents = start + open.size();
    const bool braces = open == "{{" && close == "}}";
    const bool triple = braces && start != n - 2 && contents < n && text[contents] == '{';
    const std::string end_delimiter = triple ? "}}}" : close;
    if (triple) ++contents;
    const std::size_t stop = text.find(end_delimiter, contents);
    if (stop == std::string::npos) {
      fail(text, name, start, "unclosed tag (no \"" + end_delimiter + "\" follows)");
    }
    const std::string body = trim(text.substr(contents, stop - contents));
    tag.end = stop + end_delimiter.size();
    if (triple) {
      tag.type = kind::unescaped;
      tag.name = body;
    } else if (!body.empty() && body[0] == '=') {
      if (!parse_delimiters(body, open, close)) {
        fail(text, name, start,
             "invalid set-delimiter tag \"" + text.substr(start, tag.end - start) + "\"");
      }
      tag.type = kind::set_delimiter;
    } else if (body.empty()) {
      tag.type = kind::variable;
    } else {
      switch (body[0]) {
        case '#':
          tag.type = kind::section;
          break;
        case '^':
          tag.type = kind::inverted;
          break;
        case '/':
          tag.type = kind::close;
          break;
        case '>':
          tag.type = kind::partial;
          break;
        case '&':
          tag.type = kind::unescaped;
          break;
        case '!':
          tag.type = kind::comment;
          break;
        default:
          tag.type = kind::variable;
          break;
      }
      tag.name = tag.type == kind::variable ? body : trim(body.substr(1));
    }
    switch (tag.type) {
      case kind::section:
      case kind::inverted:
        if (tag.name.empty()) fail(text, name, start, "section without a name");
        if (open_sections.size() >= max_section_depth) {
          // Refused here, before kainjow parses it: its tree and its renderer recurse once per
          // level, and 20,000 nested sections overflowed an engine thread's stack.
          fail(text, name, start,
               "sections nest deeper than " + std::to_string(max_section_depth) +
                   " levels (jobs.max_section_depth)");
        }
        open_sections.push_back(tokens.size());
        break;
      case kind::close:
        if (open_sections.empty()) {
          fail(text, name, start, "closing tag " + describe(tag) + " without an open section");
        } else {
          const template_token& opened = tokens[open_sections.back()];
          if (opened.name != tag.name) {
            std::size_t l = 0;
            std::size_t c = 0;
            line_and_column(text, opened.begin, l, c);
            fail(text, name, start,
                 "closing tag " + describe(tag) + " does not match " + describe(opened) +
                     " opened at " + std::to_string(l) + ":" + std::to_string(c));
          }
          open_sections.pop_back();
        }
        break;
      case kind::partial:
        if (!valid_partial_name(tag.name)) {
          fail(text, name, start,
               "invalid partial name \"" + tag.name +
                   "\" (letters, digits, '_', '-' and '.' only, not starting with '.')");
        }
        break;
      default:
        break;
    }
    tokens.push_back(std::move(tag));
    pos = tokens.back().end;
  }
  if (!open_sections.empty()) {
    const template_token& opened = tokens[open_sections.back()];
    fail(text, name, opened.begin,
         "unclosed section " + describe(opened) + " (no " + opened.open + "/" + opened.name +
             opened.close + ")");
  }
  return tokens;
}

std::string partial_variant_name(const std::string& name, const std::string& indent) {
  if (indent.empty()) return name;
  std::string out = name;
  out.push_back(variant_separator);
  for (char c : indent) out.push_back(c == '\t' ? 't' : 's');
  return out;
}

bool parse_partial_variant(const std::string& variant, std::string& name, std::string& indent) {
  const auto sep = variant.find(variant_separator);
  if (sep == std::string::npos) return false;
  name = variant.substr(0, sep);
  indent.clear();
  for (std::size_t i = sep + 1; i < variant.size(); ++i) {
    indent.push_back(variant[i] == 't' ? '\t' : ' ');
  }
  return true;
}

std::string indent_lines(const std::string& text, const std::string& indent) {
  if (indent.empty()) return text;
  std::string out;
  out.reserve(text.size() + indent.size() * 8);
  bool line_start = true;
  for (char c : text) {
    if (line_start) out += indent;
    out.push_back(c);
    line_start = c == '\n';
  }
  return out;
}

std::string rewrite_standalone(const std::string& text, const std::vector<template_token>& tokens,
                               render_markers markers) {
  // Literal text bytes directly inside each section (by token index) and at the top level.
  std::vector<std::size_t> direct_text;
  std::size_t top_text = 0;
  std::string end_open = "{{";
  std::string end_close = "}}";
  if (markers != render_markers::none) {
    direct_text.assign(tokens.size(), 0);
    std::vector<std::size_t> open_sections;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const template_token& t = tokens[i];
      switch (t.type) {
        case kind::text:
          (open_sections.empty() ? top_text : direct_text[open_sections.back()]) += t.end - t.begin;
          break;
        case kind::section:
        case kind::inverted:
          open_sections.push_back(i);
          break;
        case kind::close:
          if (!open_sections.empty()) open_sections.pop_back();
          break;
        case kind::set_delimiter: {
          std::string o;
          std::string c;
          const std::string body = trim(text.substr(
              t.begin + t.open.size(), t.end - t.begin - t.open.size() - t.close.size()));
          if (parse_delimiters(body, o, c)) {
            end_open = o;
            end_close = c;
          }
          break;
        }
        default:
          break;
      }
    }
  }
  const auto marker_after = [&](const template_token& t, std::string& out) {
    if (markers == render_markers::none) return;
    if (t.type != kind::section && t.type != kind::inverted) return;
    const auto index = static_cast<std::size_t>(&t - tokens.data());
    out += t.open + render_marker + "t" + std::to_string(direct_text[index]) + t.close;
  };

  // A line is a run of pieces ending after a '\n' in text (tags are atomic even when they span
  // lines). Pieces are [begin, end) spans with the token they come from.
  struct piece {
    std::size_t begin;
    std::size_t end;
    const template_token* token;
  };
  std::string out;
  out.reserve(text.size());
  if (markers == render_markers::partial)
    out += std::string{"{{"} + render_marker + "t" + std::to_string(top_text) + "}}";
  std::vector<piece> line;

  const auto flush = [&]() {
    const template_token* tag = nullptr;
    std::size_t tags = 0;
    bool blank = true;
    std::string indent;
    for (const piece& p : line) {
      if (p.token->type != kind::text) {
        ++tags;
        tag = p.token;
        continue;
      }
      for (std::size_t i = p.begin; i < p.end; ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t') {
          if (tags == 0) indent.push_back(c);
        } else if (c == '\n' || (c == '\r' && i + 1 < p.end && text[i + 1] == '\n')) {
          // the line end itself
        } else {
          blank = false;
        }
      }
    }
    const bool standalone =
        blank && tags == 1 && tag->type != kind::variable && tag->type != kind::unescaped;
    if (!standalone) {
      for (const piece& p : line) {
        out.append(text, p.begin, p.end - p.begin);
        marker_after(*p.token, out);
      }
    } else if (tag->type == kind::partial) {
      out += tag->open + ">" + partial_variant_name(tag->name, indent) + tag->close;
    } else if (tag->type != kind::comment) {
      // A section, inverted section, closing or set-delimiter tag: the tag alone, without the
      // line's blanks and line break.
      out.append(text, tag->begin, tag->end - tag->begin);
      marker_after(*tag, out);
    }
    line.clear();
  };

  for (const template_token& t : tokens) {
    if (t.type != kind::text) {
      line.push_back({t.begin, t.end, &t});
      continue;
    }
    std::size_t from = t.begin;
    while (from < t.end) {
      const std::size_t nl = text.find('\n', from);
      if (nl == std::string::npos || nl >= t.end) {
        line.push_back({from, t.end, &t});
        break;
      }
      line.push_back({from, nl + 1, &t});
      flush();
      from = nl + 1;
    }
  }
  flush();
  if (markers == render_markers::partial) out += end_open + render_marker + "e" + end_close;
  return out;
}

}  // namespace weft::document::detail
