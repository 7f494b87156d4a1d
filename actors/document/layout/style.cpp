#include "actors/document/layout/style.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "actors/document/layout/layout_error.hpp"

namespace weft::document::layout {

namespace {

std::string where_text(source_position p) {
  return "line " + std::to_string(p.line) + ":" + std::to_string(p.column);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Advances `p` over `text` (lines and columns).
source_position advance(source_position p, std::string_view text) {
  for (char c : text) {
    if (c == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

/// Splits on top-level whitespace (not inside parentheses or quotes).
std::vector<std::string> split_values(std::string_view v) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : v) {
    if (quote) {
      cur.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

/// Removes /* comments */, keeping line breaks so positions stay right.
std::string strip_comments(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '/' && out[i + 1] == '*') {
      std::size_t end = out.find("*/", i + 2);
      if (end == std::string::npos) end = out.size() - 2;
      for (std::size_t j = i; j < end + 2 && j < out.size(); ++j)
        if (out[j] != '\n') out[j] = ' ';
      i = end + 1;
    }
  }
  return out;
}

bool parse_selector(std::string_view text, rule& r) {
  std::size_t i = 0;
  unsigned ids = 0, classes = 0, elements = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    compound_selector c;
    bool any = false;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
      char k = text[i];
      if (k == '.' || k == '#') ++i;
      std::size_t start = i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                 text[i] == '-' || text[i] == '_'))
        ++i;
      std::string name(text.substr(start, i - start));
      if (k == '*' && name.empty()) {
        ++i;
        any = true;
        continue;
      }
      if (name.empty()) return false;  // > + ~ : [ and friends
      if (k == '.') {
        c.classes.push_back(name);
        ++classes;
      } else if (k == '#') {
        c.id = name;
        ++ids;
      } else {
        if (!c.element.empty() || any) return false;
        c.element = lower(name);
        ++elements;
      }
      any = true;
    }
    if (!any) return false;
    r.chain.push_back(std::move(c));
  }
  if (r.chain.empty()) return false;
  r.specificity = ids * 10000 + classes * 100 + elements;
  return true;
}

bool has_class(std::string_view attr, std::string_view cls) {
  std::size_t i = 0;
  while (i < attr.size()) {
    while (i < attr.size() && std::isspace(static_cast<unsigned char>(attr[i]))) ++i;
    std::size_t start = i;
    while (i < attr.size() && !std::isspace(static_cast<unsigned char>(attr[i]))) ++i;
    if (attr.substr(start, i - start) == cls) return true;
  }
  return false;
}

bool matches(const compound_selector& c, const element_view& e) {
  if (!c.element.empty() && c.element != e.name) return false;
  if (!c.id.empty() && c.id != e.id) return false;
  for (const auto& cls : c.classes)
    if (!has_class(e.class_attr, cls)) return false;
  return true;
}

bool matches(const rule& r, const element_view& e) {
  if (!matches(r.chain.back(), e)) return false;
  const element_view* a = e.parent;
  for (std::size_t k = r.chain.size() - 1; k-- > 0;) {
    while (a && !matches(r.chain[k], *a)) a = a->parent;
    if (!a) return false;
    a = a->parent;
  }
  return true;
}

std::vector<declaration> parse_declarations(std::string_view body, source_position origin,
                                            diagnostics& diag) {
  std::vector<declaration> out;
  std::size_t i = 0;
  while (i < body.size()) {
    std::size_t end = body.find(';', i);
    if (end == std::string_view::npos) end = body.size();
    std::string_view item = body.substr(i, end - i);
    std::size_t lead = 0;
    while (lead < item.size() && std::isspace(static_cast<unsigned char>(item[lead]))) ++lead;
    source_position at = advance(origin, body.substr(0, i + lead));
    item = trim(item);
    if (!item.empty()) {
      std::size_t colon = item.find(':');
      if (colon == std::string_view::npos) {
        diag.warn("decl:" + std::string(item), at,
                  "CSS: \"" + std::string(item) + "\" is not a property: value declaration");
      } else {
        std::string value(trim(item.substr(colon + 1)));
        auto bang = value.find("!important");
        if (bang != std::string::npos) value = std::string(trim(value.substr(0, bang)));
        out.push_back({lower(trim(item.substr(0, colon))), value, at});
      }
    }
    i = end + 1;
  }
  return out;
}

bool named_page_size(const std::string& name, double& w, double& h) {
  static const std::map<std::string, std::pair<double, double>> sizes{{"a4", {595.276, 841.89}},
                                                                      {"a5", {419.528, 595.276}},
                                                                      {"a3", {841.89, 1190.55}},
                                                                      {"letter", {612, 792}},
                                                                      {"legal", {612, 1008}}};
  auto it = sizes.find(name);
  if (it == sizes.end()) return false;
  w = it->second.first;
  h = it->second.second;
  return true;
}

void parse_page_rule(std::string_view body, source_position origin, page_setup& page,
                     diagnostics& diag) {
  for (const auto& d : parse_declarations(body, origin, diag)) {
    auto parts = split_values(d.value);
    bool ok = !parts.empty();
    if (d.property == "size") {
      bool landscape = false;
      std::vector<double> dims;
      double w = 0, h = 0;
      bool named = false;
      for (const auto& p : parts) {
        std::string lp = lower(p);
        if (lp == "landscape") {
          landscape = true;
        } else if (lp == "portrait") {
        } else if (named_page_size(lp, w, h)) {
          named = true;
        } else {
          length l;
          if (parse_length(p, 12, l) && l.k == length::kind::points && l.value > 0)
            dims.push_back(l.value);
          else
            ok = false;
        }
      }
      if (ok && !named) {
        if (dims.size() == 1) {
          w = h = dims[0];
        } else if (dims.size() == 2) {
          w = dims[0];
          h = dims[1];
        } else {
          ok = false;
        }
      }
      if (ok) {
        if (landscape) std::swap(w, h);
        page.width = w;
        page.height = h;
      }
    } else if (d.property == "margin" && parts.size() <= 4) {
      std::vector<double> v;
      for (const auto& p : parts) {
        length l;
        if (parse_length(p, 12, l) && l.k == length::kind::points && l.value >= 0)
          v.push_back(l.value);
        else
          ok = false;
      }
      if (ok) {
        if (v.size() == 1) v = {v[0], v[0], v[0], v[0]};
        if (v.size() == 2) v = {v[0], v[1], v[0], v[1]};
        if (v.size() == 3) v = {v[0], v[1], v[2], v[1]};
        for (int k = 0; k < 4; ++k) page.margin[k] = v[k];
      }
    } else if (d.property.rfind("margin-", 0) == 0) {
      static const char* sides[] = {"top", "right", "bottom", "left"};
      length l;
      ok = false;
      for (int k = 0; k < 4; ++k)
        if (d.property == std::string("margin-") + sides[k] && parts.size() == 1 &&
            parse_length(parts[0], 12, l) && l.k == length::kind::points) {
          page.margin[k] = l.value;
          ok = true;
        }
    } else {
      diag.warn("page-prop:" + d.property, d.where,
                "CSS: @page property \"" + d.property + "\" is not supported (size, margin)");
      continue;
    }
    if (!ok)
      diag.warn("page-value:" + d.property + ":" + d.value, d.where,
                "CSS: invalid @page " + d.property + " value \"" + d.value + "\"");
  }
  if (page.margin[0] + page.margin[2] > page.height * 0.9 ||
      page.margin[1] + page.margin[3] > page.width * 0.9) {
    diag.warn("page-margins", origin, "CSS: @page margins leave no room; using 20mm");
    page.margin = {56.7, 56.7, 56.7, 56.7};
  }
}

}  // namespace

void diagnostics::warn(const std::string& key, source_position where, const std::string& message) {
  if (!skip_marker_.empty() && (key.find(skip_marker_) != std::string::npos ||
                                message.find(skip_marker_) != std::string::npos))
    return;
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) return;
  std::string text = where.line ? where_text(where) + suffix_ + ": " + message : message;
  if (strict_) throw layout_error(label_in_errors_ ? label_ + text : text);
  text.insert(0, label_);
  keys_.push_back(key);
  if (max_ > 0 && warnings_.size() >= max_) {
    ++dropped_;
    return;
  }
  warnings_.push_back(std::move(text));
}

style style::inherit() const {
  style s;
  s.font_family = font_family;
  s.font_size = font_size;
  s.font_weight = font_weight;
  s.italic = italic;
  s.underline = underline;
  s.color = color;
  s.align = align;
  s.line_height_factor = line_height_factor;
  s.line_height_points = line_height_points;
  s.space = space;
  return s;
}

bool parse_length(std::string_view text, double font_size, length& out) {
  std::string t = lower(trim(text));
  if (t == "auto") {
    out = length::auto_();
    return true;
  }
  if (t.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || !std::isfinite(v)) return false;
  std::string unit(end);
  if (unit.empty() && v == 0) unit = "pt";
  static const std::map<std::string, double> factor{
      {"pt", 1.0}, {"px", 0.75}, {"mm", 72 / 25.4}, {"cm", 72 / 2.54}, {"in", 72.0}, {"pc", 12.0}};
  if (unit == "%") {
    out = {length::kind::percent, v};
    return true;
  }
  if (unit == "em" || unit == "rem") {
    out = length::pt(v * font_size);
    return true;
  }
  auto it = factor.find(unit);
  if (it == factor.end()) return false;
  out = length::pt(v * it->second);
  return true;
}

bool parse_color(std::string_view text, rgba& out) {
  std::string t = lower(trim(text));
  static const std::map<std::string, std::array<int, 3>> names{
      {"black", {0, 0, 0}},           {"white", {255, 255, 255}},   {"red", {255, 0, 0}},
      {"green", {0, 128, 0}},         {"blue", {0, 0, 255}},        {"gray", {128, 128, 128}},
      {"grey", {128, 128, 128}},      {"silver", {192, 192, 192}},  {"navy", {0, 0, 128}},
      {"maroon", {128, 0, 0}},        {"yellow", {255, 255, 0}},    {"orange", {255, 165, 0}},
      {"purple", {128, 0, 128}},      {"teal", {0, 128, 128}},      {"lightgray", {211, 211, 211}},
      {"lightgrey", {211, 211, 211}}, {"darkgray", {169, 169, 169}}};
  if (t == "transparent") {
    out = {0, 0, 0, 0};
    return true;
  }
  auto it = names.find(t);
  if (it != names.end()) {
    out = {it->second[0] / 255.0, it->second[1] / 255.0, it->second[2] / 255.0, 1};
    return true;
  }
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (!t.empty() && t[0] == '#') {
    std::vector<int> d;
    for (std::size_t i = 1; i < t.size(); ++i) {
      int h = hex(t[i]);
      if (h < 0) return false;
      d.push_back(h);
    }
    if (d.size() == 3) {
      out = {d[0] * 17 / 255.0, d[1] * 17 / 255.0, d[2] * 17 / 255.0, 1};
      return true;
    }
    if (d.size() == 6) {
      out = {(d[0] * 16 + d[1]) / 255.0, (d[2] * 16 + d[3]) / 255.0, (d[4] * 16 + d[5]) / 255.0, 1};
      return true;
    }
    return false;
  }
  if ((t.rfind("rgb(", 0) == 0 || t.rfind("rgba(", 0) == 0) && t.back() == ')') {
    auto open = t.find('(');
    std::string inner = t.substr(open + 1, t.size() - open - 2);
    std::vector<double> v;
    std::size_t i = 0;
    while (i <= inner.size()) {
      std::size_t comma = inner.find(',', i);
      if (comma == std::string::npos) comma = inner.size();
      std::string part(trim(std::string_view(inner).substr(i, comma - i)));
      char* end = nullptr;
      double x = std::strtod(part.c_str(), &end);
      if (end == part.c_str()) return false;
      if (*end == '%') x = x * 2.55;
      v.push_back(x);
      i = comma + 1;
    }
    if (v.size() < 3 || v.size() > 4) return false;
    out = {std::clamp(v[0], 0.0, 255.0) / 255, std::clamp(v[1], 0.0, 255.0) / 255,
           std::clamp(v[2], 0.0, 255.0) / 255, v.size() == 4 ? std::clamp(v[3], 0.0, 1.0) : 1.0};
    return true;
  }
  return false;
}

void style_sheet::parse(std::string_view raw, source_position origin, diagnostics& diag) {
  const std::string text = strip_comments(raw);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find('{', i);
    if (open == std::string::npos) {
      if (!trim(std::string_view(text).substr(i)).empty())
        diag.warn("css-tail", advance(origin, std::string_view(text).substr(0, i)),
                  "CSS: text without a { block } ignored");
      break;
    }
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) close = text.size();
    std::string_view prelude = std::string_view(text).substr(i, open - i);
    std::size_t lead = 0;
    while (lead < prelude.size() && std::isspace(static_cast<unsigned char>(prelude[lead]))) ++lead;
    source_position at = advance(origin, std::string_view(text).substr(0, i + lead));
    std::string_view body = std::string_view(text).substr(open + 1, close - open - 1);
    source_position body_at = advance(origin, std::string_view(text).substr(0, open + 1));
    std::string sel(trim(prelude));
    if (!sel.empty() && sel[0] == '@') {
      if (lower(sel) == "@page") {
        parse_page_rule(body, body_at, page_, diag);
      } else {
        diag.warn("at:" + sel, at, "CSS: \"" + sel + "\" is not supported (only @page)");
        // a nested block (@media { a { } }): skip to its matching brace
        int depth = 1;
        std::size_t j = open + 1;
        for (; j < text.size() && depth > 0; ++j) {
          if (text[j] == '{') ++depth;
          if (text[j] == '}') --depth;
        }
        close = j - 1;
      }
      i = close + 1;
      continue;
    }
    auto decls = parse_declarations(body, body_at, diag);
    {
      // every declaration is checked here, also those of rules that match no element
      style scratch;
      std::vector<const declaration*> all;
      for (const auto& d : decls) all.push_back(&d);
      apply_declarations(scratch, all, scratch.font_size, diag);
    }
    std::size_t start = 0;
    while (start <= sel.size()) {
      std::size_t comma = sel.find(',', start);
      if (comma == std::string::npos) comma = sel.size();
      std::string one(trim(std::string_view(sel).substr(start, comma - start)));
      rule r;
      if (parse_selector(one, r)) {
        r.order = rules_.size();
        r.declarations = decls;
        rules_.push_back(std::move(r));
      } else {
        diag.warn("sel:" + one, at,
                  "CSS: selector \"" + one +
                      "\" is not supported (element, .class, #id and descendant only); rule "
                      "ignored");
      }
      start = comma + 1;
    }
    i = close + 1;
  }
}

std::vector<const declaration*> style_sheet::matching(const element_view& e) const {
  std::vector<const rule*> hits;
  for (const auto& r : rules_)
    if (matches(r, e)) hits.push_back(&r);
  std::stable_sort(hits.begin(), hits.end(), [](const rule* a, const rule* b) {
    return a->specificity != b->specificity ? a->specificity < b->specificity : a->order < b->order;
  });
  std::vector<const declaration*> out;
  for (const rule* r : hits)
    for (const auto& d : r->declarations) out.push_back(&d);
  return out;
}

std::vector<declaration> parse_inline_style(std::string_view text, source_position origin,
                                            diagnostics& diag) {
  return parse_declarations(strip_comments(text), origin, diag);
}

namespace {

bool parse_border_style(const std::string& v, border_style& out) {
  if (v == "none" || v == "hidden")
    out = border_style::none;
  else if (v == "solid")
    out = border_style::solid;
  else if (v == "dashed")
    out = border_style::dashed;
  else
    return false;
  return true;
}

bool parse_border_width(const std::string& v, double font_size, double& out) {
  if (v == "thin")
    out = 0.75;
  else if (v == "medium")
    out = 2.25;
  else if (v == "thick")
    out = 3.75;
  else {
    length l;
    if (!parse_length(v, font_size, l) || l.k != length::kind::points || l.value < 0) return false;
    out = l.value;
  }
  return true;
}

/// A border shorthand ("1pt solid #000") on the sides in `sides`.
bool apply_border(style& s, const std::vector<std::string>& parts,
                  std::initializer_list<int> sides) {
  double w = 2.25;
  border_style bs = border_style::none;
  rgba c = s.color;
  bool have_style = false;
  for (const auto& p : parts) {
    std::string lp = lower(p);
    border_style b;
    double x;
    rgba col;
    if (parse_border_style(lp, b)) {
      bs = b;
      have_style = true;
    } else if (parse_border_width(lp, s.font_size, x)) {
      w = x;
    } else if (parse_color(lp, col)) {
      c = col;
    } else {
      return false;
    }
  }
  if (!have_style && !(parts.size() == 1 && lower(parts[0]) == "0")) return false;
  for (int k : sides) {
    s.border[k] = bs;
    s.border_width[k] = bs == border_style::none ? 0 : w;
    s.border_color[k] = c;
  }
  return true;
}

bool four_lengths(const std::vector<std::string>& parts, double font_size, bool allow_negative,
                  std::array<length, 4>& out) {
  if (parts.empty() || parts.size() > 4) return false;
  std::vector<length> v;
  for (const auto& p : parts) {
    length l;
    if (!parse_length(p, font_size, l)) return false;
    if (l.is_auto()) l = length::pt(0);
    if (!allow_negative && l.value < 0) return false;
    v.push_back(l);
  }
  if (v.size() == 1) v = {v[0], v[0], v[0], v[0]};
  if (v.size() == 2) v = {v[0], v[1], v[0], v[1]};
  if (v.size() == 3) v = {v[0], v[1], v[2], v[1]};
  for (int k = 0; k < 4; ++k) out[k] = v[k];
  return true;
}

int side_index(const std::string& s) {
  if (s == "top") return 0;
  if (s == "right") return 1;
  if (s == "bottom") return 2;
  if (s == "left") return 3;
  return -1;
}

/// Applies one declaration; false: the value is invalid; -1 in `known`: unknown property.
bool apply_one(style& s, const declaration& d, double parent_font_size, bool& known) {
  known = true;
  const std::string& p = d.property;
  const std::string v = lower(d.value);
  const auto parts = split_values(d.value);
  length l;
  if (p == "font-family") {
    std::string families;
    std::size_t i = 0;
    const std::string& raw = d.value;
    while (i <= raw.size()) {
      std::size_t comma = raw.find(',', i);
      if (comma == std::string::npos) comma = raw.size();
      std::string f(trim(std::string_view(raw).substr(i, comma - i)));
      if (f.size() >= 2 && (f.front() == '"' || f.front() == '\'') && f.back() == f.front())
        f = f.substr(1, f.size() - 2);
      if (f.empty()) return false;
      if (!families.empty()) families += ",";
      families += f;
      i = comma + 1;
    }
    s.font_family = families;
    return true;
  }
  if (p == "font-size") {
    static const std::map<std::string, double> named{
        {"xx-small", 7}, {"x-small", 7.5}, {"small", 10},   {"medium", 12},
        {"large", 13.5}, {"x-large", 18},  {"xx-large", 24}};
    auto it = named.find(v);
    if (it != named.end()) {
      s.font_size = it->second;
      return true;
    }
    if (!parse_length(v, parent_font_size, l) || l.is_auto()) return false;
    double size = l.k == length::kind::percent ? parent_font_size * l.value / 100 : l.value;
    if (!(size > 0 && size <= 500)) return false;
    s.font_size = size;
    return true;
  }
  if (p == "font-weight") {
    if (v == "bold" || v == "bolder")
      s.font_weight = 700;
    else if (v == "normal" || v == "lighter")
      s.font_weight = 400;
    else {
      char* end = nullptr;
      long w = std::strtol(v.c_str(), &end, 10);
      if (*end != 0 || w < 100 || w > 900) return false;
      s.font_weight = static_cast<int>(w);
    }
    return true;
  }
  if (p == "font-style") {
    if (v == "italic" || v == "oblique")
      s.italic = true;
    else if (v == "normal")
      s.italic = false;
    else
      return false;
    return true;
  }
  if (p == "color") return parse_color(v, s.color);
  if (p == "background-color" || p == "background") return parse_color(v, s.background);
  if (p == "text-align") {
    if (v == "left" || v == "start")
      s.align = text_align::left;
    else if (v == "right" || v == "end")
      s.align = text_align::right;
    else if (v == "center")
      s.align = text_align::center;
    else if (v == "justify")
      s.align = text_align::justify;
    else
      return false;
    return true;
  }
  if (p == "vertical-align") {
    if (v == "top")
      s.valign = vertical_align::top;
    else if (v == "middle")
      s.valign = vertical_align::middle;
    else if (v == "bottom")
      s.valign = vertical_align::bottom;
    else if (v == "baseline")
      s.valign = vertical_align::baseline;
    else
      return false;
    return true;
  }
  if (p == "line-height") {
    if (v == "normal") {
      s.line_height_factor = 0;
      s.line_height_points = 0;
      return true;
    }
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (end != v.c_str() && *end == 0) {
      if (!(x > 0 && x < 10)) return false;
      s.line_height_factor = x;
      s.line_height_points = 0;
      return true;
    }
    if (!parse_length(v, s.font_size, l) || l.is_auto()) return false;
    double pts = l.k == length::kind::percent ? s.font_size * l.value / 100 : l.value;
    if (!(pts > 0)) return false;
    s.line_height_points = pts;
    s.line_height_factor = 0;
    return true;
  }
  if (p == "white-space") {
    if (v == "normal")
      s.space = white_space::normal;
    else if (v == "pre")
      s.space = white_space::pre;
    else if (v == "nowrap")
      s.space = white_space::nowrap;
    else if (v == "pre-wrap")
      s.space = white_space::pre_wrap;
    else if (v == "pre-line")
      s.space = white_space::pre_line;
    else
      return false;
    return true;
  }
  if (p == "margin") return four_lengths(parts, s.font_size, true, s.margin);
  if (p == "padding") return four_lengths(parts, s.font_size, false, s.padding);
  if (p.rfind("margin-", 0) == 0 || p.rfind("padding-", 0) == 0) {
    bool margin = p[0] == 'm';
    int k = side_index(p.substr(margin ? 7 : 8));
    if (k < 0) {
      known = false;
      return false;
    }
    if (parts.size() != 1 || !parse_length(parts[0], s.font_size, l)) return false;
    if (l.is_auto()) l = length::pt(0);
    if (!margin && l.value < 0) return false;
    (margin ? s.margin : s.padding)[k] = l;
    return true;
  }
  if (p == "border") return apply_border(s, parts, {0, 1, 2, 3});
  if (p == "border-width" || p == "border-style" || p == "border-color") {
    if (parts.empty() || parts.size() > 4) return false;
    std::vector<std::string> v4(parts.begin(), parts.end());
    if (v4.size() == 1) v4 = {v4[0], v4[0], v4[0], v4[0]};
    if (v4.size() == 2) v4 = {v4[0], v4[1], v4[0], v4[1]};
    if (v4.size() == 3) v4 = {v4[0], v4[1], v4[2], v4[1]};
    for (int k = 0; k < 4; ++k) {
      std::string x = lower(v4[static_cast<std::size_t>(k)]);
      if (p == "border-width") {
        if (!parse_border_width(x, s.font_size, s.border_width[k])) return false;
      } else if (p == "border-style") {
        if (!parse_border_style(x, s.border[k])) return false;
        if (s.border[k] != border_style::none && s.border_width[k] == 0) s.border_width[k] = 2.25;
      } else if (!parse_color(x, s.border_color[k])) {
        return false;
      }
    }
    return true;
  }
  if (p.rfind("border-", 0) == 0) {
    std::string rest = p.substr(7);
    std::string side = rest, what;
    auto dash = rest.find('-');
    if (dash != std::string::npos) {
      side = rest.substr(0, dash);
      what = rest.substr(dash + 1);
    }
    int k = side_index(side);
    if (k < 0 || !(what.empty() || what == "width" || what == "style" || what == "color")) {
      known = false;
      return false;
    }
    if (what.empty()) return apply_border(s, parts, {k});
    if (parts.size() != 1) return false;
    if (what == "width") return parse_border_width(v, s.font_size, s.border_width[k]);
    if (what == "style") {
      if (!parse_border_style(v, s.border[k])) return false;
      if (s.border[k] != border_style::none && s.border_width[k] == 0) s.border_width[k] = 2.25;
      return true;
    }
    return parse_color(v, s.border_color[k]);
  }
  if (p == "width" || p == "height") {
    if (!parse_length(v, s.font_size, l)) return false;
    if (!l.is_auto() && l.value < 0) return false;
    (p == "width" ? s.width : s.height) = l;
    return true;
  }
  if (p == "page-break-before" || p == "page-break-after" || p == "break-before" ||
      p == "break-after") {
    bool& flag = p.find("before") != std::string::npos ? s.break_before : s.break_after;
    if (v == "always" || v == "page")
      flag = true;
    else if (v == "auto")
      flag = false;
    else
      return false;
    return true;
  }
  if (p == "break-inside" || p == "page-break-inside") {
    if (v == "avoid" || v == "avoid-page")
      s.avoid_break_inside = true;
    else if (v == "auto")
      s.avoid_break_inside = false;
    else
      return false;
    return true;
  }
  if (p == "text-decoration") {
    if (v == "underline")
      s.underline = true;
    else if (v == "none")
      s.underline = false;
    else
      return false;
    return true;
  }
  known = false;
  return false;
}

}  // namespace

void apply_declarations(style& s, const std::vector<const declaration*>& decls,
                        double parent_font_size, diagnostics& diag) {
  // font-size first: em in the other properties counts from this element's size.
  for (const declaration* d : decls) {
    if (d->property != "font-size") continue;
    bool known = true;
    if (!apply_one(s, *d, parent_font_size, known))
      diag.warn("value:font-size:" + d->value, d->where,
                "CSS: invalid font-size value \"" + d->value + "\"; ignored");
  }
  for (const declaration* d : decls) {
    if (d->property == "font-size") continue;
    bool known = true;
    if (apply_one(s, *d, parent_font_size, known)) continue;
    if (!known)
      diag.warn("prop:" + d->property, d->where,
                "CSS: property \"" + d->property + "\" is not supported; ignored");
    else
      diag.warn("value:" + d->property + ":" + d->value, d->where,
                "CSS: invalid " + d->property + " value \"" + d->value + "\"; ignored");
  }
}

}  // namespace weft::document::layout
