#include "actors/document/layout/document_layout.hpp"

#include <fontconfig/fontconfig.h>
#include <gumbo.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "actors/document/layout/font_dirs.hpp"
#include "actors/document/layout/image_resource.hpp"

namespace weft::document::layout {

namespace {

struct thread_fonts;  // the font map a thread's layout engines share (fonts_of_thread)

constexpr double pango_to_pt = 1.0 / PANGO_SCALE;

using layout_ptr = std::shared_ptr<PangoLayout>;

layout_ptr adopt(PangoLayout* l) {
  return layout_ptr(l, [](PangoLayout* p) { g_object_unref(p); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string where_text(source_position p) {
  return "line " + std::to_string(p.line) + ":" + std::to_string(p.column);
}

/// A colour as an operation keeps it: floats (a long document holds millions of operations).
struct op_color {
  float r = 0, g = 0, b = 0, a = 1;
  op_color() = default;
  op_color(const rgba& c)  // NOLINT: implicit on purpose
      : r(static_cast<float>(c.r)),
        g(static_cast<float>(c.g)),
        b(static_cast<float>(c.b)),
        a(static_cast<float>(c.a)) {}
  operator rgba() const { return {r, g, b, a}; }  // NOLINT
};

/// One drawing operation of a page, in page coordinates (points from the top left corner). Kept
/// small — pages hold them until painted, ~10 per table
/// row — so geometry and colours are floats (a point is 1/72 in; a float keeps 1/10,000 of it
/// on any page size).
struct op {
  enum class kind : std::uint8_t { fill, border, text, image, barcode };
  kind k = kind::fill;
  std::array<border_style, 4> bs{};  // border
  int first = 0, last = 0;           // text: lines [first, last) of `text`, origin at (x, y)
  float x = 0, y = 0, w = 0, h = 0;
  op_color color;
  // border
  std::array<float, 4> bw{};
  std::array<op_color, 4> bc{};
  void set_border(const std::array<double, 4>& widths, const std::array<border_style, 4>& styles,
                  const std::array<rgba, 4>& colors) {
    for (std::size_t i = 0; i < 4; ++i) {
      bw[i] = static_cast<float>(widths[i]);
      bc[i] = colors[i];
    }
    bs = styles;
  }
  layout_ptr text;
  // image, barcode
  std::shared_ptr<const image_resource> image;
  std::shared_ptr<const barcode_resource> code;
};

struct page_ops {
  std::vector<op> ops;
};

enum class box_kind { block, paragraph, table, row_group, row, cell, image, barcode, hr };

struct inline_item {
  enum class kind : std::uint8_t { text, page_number, page_count };
  kind k = kind::text;
  std::string text;
  const style* st = nullptr;
  std::shared_ptr<const std::string> href;  // inside <a href>: the link's URI (http/https/mailto)
};

/// The links of one paragraph's PangoLayout (kept on the layout as object data): byte ranges
/// of its text and their URIs.
struct link_range {
  int start = 0, end = 0;
  std::shared_ptr<const std::string> uri;
};
using link_list = std::vector<link_range>;
constexpr const char* links_key = "weft-links";

/// A URI as a value of a Cairo tag attribute: quotes, backslashes, spaces and control bytes
/// percent-encoded (a URI has no use for them raw), so the attribute cannot be broken out of.
std::string cairo_uri(const std::string& uri) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : uri) {
    if (c == '\'' || c == '\\' || c == ' ' || c == '"' || c < 0x20 || c == 0x7f) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

/// Whether `href` may become a clickable link: http, https and mailto only.
bool linkable(const std::string& href) {
  std::string scheme;
  for (char c : href) {
    if (c == ':') break;
    scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return scheme.size() < href.size() &&
         (scheme == "http" || scheme == "https" || scheme == "mailto");
}

struct box {
  box_kind kind = box_kind::block;
  style st;
  source_position where;
  std::vector<std::unique_ptr<box>> children;
  // paragraph
  std::vector<inline_item> items;
  bool open = true;            // inline content may still be appended
  bool trailing_space = true;  // collapsing: the text so far ends in a space (or is empty)
  // table cell
  int colspan = 1;
  int group = 1;  // row_group: 0 thead, 1 tbody, 2 tfoot
  // li
  std::string marker;
  bool list_item = false;
  // image / barcode
  std::shared_ptr<const image_resource> image;
  std::shared_ptr<const barcode_resource> code;
};

bool is_generic_family(const std::string& f) {
  static const std::set<std::string> generic{"serif",   "sans-serif", "sans",     "monospace",
                                             "cursive", "fantasy",    "system-ui"};
  return generic.count(lower(f)) > 0;
}

}  // namespace

struct laid_out_document::impl {
  page_setup page;
  std::string title;
  std::string author;
  std::deque<style> styles;  // inline items point here
  std::unique_ptr<box> header, footer;
  std::vector<page_ops> pages;
};

laid_out_document::laid_out_document(std::unique_ptr<impl> p) : p_(std::move(p)) {}
laid_out_document::laid_out_document(laid_out_document&&) noexcept = default;
laid_out_document::~laid_out_document() = default;
std::size_t laid_out_document::page_count() const { return p_->pages.size(); }
double laid_out_document::page_width() const { return p_->page.width; }
double laid_out_document::page_height() const { return p_->page.height; }
const std::string& laid_out_document::title() const { return p_->title; }
const std::string& laid_out_document::author() const { return p_->author; }

struct layout_engine::state {
  layout_options options;
  diagnostics diag;
  std::shared_ptr<const thread_fonts> fonts;  // the thread's font map (fonts_of_thread)
  PangoContext* context = nullptr;
  std::set<std::string> checked_families;
  image_cache images;
  bool checking = false;  // check_template(): no images, no barcodes

  explicit state(layout_options o)
      : options(std::move(o)),
        diag(options.strict, options.max_warnings),
        images(options.resources_dir, options.max_image_bytes) {}
  ~state() {
    if (context) g_object_unref(context);
  }

  bool installed(const std::string& lower_family) const;

  void check_family(const std::string& families, source_position where) {
    std::size_t i = 0;
    while (i <= families.size()) {
      std::size_t comma = families.find(',', i);
      if (comma == std::string::npos) comma = families.size();
      std::string f = families.substr(i, comma - i);
      i = comma + 1;
      if (f.empty() || is_generic_family(f) || !checked_families.insert(f).second) continue;
      if (!installed(lower(f)))
        diag.warn("font:" + f, where,
                  "font family \"" + f +
                      "\" is not installed; the text falls back to another font (fontconfig); "
                      "install it or add its directory to [fonts].dirs");
    }
  }
};

namespace {

// ---------------------------------------------------------------------------------------------
// Building the box tree from gumbo's DOM

constexpr int max_nesting = 256;

/// Refuses a document whose elements nest deeper than max_nesting before gumbo sees it: gumbo
/// recurses per level (and slows down quadratically), so 100,000 nested <div>s would take
/// minutes and then overflow the stack. A scan of the tags, not a parse: void elements,
/// self-closing tags and elements whose end tag HTML implies (p, li, td, …) do not count.
void check_nesting(std::string_view html) {
  static const std::set<std::string> not_counted{
      "br",     "hr",     "img",  "meta", "link",        "input",      "col",
      "source", "wbr",    "area", "base", "embed",       "param",      "track",
      "p",      "li",     "td",   "th",   "tr",          "thead",      "tbody",
      "tfoot",  "option", "dt",   "dd",   "page-number", "page-count", "barcode"};
  int depth = 0;
  unsigned line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i + 1 < html.size(); ++i) {
    if (html[i] == '\n') {
      ++line;
      line_start = i + 1;
      continue;
    }
    if (html[i] != '<') continue;
    const bool closing = html[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::size_t start = j;
    while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])) || html[j] == '-'))
      ++j;
    if (j == start || !std::isalpha(static_cast<unsigned char>(html[start]))) continue;
    const std::string name = lower(std::string(html.substr(start, j - start)));
    if (not_counted.count(name)) continue;
    if (closing) {
      if (depth > 0) --depth;
      continue;
    }
    const std::size_t end = html.find('>', j);
    if (end != std::string_view::npos && end > 0 && html[end - 1] == '/') continue;
    if (++depth > max_nesting)
      throw layout_error("line " + std::to_string(line) + ":" + std::to_string(i - line_start + 1) +
                         ": elements nest deeper than " + std::to_string(max_nesting) + " levels");
  }
}

struct builder {
  layout_engine::state& st;
  laid_out_document::impl& doc;
  style_sheet sheet;
  bool uses_page_count_in_body = false;
  int depth = 0;
  std::shared_ptr<const std::string> href;                // the enclosing <a href>'s, if linkable
  static constexpr int max_depth = 2 * max_nesting + 16;  // + elements the scan skips

  static std::string tag_name(const GumboNode* n) {
    const GumboElement& e = n->v.element;
    if (e.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(e.tag);
    GumboStringPiece piece = e.original_tag;
    gumbo_tag_from_original_text(&piece);
    return lower(std::string(piece.data, piece.length));
  }

  static source_position pos(const GumboSourcePosition& p) { return {p.line, p.column}; }

  /// Whether element `n`'s start tag, in a template checked with its tags blanked, holds no
  /// tag at all (a value's marker, or the tabs of a section or comment): what it names is
  /// then the same for every record and can be checked once.
  bool written_out(const GumboNode* n) const {
    const GumboStringPiece& tag = n->v.element.original_tag;
    const std::string_view text(tag.data ? tag.data : "", tag.length);
    return !st.diag.skipped(std::string(text)) && text.find('\t') == std::string_view::npos;
  }

  /// Runs a resource check of the template's own text; its error is the template's, named by
  /// the label ("template line L:C: ..." or "partial "x" line L:C: ...").
  template <class F>
  void resource_checked(F check) {
    try {
      check();
    } catch (const layout_error& e) {
      throw template_resource_error(st.diag.label() + e.what());
    }
  }

  static const char* attr(const GumboNode* n, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : nullptr;
  }

  static std::string text_of(const GumboNode* n) {
    std::string out;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      out += n->v.text.text;
    } else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& c = n->v.element.children;
      for (unsigned i = 0; i < c.length; ++i)
        out += text_of(static_cast<const GumboNode*>(c.data[i]));
    }
    return out;
  }

  /// Collects <style>, <title> and <meta name=author> anywhere in the document.
  void collect_head(const GumboNode* n) {
    if (n->type != GUMBO_NODE_ELEMENT) return;
    const GumboElement& e = n->v.element;
    if (e.tag == GUMBO_TAG_STYLE) {
      for (unsigned i = 0; i < e.children.length; ++i) {
        auto* t = static_cast<const GumboNode*>(e.children.data[i]);
        if (t->type == GUMBO_NODE_TEXT || t->type == GUMBO_NODE_WHITESPACE)
          sheet.parse(t->v.text.text, pos(t->v.text.start_pos), st.diag);
      }
      return;
    }
    if (e.tag == GUMBO_TAG_TITLE) {
      std::string t = text_of(n);
      std::string collapsed;
      bool space = true;
      for (char c : t) {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!space) collapsed.push_back(' ');
          space = true;
        } else {
          collapsed.push_back(c);
          space = false;
        }
      }
      while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
      if (doc.title.empty()) doc.title = collapsed;
      return;
    }
    if (e.tag == GUMBO_TAG_META) {
      const char* name = attr(n, "name");
      const char* content = attr(n, "content");
      if (name && content && lower(name) == "author") doc.author = content;
      return;
    }
    for (unsigned i = 0; i < e.children.length; ++i)
      collect_head(static_cast<const GumboNode*>(e.children.data[i]));
  }

  static void user_agent_style(const std::string& name, style& s) {
    auto em = [&](double v) { return length::pt(v * s.font_size); };
    if (name == "h1" || name == "h2" || name == "h3" || name == "h4") {
      static const std::map<std::string, std::pair<double, double>> h{
          {"h1", {2.0, 0.67}}, {"h2", {1.5, 0.83}}, {"h3", {1.17, 1.0}}, {"h4", {1.0, 1.33}}};
      s.font_size *= h.at(name).first;
      s.font_weight = 700;
      s.margin[0] = s.margin[2] = em(h.at(name).second);
    } else if (name == "p") {
      s.margin[0] = s.margin[2] = em(1);
    } else if (name == "b" || name == "strong" || name == "th") {
      s.font_weight = 700;
      if (name == "th") s.align = text_align::center;
    } else if (name == "i" || name == "em") {
      s.italic = true;
    } else if (name == "u") {
      s.underline = true;
    } else if (name == "a") {
      s.underline = true;
      s.color = {0, 0, 0.8, 1};
    } else if (name == "ul" || name == "ol") {
      s.margin[0] = s.margin[2] = em(1);
      s.padding[3] = em(2);
    } else if (name == "hr") {
      s.margin[0] = s.margin[2] = em(0.5);
      s.border[0] = border_style::solid;
      s.border_width[0] = 0.75;
      s.border_color[0] = {0.5, 0.5, 0.5, 1};
    }
    if (name == "td" || name == "th") {
      s.padding = {length::pt(1), length::pt(1), length::pt(1), length::pt(1)};
    }
  }

  style compute(const GumboNode* n, const std::string& name, const style& parent,
                const element_view& view) {
    style s = parent.inherit();
    user_agent_style(name, s);
    auto decls = sheet.matching(view);
    std::vector<declaration> inline_decls;
    const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, "style");
    if (a) {
      inline_decls = parse_inline_style(a->value, pos(a->value_start), st.diag);
      // value_start points at the opening quote
      for (auto& d : inline_decls)
        if (d.where.line == a->value_start.line) ++d.where.column;
      for (const auto& d : inline_decls) decls.push_back(&d);
    }
    apply_declarations(s, decls, parent.font_size, st.diag);
    if (s.font_family != parent.font_family)
      st.check_family(s.font_family, pos(n->v.element.start_pos));
    return s;
  }

  box& paragraph_for(box& container) {
    if (!container.children.empty() && container.children.back()->kind == box_kind::paragraph &&
        container.children.back()->open)
      return *container.children.back();
    auto p = std::make_unique<box>();
    p->kind = box_kind::paragraph;
    p->st = container.st.inherit();
    p->where = container.where;
    if (!container.marker.empty()) {
      inline_item m;
      m.text = container.marker;
      m.st = &doc.styles.emplace_back(container.st);
      p->items.push_back(std::move(m));
      container.marker.clear();
    }
    container.children.push_back(std::move(p));
    return *container.children.back();
  }

  void close_paragraph(box& container) {
    if (container.children.empty() || container.children.back()->kind != box_kind::paragraph)
      return;
    box& p = *container.children.back();
    p.open = false;
    // trim the trailing collapsible space; drop paragraphs holding nothing
    if (p.st.space == white_space::normal || p.st.space == white_space::nowrap ||
        p.st.space == white_space::pre_line) {
      while (!p.items.empty() && p.items.back().k == inline_item::kind::text) {
        auto& t = p.items.back().text;
        while (!t.empty() && t.back() == ' ') t.pop_back();
        if (!t.empty()) break;
        p.items.pop_back();
      }
    }
    if (p.items.empty()) container.children.pop_back();
  }

  void add_text(box& container, std::string_view text, const style& s) {
    if (text.empty()) return;
    box& p = paragraph_for(container);
    std::string out;
    if (s.space == white_space::pre || s.space == white_space::pre_wrap) {
      out.assign(text);
      p.trailing_space = !out.empty() && (out.back() == ' ' || out.back() == '\n');
    } else {
      for (char c : text) {
        bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
        if (s.space == white_space::pre_line && c == '\n') {
          while (!out.empty() && out.back() == ' ') out.pop_back();
          out.push_back('\n');
          p.trailing_space = true;
          continue;
        }
        if (ws) {
          if (!p.trailing_space) out.push_back(' ');
          p.trailing_space = true;
        } else {
          out.push_back(c);
          p.trailing_space = false;
        }
      }
    }
    if (out.empty()) return;
    const style* sp = &s;
    if (!p.items.empty() && p.items.back().k == inline_item::kind::text &&
        p.items.back().st == sp && p.items.back().href == href) {
      p.items.back().text += out;
      return;
    }
    inline_item it;
    it.text = std::move(out);
    it.st = sp;
    it.href = href;
    p.items.push_back(std::move(it));
  }

  void add_children(const GumboNode* n, box& container, const style& s, const element_view& view,
                    bool in_body) {
    const GumboVector& c = n->v.element.children;
    for (unsigned i = 0; i < c.length; ++i)
      build(static_cast<const GumboNode*>(c.data[i]), container, s, view, in_body);
  }

  std::unique_ptr<box> new_box(box_kind k, const style& s, source_position where) {
    auto b = std::make_unique<box>();
    b->kind = k;
    b->st = s;
    b->where = where;
    return b;
  }

  void build(const GumboNode* n, box& container, const style& parent, const element_view& pview,
             bool in_body) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      if (container.kind == box_kind::table || container.kind == box_kind::row_group ||
          container.kind == box_kind::row)
        return;  // whitespace between table parts
      // `parent` is its element's style, kept in doc.styles (build() hands every element's
      // children the style it stored there): the text's items point at it, no copy per text.
      add_text(container, n->v.text.text, parent);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT) return;
    const std::string name = tag_name(n);
    const source_position where = pos(n->v.element.start_pos);
    // layout recurses per level: a bound keeps a hostile document from exhausting the stack
    struct depth_guard {
      int& d;
      explicit depth_guard(int& x) : d(++x) {}
      ~depth_guard() { --d; }
    } guard(depth);
    if (depth > max_depth)
      throw layout_error(where_text(where) + ": elements nest deeper than " +
                         std::to_string(max_depth) + " levels");
    static const std::set<std::string> skipped{"head", "style",  "title",    "meta",
                                               "link", "script", "template", "noscript"};
    if (skipped.count(name)) {
      if (name == "script" || name == "link")
        st.diag.warn("el:" + name, where, "<" + name + "> is not supported; ignored");
      return;
    }
    const char* id = attr(n, "id");
    const char* cls = attr(n, "class");
    element_view view{name, id ? id : "", cls ? cls : "", &pview};
    const GumboElement& e = n->v.element;

    static const std::set<std::string> inline_elements{"span", "b",     "strong", "i",   "em",  "u",
                                                       "a",    "small", "sup",    "sub", "code"};
    static const std::set<std::string> block_elements{
        "html", "body", "div",    "p",      "h1",      "h2",      "h3",   "h4",     "ul",
        "ol",   "li",   "header", "footer", "section", "article", "main", "address"};
    static const std::set<std::string> table_parts{"table", "thead", "tbody", "tfoot",
                                                   "tr",    "td",    "th"};
    bool known = inline_elements.count(name) || block_elements.count(name) ||
                 table_parts.count(name) || name == "br" || name == "hr" || name == "img" ||
                 name == "barcode" || name == "page-number" || name == "page-count";
    if (!known || name == "small" || name == "sup" || name == "sub" || name == "code" ||
        name == "section" || name == "article" || name == "main" || name == "address")
      st.diag.warn("el:" + name, where,
                   "<" + name + "> is not in the supported subset; its content is laid out as " +
                       (block_elements.count(name) ? "a <div>" : "a <span>"));

    const style* sp = &doc.styles.emplace_back(compute(n, name, parent, view));
    const style& s = *sp;

    if (name == "html" || name == "body") {
      if (name == "body") container.st = s;
      add_children(n, container, s, view, true);
      return;
    }
    if (name == "a") {
      const char* h = attr(n, "href");
      auto outer = href;
      if (h && *h) {
        if (linkable(h))
          href = std::make_shared<const std::string>(h);
        else
          st.diag.warn("href:" + std::string(h), where,
                       "<a href=\"" + std::string(h).substr(0, 80) +
                           "\">: only http, https and mailto links are clickable; shown as text");
      }
      add_children(n, container, s, view, in_body);
      href = outer;
      return;
    }
    if (!known || inline_elements.count(name)) {
      add_children(n, container, s, view, in_body);
      return;
    }
    if (name == "br") {
      box& p = paragraph_for(container);
      inline_item it;
      it.text = "\n";
      it.st = sp;
      p.items.push_back(std::move(it));
      p.trailing_space = true;
      return;
    }
    if (name == "page-number" || name == "page-count") {
      box& p = paragraph_for(container);
      inline_item it;
      it.k = name == "page-number" ? inline_item::kind::page_number : inline_item::kind::page_count;
      it.st = sp;
      p.items.push_back(std::move(it));
      p.trailing_space = false;
      if (in_body) uses_page_count_in_body = true;
      return;
    }
    close_paragraph(container);
    if (name == "header" || name == "footer") {
      if (!in_body || container.kind != box_kind::block) {
        add_children(n, container, s, view, in_body);
        return;
      }
      auto b = new_box(box_kind::block, s, where);
      add_children(n, *b, s, view, false);
      close_paragraph(*b);
      auto& slot = name == "header" ? doc.header : doc.footer;
      if (slot) st.diag.warn("dup:" + name, where, "a second <" + name + "> replaces the first");
      slot = std::move(b);
      return;
    }
    if (name == "hr") {
      container.children.push_back(new_box(box_kind::hr, s, where));
      return;
    }
    if (name == "img") {
      const char* src = attr(n, "src");
      auto b = new_box(box_kind::image, s, where);
      if (st.checking) {
        // A src the template writes out (no tag in it) is loaded now: a missing or bad image
        // fails the job naming the template's line before any document (the image stays in
        // the cache for the documents).
        if (written_out(n))
          resource_checked([&] {
            if (!src || !*src)
              throw layout_error(where_text(where) + ": <img> without a src attribute");
            (void)st.images.load(src, where);
          });
        return;
      }
      if (!src || !*src) throw layout_error(where_text(where) + ": <img> without a src attribute");
      b->image = st.images.load(src, where);
      container.children.push_back(std::move(b));
      return;
    }
    if (name == "barcode") {
      const char* type = attr(n, "type");
      const char* value = attr(n, "value");
      if (st.checking) {
        // Type and value both written out by the template: checked now, named by its line.
        const std::string t = type ? type : "", v = value ? value : "";
        if (written_out(n)) resource_checked([&] { (void)make_barcode(t, v, where); });
        return;
      }
      auto b = new_box(box_kind::barcode, s, where);
      b->code = make_barcode(type ? type : "", value ? value : "", where);
      container.children.push_back(std::move(b));
      return;
    }
    if (name == "table") {
      auto t = new_box(box_kind::table, s, where);
      add_children(n, *t, s, view, in_body);
      container.children.push_back(std::move(t));
      return;
    }
    if (name == "thead" || name == "tbody" || name == "tfoot") {
      auto g = new_box(box_kind::row_group, s, where);
      g->group = name == "thead" ? 0 : name == "tbody" ? 1 : 2;
      add_children(n, *g, s, view, in_body);
      container.children.push_back(std::move(g));
      return;
    }
    if (name == "tr") {
      auto r = new_box(box_kind::row, s, where);
      add_children(n, *r, s, view, in_body);
      container.children.push_back(std::move(r));
      return;
    }
    if (name == "td" || name == "th") {
      auto c = new_box(box_kind::cell, s, where);
      if (const char* span = attr(n, "colspan")) {
        int v = std::atoi(span);
        if (v < 1 || v > 1000)
          st.diag.warn("colspan:" + std::string(span), where,
                       "colspan=\"" + std::string(span) + "\" is not a number from 1 to 1000");
        else
          c->colspan = v;
      }
      add_children(n, *c, s, view, in_body);
      close_paragraph(*c);
      container.children.push_back(std::move(c));
      return;
    }
    auto b = new_box(box_kind::block, s, where);
    if (name == "li") {
      b->list_item = true;
      if (pview.name == "ol") {
        int index = 1;
        for (const auto& sib : container.children)
          if (sib->list_item) ++index;
        b->marker = std::to_string(index) + ". ";
      } else {
        b->marker = "\u2022 ";
      }
    }
    add_children(n, *b, s, view, in_body);
    close_paragraph(*b);
    (void)e;
    container.children.push_back(std::move(b));
  }

  std::shared_ptr<const barcode_resource> make_barcode(const std::string& type,
                                                       const std::string& value,
                                                       source_position where) {
    return make_barcode_resource(type, value, where_text(where));
  }
};

// ---------------------------------------------------------------------------------------------
// Flow: boxes → positioned operations on pages

struct flow {
  layout_engine::state& st;
  std::vector<page_ops>& pages;
  double top, bottom;
  bool unbounded;
  std::uint64_t max_pages = 0;
  std::size_t page = 0;
  double y = 0;
  bool pending_break = false;
  int page_number_base = 0;  // <page-number> = page_number_base + page + 1
  int page_count = 0;        // <page-count>; 0: unknown

  flow(layout_engine::state& s, std::vector<page_ops>& p, double t, double b, bool unb)
      : st(s), pages(p), top(t), bottom(b), unbounded(unb) {
    if (pages.empty()) pages.emplace_back();
    page = pages.size() - 1;
    y = top;
  }

  bool at_top() const { return y <= top + 0.001; }

  void new_page() {
    if (unbounded) return;
    if (max_pages > 0 && pages.size() >= max_pages)
      throw layout_error("the document fills more than " + std::to_string(max_pages) +
                         " pages (jobs.max_document_pages)");
    pages[page].ops.shrink_to_fit();  // kept until painted: no spare capacity
    pages.emplace_back();
    ++page;
    y = top;
  }

  void before_content() {
    if (pending_break) {
      pending_break = false;
      if (!at_top()) new_page();
    }
  }

  void emit(op o) { pages[page].ops.push_back(std::move(o)); }

  // --- paragraphs

  layout_ptr make_layout(const box& p, double width) const {
    std::string text;
    PangoAttrList* attrs = pango_attr_list_new();
    link_list* links = nullptr;
    for (const auto& it : p.items) {
      std::size_t start = text.size();
      if (it.k == inline_item::kind::page_number)
        text += std::to_string(page_number_base + static_cast<int>(page) + 1);
      else if (it.k == inline_item::kind::page_count)
        text += page_count > 0 ? std::to_string(page_count) : "00";
      else
        text += it.text;
      if (it.href && text.size() > start) {
        if (!links) links = new link_list;
        if (!links->empty() && links->back().uri == it.href &&
            links->back().end == static_cast<int>(start))
          links->back().end = static_cast<int>(text.size());
        else
          links->push_back({static_cast<int>(start), static_cast<int>(text.size()), it.href});
      }
      const style& s = *it.st;
      auto add = [&](PangoAttribute* a) {
        a->start_index = static_cast<guint>(start);
        a->end_index = static_cast<guint>(text.size());
        pango_attr_list_insert(attrs, a);
      };
      PangoFontDescription* fd = pango_font_description_new();
      pango_font_description_set_family(fd, s.font_family.c_str());
      pango_font_description_set_size(fd, static_cast<gint>(s.font_size * PANGO_SCALE));
      pango_font_description_set_weight(fd, static_cast<PangoWeight>(s.font_weight));
      pango_font_description_set_style(fd, s.italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
      add(pango_attr_font_desc_new(fd));
      pango_font_description_free(fd);
      auto c16 = [](double v) { return static_cast<guint16>(std::lround(v * 65535)); };
      add(pango_attr_foreground_new(c16(s.color.r), c16(s.color.g), c16(s.color.b)));
      if (s.underline) add(pango_attr_underline_new(PANGO_UNDERLINE_SINGLE));
      if (s.line_height_points > 0)
        add(pango_attr_line_height_new_absolute(
            static_cast<int>(s.line_height_points * PANGO_SCALE)));
      else if (s.line_height_factor > 0)
        add(pango_attr_line_height_new(s.line_height_factor));
    }
    PangoLayout* l = pango_layout_new(st.context);
    if (links)
      g_object_set_data_full(G_OBJECT(l), links_key, links,
                             [](gpointer d) { delete static_cast<link_list*>(d); });
    pango_layout_set_text(l, text.c_str(), static_cast<int>(text.size()));
    pango_layout_set_attributes(l, attrs);
    pango_attr_list_unref(attrs);
    const style& s = p.st;
    PangoFontDescription* fd = pango_font_description_new();
    pango_font_description_set_family(fd, s.font_family.c_str());
    pango_font_description_set_size(fd, static_cast<gint>(s.font_size * PANGO_SCALE));
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    const bool wrap = s.space != white_space::pre && s.space != white_space::nowrap;
    if (wrap && width > 0) {
      pango_layout_set_width(l, static_cast<int>(width * PANGO_SCALE));
      pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    // text-align means left or right as written, also in a right-to-left paragraph (Pango would
    // mirror it); bidi reordering inside the lines stays.
    pango_layout_set_auto_dir(l, FALSE);
    switch (s.align) {
      case text_align::right:
        pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
        break;
      case text_align::center:
        pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
        break;
      case text_align::justify:
        pango_layout_set_justify(l, TRUE);
        break;
      default:
        break;
    }
    return adopt(l);
  }

  void flow_paragraph(const box& p, double x, double w) {
    before_content();
    layout_ptr l = make_layout(p, w);
    std::vector<double> tops, heights;
    PangoLayoutIter* iter = pango_layout_get_iter(l.get());
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter, nullptr, &logical);
      tops.push_back(logical.y * pango_to_pt);
      heights.push_back(logical.height * pango_to_pt);
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
    const int n = static_cast<int>(tops.size());
    int start = 0;
    while (start < n) {
      const double base = tops[static_cast<std::size_t>(start)];
      int k = 0;
      if (unbounded) {
        k = n - start;
      } else {
        while (start + k < n && tops[static_cast<std::size_t>(start + k)] +
                                        heights[static_cast<std::size_t>(start + k)] - base <=
                                    bottom - y + 0.01)
          ++k;
      }
      if (start + k < n) {
        // orphans: at least 2 lines at the bottom of a page; widows: 2 at the top of the next
        if (k < 2 && !at_top()) {
          new_page();
          continue;
        }
        const int rest = n - start - k;
        if (rest < 2) {
          const int nk = k - (2 - rest);
          if (nk >= 2) {
            k = nk;
          } else if (!at_top()) {
            new_page();
            continue;
          }
        }
        if (k == 0) k = 1;  // a line taller than the page
      }
      op o;
      o.k = op::kind::text;
      o.text = l;
      o.first = start;
      o.last = start + k;
      o.x = x;
      o.y = y - base;
      emit(std::move(o));
      const auto lastl = static_cast<std::size_t>(start + k - 1);
      y += tops[lastl] + heights[lastl] - base;
      start += k;
      if (start < n) new_page();
    }
  }

  // --- blocks

  static std::array<double, 4> border_widths(const style& s) {
    std::array<double, 4> b{};
    for (int k = 0; k < 4; ++k) b[k] = s.border[k] == border_style::none ? 0 : s.border_width[k];
    return b;
  }

  /// One cell of a table row placed in its columns: left edge, width (its colspan's columns,
  /// cut at the last column), border widths and padding.
  struct cell_frame {
    const box* cell;
    double x, w;
    std::array<double, 4> bw;
    double pl, pr, pt, pb;
    /// The left edge and the width of the cell's content.
    double inner_x() const { return x + bw[3] + pl; }
    double inner_w() const { return std::max(1.0, w - bw[1] - bw[3] - pl - pr); }
  };

  /// The cells of `row` in column order (lay_row and split_row place them alike).
  static std::vector<cell_frame> cell_frames(const box& row, const std::vector<double>& col_x,
                                             const std::vector<double>& col_w) {
    std::vector<cell_frame> out;
    std::size_t col = 0;
    for (const auto& c : row.children) {
      if (c->kind != box_kind::cell) continue;
      if (col >= col_w.size()) break;
      const std::size_t span =
          std::min<std::size_t>(static_cast<std::size_t>(c->colspan), col_w.size() - col);
      double cw = 0;
      for (std::size_t k = col; k < col + span; ++k) cw += col_w[k];
      const style& s = c->st;
      out.push_back({c.get(), col_x[col], cw, border_widths(s), s.padding[3].resolve(cw),
                     s.padding[1].resolve(cw), s.padding[0].resolve(cw), s.padding[2].resolve(cw)});
      col += span;
    }
    return out;
  }

  void decorate(const style& s, std::size_t start_page, double start_y, std::size_t start_index,
                double x, double w, double end_y) {
    const auto bw = border_widths(s);
    const bool has_border = bw[0] + bw[1] + bw[2] + bw[3] > 0;
    if (s.background.transparent() && !has_border) return;
    for (std::size_t p = start_page; p <= page; ++p) {
      // the content moved on to the next page before anything was drawn: no empty frame here
      if (p == start_page && p < page && pages[p].ops.size() == start_index) continue;
      const double t = p == start_page ? start_y : top;
      const double b = p == page ? end_y : bottom;
      if (b <= t) continue;
      std::vector<op> deco;
      if (!s.background.transparent()) {
        op f;
        f.k = op::kind::fill;
        f.x = x;
        f.y = t;
        f.w = w;
        f.h = b - t;
        f.color = s.background;
        deco.push_back(std::move(f));
      }
      if (has_border) {
        op o;
        o.k = op::kind::border;
        o.x = x;
        o.y = t;
        o.w = w;
        o.h = b - t;
        o.set_border(bw, s.border, s.border_color);
        deco.push_back(std::move(o));
      }
      auto& ops = pages[p].ops;
      const std::size_t at = p == start_page ? start_index : 0;
      ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(std::min(at, ops.size())),
                 std::make_move_iterator(deco.begin()), std::make_move_iterator(deco.end()));
      if (p < page) ops.shrink_to_fit();  // a finished page keeps no spare capacity (new_page)
    }
  }

  /// Moves the operations of a one-page flow into this page, shifted down by `dy`.
  void transfer(std::vector<page_ops>& from, double dx, double dy) {
    for (auto& pg : from)
      for (auto& o : pg.ops) {
        o.x += dx;
        o.y += dy;
        emit(std::move(o));
      }
  }

  void flow_children(const box& b, double x, double w) {
    for (const auto& c : b.children) {
      switch (c->kind) {
        case box_kind::paragraph:
          flow_paragraph(*c, x, w);
          break;
        case box_kind::table:
          flow_table(*c, x, w);
          break;
        case box_kind::image:
        case box_kind::barcode:
          flow_picture(*c, x, w);
          break;
        case box_kind::hr:
          flow_hr(*c, x, w);
          break;
        case box_kind::row_group:
        case box_kind::row:
        case box_kind::cell:
          flow_children(*c, x, w);  // table parts outside a table
          break;
        default:
          flow_block(*c, x, w);
      }
    }
  }

  void flow_block(const box& b, double x, double w, bool allow_avoid = true) {
    const style& s = b.st;
    if (s.break_before && !at_top()) new_page();
    before_content();
    // a block with a fixed height, or break-inside: avoid, moves whole to the next page when it
    // does not fit (unless it is taller than a page)
    if ((s.avoid_break_inside || !s.height.is_auto()) && allow_avoid && !unbounded) {
      std::vector<page_ops> tmp;
      flow f(st, tmp, 0, 0, true);
      f.page_number_base = page_number_base + static_cast<int>(page);
      f.page_count = page_count;
      f.flow_block(b, x, w, false);
      const double h = f.y;
      if (y + h > bottom && !at_top() && h <= bottom - top) new_page();
      if (y + h <= bottom || at_top()) {
        if (h <= bottom - top) {
          transfer(tmp, 0, y);
          y += h;
          if (f.pending_break) pending_break = true;
          return;
        }
      }
    }
    const double ml = s.margin[3].resolve(w), mr = s.margin[1].resolve(w);
    const double mt = s.margin[0].resolve(w), mb = s.margin[2].resolve(w);
    const auto bw = border_widths(s);
    const double pt = s.padding[0].resolve(w), pr = s.padding[1].resolve(w);
    const double pb = s.padding[2].resolve(w), pl = s.padding[3].resolve(w);
    double box_w = w - ml - mr;
    if (!s.width.is_auto()) box_w = std::min(s.width.resolve(w) + pl + pr + bw[1] + bw[3], w - ml);
    const double bx = x + ml;
    if (!(at_top() && page > 0)) y += mt;
    const std::size_t start_page = page;
    const double start_y = y;
    const std::size_t start_index = pages[page].ops.size();
    y += bw[0] + pt;
    const double content_y = y;
    const std::size_t content_page = page;
    flow_children(b, bx + bw[3] + pl, std::max(1.0, box_w - bw[1] - bw[3] - pl - pr));
    if (!s.height.is_auto() && page == content_page) {
      const double hgt = s.height.resolve(bottom - top);
      if (y < content_y + hgt) y = std::min(content_y + hgt, unbounded ? 1e9 : bottom);
    }
    y += pb + bw[2];
    decorate(s, start_page, start_y, start_index, bx, box_w, y);
    y += mb;
    if (s.break_after) pending_break = true;
  }

  void flow_hr(const box& b, double x, double w) {
    before_content();
    const style& s = b.st;
    const double mt = s.margin[0].resolve(w), mb = s.margin[2].resolve(w);
    const double thick =
        std::max(0.5, s.border[0] == border_style::none ? 0.75 : s.border_width[0]);
    if (y + mt + thick > bottom && !at_top()) new_page();
    if (!at_top()) y += mt;
    op o;
    o.k = op::kind::fill;
    o.x = x + s.margin[3].resolve(w);
    o.y = y;
    o.w = w - s.margin[3].resolve(w) - s.margin[1].resolve(w);
    o.h = thick;
    o.color = s.border[0] == border_style::none ? rgba{0.5, 0.5, 0.5, 1} : s.border_color[0];
    if (!s.background.transparent() && s.border[0] == border_style::none) o.color = s.background;
    emit(std::move(o));
    y += thick + mb;
  }

  /// The natural size of an image or barcode box in points for a container of width `w`.
  void picture_size(const box& b, double w, double& pw, double& ph) const {
    const style& s = b.st;
    double aspect = 1;
    double natural_w = 0;
    if (b.image) {
      aspect = b.image->height / b.image->width;
      natural_w = b.image->width * 0.75;  // CSS px
    } else {
      aspect = b.code->aspect();
      natural_w = 113.4;  // 40 mm
    }
    if (!s.width.is_auto()) {
      pw = s.width.resolve(w);
      ph = s.height.is_auto() ? pw * aspect : s.height.resolve(bottom - top);
    } else if (!s.height.is_auto()) {
      ph = s.height.resolve(bottom - top);
      pw = ph / aspect;
    } else {
      pw = natural_w;
      ph = pw * aspect;
    }
    const double ml = s.margin[3].resolve(w), mr = s.margin[1].resolve(w);
    if (pw > w - ml - mr && w - ml - mr > 0) {
      ph *= (w - ml - mr) / pw;
      pw = w - ml - mr;
    }
    if (!unbounded && ph > bottom - top) {
      pw *= (bottom - top) / ph;
      ph = bottom - top;
    }
  }

  void flow_picture(const box& b, double x, double w) {
    const style& s = b.st;
    if (s.break_before && !at_top()) new_page();
    before_content();
    double pw = 0, ph = 0;
    picture_size(b, w, pw, ph);
    const double mt = s.margin[0].resolve(w), mb = s.margin[2].resolve(w);
    const double ml = s.margin[3].resolve(w);
    if (y + mt + ph > bottom && !at_top()) new_page();
    if (!at_top()) y += mt;
    double px = x + ml;
    if (s.align == text_align::center) px = x + (w - pw) / 2;
    if (s.align == text_align::right) px = x + w - pw - s.margin[1].resolve(w);
    op o;
    o.k = b.image ? op::kind::image : op::kind::barcode;
    o.x = px;
    o.y = y;
    o.w = pw;
    o.h = ph;
    o.image = b.image;
    o.code = b.code;
    emit(std::move(o));
    y += ph + mb;
    if (s.break_after) pending_break = true;
  }

  // --- tables

  double max_content(const box& b) const {
    const style& s = b.st;
    const auto bw = border_widths(s);
    const double extra = s.padding[1].resolve(0) + s.padding[3].resolve(0) + bw[1] + bw[3] +
                         s.margin[1].resolve(0) + s.margin[3].resolve(0);
    switch (b.kind) {
      case box_kind::paragraph: {
        layout_ptr l = make_layout(b, -1);
        PangoRectangle logical;
        pango_layout_get_extents(l.get(), nullptr, &logical);
        return logical.width * pango_to_pt + 0.5;
      }
      case box_kind::image:
      case box_kind::barcode: {
        if (!s.width.is_auto() && s.width.k == length::kind::points) return s.width.value + extra;
        if (b.image) return b.image->width * 0.75 + extra;
        return 113.4 + extra;
      }
      default: {
        if (!s.width.is_auto() && s.width.k == length::kind::points) return s.width.value + extra;
        double m = 0;
        for (const auto& c : b.children) m = std::max(m, max_content(*c));
        return m + extra;
      }
    }
  }

  struct placed_row {
    double h = 0;
    std::vector<page_ops> ops;
  };

  placed_row lay_row(const box& row, const std::vector<double>& col_x,
                     const std::vector<double>& col_w) {
    placed_row out;
    out.ops.emplace_back();
    struct cell_result {
      const box* cell;
      double x, w, h;
      double content;  // without a fixed height: what vertical-align moves
      std::vector<page_ops> ops;
    };
    std::vector<cell_result> cells;
    double row_h = row.st.height.is_auto() ? 0 : row.st.height.resolve(0);
    for (const auto& g : cell_frames(row, col_x, col_w)) {
      const style& s = g.cell->st;
      cell_result r{g.cell, g.x, g.w, 0, 0, {}};
      flow f(st, r.ops, 0, 0, true);
      f.page_number_base = page_number_base + static_cast<int>(page);
      f.page_count = page_count;
      f.y = g.bw[0] + g.pt;
      f.flow_children(*g.cell, g.inner_x(), g.inner_w());
      r.h = r.content = f.y + g.pb + g.bw[2];
      if (!s.height.is_auto()) r.h = std::max(r.h, s.height.resolve(0));
      row_h = std::max(row_h, r.h);
      cells.push_back(std::move(r));
    }
    if (!row.st.background.transparent() && !col_w.empty()) {
      op f;
      f.k = op::kind::fill;
      f.x = col_x.front();
      f.y = 0;
      f.w = col_x.back() + col_w.back() - col_x.front();
      f.h = row_h;
      f.color = row.st.background;
      out.ops[0].ops.push_back(std::move(f));
    }
    for (auto& r : cells) {
      const style& s = r.cell->st;
      double dy = 0;
      if (s.valign == vertical_align::middle) dy = (row_h - r.content) / 2;
      if (s.valign == vertical_align::bottom) dy = row_h - r.content;
      const auto bw = border_widths(s);
      if (!s.background.transparent()) {
        op f;
        f.k = op::kind::fill;
        f.x = r.x;
        f.w = r.w;
        f.h = row_h;
        f.color = s.background;
        out.ops[0].ops.push_back(std::move(f));
      }
      for (auto& pg : r.ops)
        for (auto& o : pg.ops) {
          o.y += dy;
          out.ops[0].ops.push_back(std::move(o));
        }
      if (bw[0] + bw[1] + bw[2] + bw[3] > 0) {
        op o;
        o.k = op::kind::border;
        o.x = r.x;
        o.w = r.w;
        o.h = row_h;
        o.set_border(bw, s.border, s.border_color);
        out.ops[0].ops.push_back(std::move(o));
      }
    }
    out.h = row_h;
    return out;
  }

  void place_rows(std::vector<page_ops> ops) { transfer(ops, 0, y); }

  /// A row taller than a page: each cell flows on its own over as many pages as it needs, cut
  /// between its lines and blocks (widows and orphans kept by the paragraphs), starting at y on
  /// this page. `next_page` ends the table's part on this page and starts the next one with the
  /// header placed, leaving y at `cont_top`. Each part of the row gets its backgrounds and
  /// borders; vertical-align and a fixed row height do not apply to a split row.
  void split_row(const box& row, const std::vector<double>& col_x, const std::vector<double>& col_w,
                 double cont_top, const std::function<void()>& next_page, bool may_move) {
    struct cell_part {
      const box* cell;
      double x, w;
      std::vector<page_ops> pages;  // [0] this page, [k] the k-th page after it
      double end = 0;               // bottom of the cell on its last page
    };
    auto lay = [&](double y0) {
      std::vector<cell_part> cells;
      for (const auto& g : cell_frames(row, col_x, col_w)) {
        cell_part r{g.cell, g.x, g.w, {}, 0};
        flow f(st, r.pages, cont_top + g.bw[0] + g.pt, bottom - g.pb - g.bw[2], false);
        f.page_number_base = page_number_base + static_cast<int>(page);
        f.page_count = page_count;
        // this flow's pages are this page and the ones after it
        if (max_pages > 0) f.max_pages = max_pages > page ? max_pages - page : 1;
        f.y = y0 + g.bw[0] + g.pt;
        f.flow_children(*g.cell, g.inner_x(), g.inner_w());
        r.end = f.y + g.pb + g.bw[2];
        cells.push_back(std::move(r));
      }
      return cells;
    };
    auto cells = lay(y);
    const bool nothing_here = std::all_of(cells.begin(), cells.end(), [](const cell_part& c) {
      return c.pages.empty() || c.pages[0].ops.empty();
    });
    if (nothing_here && may_move) {
      // not even two lines of any cell fit below the rows already on this page
      next_page();
      cells = lay(y);
    }
    std::size_t parts = 1;
    for (const auto& c : cells) parts = std::max(parts, c.pages.size());
    double last_end = 0;
    for (const auto& c : cells)
      if (c.pages.size() == parts) last_end = std::max(last_end, c.end);
    const double row_x = col_w.empty() ? 0 : col_x.front();
    const double row_w = col_w.empty() ? 0 : col_x.back() + col_w.back() - row_x;
    for (std::size_t k = 0; k < parts; ++k) {
      if (k > 0) {
        y = bottom;
        next_page();
      }
      const double ft = y;
      const double fb = k + 1 < parts ? bottom : std::max(last_end, ft);
      auto fill = [&](double x, double w, const rgba& color) {
        op f;
        f.k = op::kind::fill;
        f.x = x;
        f.y = ft;
        f.w = w;
        f.h = fb - ft;
        f.color = color;
        emit(std::move(f));
      };
      if (!row.st.background.transparent() && !col_w.empty()) fill(row_x, row_w, row.st.background);
      for (auto& c : cells) {
        const style& s = c.cell->st;
        if (!s.background.transparent()) fill(c.x, c.w, s.background);
        if (k < c.pages.size())
          for (auto& o : c.pages[k].ops) emit(std::move(o));
        const auto bw = border_widths(s);
        if (bw[0] + bw[1] + bw[2] + bw[3] > 0) {
          op o;
          o.k = op::kind::border;
          o.x = c.x;
          o.y = ft;
          o.w = c.w;
          o.h = fb - ft;
          o.set_border(bw, s.border, s.border_color);
          emit(std::move(o));
        }
      }
      y = fb;
    }
  }

  void flow_table(const box& t, double x, double w) {
    const style& s = t.st;
    if (s.break_before && !at_top()) new_page();
    before_content();
    std::vector<const box*> head, body, foot;
    std::size_t ncols = 0;
    std::function<void(const box&, int)> collect = [&](const box& b, int group) {
      for (const auto& c : b.children) {
        if (c->kind == box_kind::row_group) {
          collect(*c, c->group);
        } else if (c->kind == box_kind::row) {
          (group == 0 ? head : group == 2 ? foot : body).push_back(c.get());
          std::size_t n = 0;
          for (const auto& cell : c->children)
            if (cell->kind == box_kind::cell) n += static_cast<std::size_t>(cell->colspan);
          ncols = std::max(ncols, n);
        }
      }
    };
    collect(t, 1);
    if (ncols == 0) return;
    const double ml = s.margin[3].resolve(w), mr = s.margin[1].resolve(w);
    const double mt = s.margin[0].resolve(w), mb = s.margin[2].resolve(w);
    const auto bw = border_widths(s);
    const double avail = w - ml - mr - bw[1] - bw[3];
    const bool auto_width = s.width.is_auto();
    double tw = auto_width ? avail : std::min(avail, s.width.resolve(w) - bw[1] - bw[3]);

    // column widths: explicit (a cell's width, colspan 1) or from the content of the first rows
    std::vector<double> fixed(ncols, -1), natural(ncols, 0);
    std::vector<const box*> sample(head.begin(), head.end());
    for (std::size_t i = 0; i < body.size() && i < 100; ++i) sample.push_back(body[i]);
    for (const box* f : foot) sample.push_back(f);
    for (const box* r : sample) {
      std::size_t col = 0;
      for (const auto& c : r->children) {
        if (c->kind != box_kind::cell) continue;
        if (c->colspan == 1 && col < ncols) {
          const style& cs = c->st;
          const auto cbw = border_widths(cs);
          const double extra =
              cs.padding[1].resolve(tw) + cs.padding[3].resolve(tw) + cbw[1] + cbw[3];
          if (!cs.width.is_auto()) {
            if (fixed[col] < 0) fixed[col] = cs.width.resolve(tw) + extra;
          } else {
            double m = 0;
            for (const auto& k : c->children) m = std::max(m, max_content(*k));
            natural[col] = std::max(natural[col], m + extra);
          }
        }
        col += static_cast<std::size_t>(c->colspan);
      }
    }
    double fixed_sum = 0, natural_sum = 0;
    for (std::size_t c = 0; c < ncols; ++c) {
      if (fixed[c] >= 0)
        fixed_sum += fixed[c];
      else
        natural_sum += std::max(natural[c], 1.0);
    }
    if (auto_width) tw = std::min(avail, fixed_sum + natural_sum);
    std::vector<double> col_w(ncols), col_x(ncols);
    const double rest = std::max(0.0, tw - fixed_sum);
    for (std::size_t c = 0; c < ncols; ++c) {
      if (fixed[c] >= 0)
        col_w[c] = fixed[c];
      else
        col_w[c] = natural_sum > 0 ? rest * std::max(natural[c], 1.0) / natural_sum : 0;
    }
    const double tx = x + ml + bw[3];
    double cx = tx;
    for (std::size_t c = 0; c < ncols; ++c) {
      col_x[c] = cx;
      cx += col_w[c];
    }
    tw = cx - tx;

    if (!(at_top() && page > 0)) y += mt;
    std::size_t start_page = page;
    double start_y = y;
    std::size_t start_index = pages[page].ops.size();
    y += bw[0];

    placed_row header;
    header.ops.emplace_back();
    for (const box* r : head) {
      placed_row pr = lay_row(*r, col_x, col_w);
      for (auto& o : pr.ops[0].ops) {
        o.y += header.h;
        header.ops[0].ops.push_back(std::move(o));
      }
      header.h += pr.h;
    }
    auto place_header = [&] {
      std::vector<page_ops> copy = header.ops;
      transfer(copy, 0, y);
      y += header.h;
    };
    auto break_table = [&] {
      // the table's own frame ends here; it continues on the next page
      decorate(s, start_page, start_y, start_index, x + ml, tw + bw[1] + bw[3], y);
      new_page();
      start_page = page;
      start_y = y;
      start_index = pages[page].ops.size();
      place_header();
    };
    // the header and the first row stay together; a first row taller than a page (split) needs
    // room for its first lines (two lines of its font, with some padding) below the header
    if (!body.empty() && !unbounded) {
      placed_row first = lay_row(*body.front(), col_x, col_w);
      const bool tall = first.h > bottom - top - header.h + 0.01;
      const double need =
          header.h + (tall ? 2.4 * body.front()->st.font_size + 6 + bw[0] : first.h);
      if (y + need > bottom && !at_top() && (tall || header.h + first.h <= bottom - top)) {
        new_page();
        start_page = page;
        start_y = y;
        start_index = pages[page].ops.size();
        y += bw[0];
      }
    }
    place_header();
    bool row_on_page = false;
    auto place = [&](placed_row pr) {
      if (!unbounded && y + pr.h > bottom && row_on_page) {
        break_table();
        row_on_page = false;
      }
      transfer(pr.ops, 0, y);
      y += pr.h;
      row_on_page = true;
    };
    // a row taller than a page (below the repeated header) is split; any other row moves whole
    const double cont_top = top + header.h;
    auto place_row = [&](const box& r) {
      placed_row pr = lay_row(r, col_x, col_w);
      if (!unbounded && pr.h > bottom - cont_top + 0.01) {
        split_row(r, col_x, col_w, cont_top, break_table, row_on_page);
        row_on_page = true;
        return;
      }
      place(std::move(pr));
    };
    for (const box* r : body) place_row(*r);
    if (!foot.empty()) {
      placed_row footer;
      footer.ops.emplace_back();
      for (const box* r : foot) {
        placed_row pr = lay_row(*r, col_x, col_w);
        for (auto& o : pr.ops[0].ops) {
          o.y += footer.h;
          footer.ops[0].ops.push_back(std::move(o));
        }
        footer.h += pr.h;
      }
      place(std::move(footer));
    }
    y += bw[2];
    decorate(s, start_page, start_y, start_index, x + ml, tw + bw[1] + bw[3], y);
    y += mb;
    if (s.break_after) pending_break = true;
  }
};

// ---------------------------------------------------------------------------------------------
// Painting

void set_color(cairo_t* cr, const rgba& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

/// The parts of `links` on `line` become PDF link annotations (a rectangle per part; surfaces
/// other than PDF ignore them).
void paint_links(cairo_t* cr, const link_list& links, PangoLayoutLine* line, double x, double top,
                 double height) {
  for (const auto& l : links) {
    if (l.end <= line->start_index || l.start >= line->start_index + line->length) continue;
    int* ranges = nullptr;
    int n = 0;
    pango_layout_line_get_x_ranges(line, std::max(l.start, line->start_index),
                                   std::min(l.end, line->start_index + line->length), &ranges, &n);
    for (int i = 0; i < n; ++i) {
      const double x0 = x + ranges[2 * i] * pango_to_pt;
      const double w = (ranges[2 * i + 1] - ranges[2 * i]) * pango_to_pt;
      if (w <= 0) continue;
      char rect[160];
      std::snprintf(rect, sizeof rect, "rect=[%.2f %.2f %.2f %.2f] ", x0, top, w, height);
      const std::string attrs = std::string(rect) + "uri='" + cairo_uri(*l.uri) + "'";
      // Cairo 1.16 (Debian 12) writes a damaged PDF (an object missing from the xref) for a
      // link that has no structure element around it; a Span is enough.
      cairo_tag_begin(cr, "Span", "");
      cairo_tag_begin(cr, CAIRO_TAG_LINK, attrs.c_str());
      cairo_tag_end(cr, CAIRO_TAG_LINK);
      cairo_tag_end(cr, "Span");
    }
    g_free(ranges);
  }
}

void paint_ops(cairo_t* cr, const std::vector<op>& ops) {
  for (const op& o : ops) {
    switch (o.k) {
      case op::kind::fill:
        set_color(cr, o.color);
        cairo_rectangle(cr, o.x, o.y, o.w, o.h);
        cairo_fill(cr);
        break;
      case op::kind::border: {
        const double x0 = o.x, y0 = o.y, x1 = o.x + o.w, y1 = o.y + o.h;
        // top, right, bottom, left: each edge's centre line
        const double lines[4][4] = {{x0, y0 + o.bw[0] / 2, x1, y0 + o.bw[0] / 2},
                                    {x1 - o.bw[1] / 2, y0, x1 - o.bw[1] / 2, y1},
                                    {x0, y1 - o.bw[2] / 2, x1, y1 - o.bw[2] / 2},
                                    {x0 + o.bw[3] / 2, y0, x0 + o.bw[3] / 2, y1}};
        for (int k = 0; k < 4; ++k) {
          if (o.bs[k] == border_style::none || o.bw[k] <= 0) continue;
          set_color(cr, o.bc[k]);
          cairo_set_line_width(cr, o.bw[k]);
          if (o.bs[k] == border_style::dashed) {
            const double dash[] = {3 * o.bw[k], 2 * o.bw[k]};
            cairo_set_dash(cr, dash, 2, 0);
          } else {
            cairo_set_dash(cr, nullptr, 0, 0);
          }
          cairo_move_to(cr, lines[k][0], lines[k][1]);
          cairo_line_to(cr, lines[k][2], lines[k][3]);
          cairo_stroke(cr);
        }
        cairo_set_dash(cr, nullptr, 0, 0);
        break;
      }
      case op::kind::text: {
        const auto* links =
            static_cast<const link_list*>(g_object_get_data(G_OBJECT(o.text.get()), links_key));
        PangoLayoutIter* iter = pango_layout_get_iter(o.text.get());
        int index = 0;
        do {
          if (index >= o.last) break;
          if (index >= o.first) {
            PangoRectangle logical;
            pango_layout_iter_get_line_extents(iter, nullptr, &logical);
            const int baseline = pango_layout_iter_get_baseline(iter);
            cairo_move_to(cr, o.x + logical.x * pango_to_pt, o.y + baseline * pango_to_pt);
            PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter);
            pango_cairo_show_layout_line(cr, line);
            if (links)
              paint_links(cr, *links, line, o.x, o.y + logical.y * pango_to_pt,
                          logical.height * pango_to_pt);
          }
          ++index;
        } while (pango_layout_iter_next_line(iter));
        pango_layout_iter_free(iter);
        break;
      }
      case op::kind::image:
        o.image->paint(cr, o.x, o.y, o.w, o.h);
        break;
      case op::kind::barcode:
        o.code->draw(cr, o.x, o.y, o.w, o.h);
        break;
    }
  }
}

}  // namespace

namespace {

/// Bumped by add_process_font_dirs: font maps made before it do not know the new fonts.
std::atomic<uint64_t> process_fonts_generation{0};

/// The directories add_process_font_dirs added (`[fonts].dirs`): a font map with folders of
/// its own (a job's fonts) gets a configuration of its own, which must have them too.
std::mutex process_font_dirs_lock;
std::vector<std::string> process_font_dirs;  // guarded by process_font_dirs_lock

/// The font files below `dir` (.ttf, .otf, .ttc, .woff, .woff2 at any depth, by name), sorted.
std::vector<std::filesystem::path> font_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return files;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string ext = lower(it->path().extension().string());
    if (ext == ".ttf" || ext == ".otf" || ext == ".ttc" || ext == ".woff" || ext == ".woff2")
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The font map of one thread, shared by every layout_engine the thread makes with the same
/// font files. A font map is costly to make and to drop (fontconfig's substitutions, a
/// start-up thread, the list of families) and keeps Pango's font and shaping caches: made per
/// output file it was about a fifth of a one-document file's CPU time. Pango's font maps are
/// not safe to share between threads, hence one per thread; an engine runs on one thread at a
/// time. It lives until the thread ends.
struct thread_fonts {
  uint64_t generation = 0;
  std::string signature;  // of its own font files (font_signature); "" for none
  PangoFontMap* fontmap = nullptr;
  std::set<std::string> installed;  // lower-case family names

  thread_fonts(uint64_t gen, const std::vector<std::filesystem::path>& files, std::string sig)
      : generation(gen), signature(std::move(sig)) {
    FcConfig* config = nullptr;
    if (!files.empty()) {
      // The system's fonts, the node's [fonts].dirs (checked when they were added; one
      // removed since only loses its fonts), then these files.
      std::vector<std::string> node_dirs;
      {
        std::lock_guard<std::mutex> guard(process_font_dirs_lock);
        node_dirs = process_font_dirs;
      }
      config = FcInitLoadConfigAndFonts();
      for (const auto& d : node_dirs)
        (void)FcConfigAppFontAddDir(config, reinterpret_cast<const FcChar8*>(d.c_str()));
      // File by file: fontconfig's directory cache goes by the directory's time, which a
      // font replaced in place does not change (and a job's folder needs no cache file).
      for (const auto& f : files)
        (void)FcConfigAppFontAddFile(config, reinterpret_cast<const FcChar8*>(f.c_str()));
    }
    fontmap = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
    if (!fontmap) fontmap = pango_cairo_font_map_new();
    if (config) {
      pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(fontmap), config);
      FcConfigDestroy(config);  // the font map holds its own reference
    }
    PangoFontFamily** families = nullptr;
    int n = 0;
    pango_font_map_list_families(fontmap, &families, &n);
    for (int i = 0; i < n; ++i) installed.insert(lower(pango_font_family_get_name(families[i])));
    g_free(families);
  }
  ~thread_fonts() { g_object_unref(fontmap); }
  thread_fonts(const thread_fonts&) = delete;
  thread_fonts& operator=(const thread_fonts&) = delete;
};

/// Font maps one thread keeps: jobs with fonts of their own each have one.
constexpr std::size_t font_maps_per_thread = 4;

/// This thread's font map with the font `files` (their signature: `signature`): the one it
/// made last for them, or a new one (the least recently used goes) when there is none, the
/// files changed (the cluster's resource folder outlives the engines) or the process's fonts
/// changed since.
std::shared_ptr<const thread_fonts> fonts_of_thread(const std::vector<std::filesystem::path>& files,
                                                    const std::string& signature) {
  thread_local std::vector<std::shared_ptr<const thread_fonts>> maps;  // most recent first
  const uint64_t gen = process_fonts_generation.load();
  maps.erase(std::remove_if(maps.begin(), maps.end(),
                            [gen](const auto& m) { return m->generation != gen; }),
             maps.end());
  auto hit = std::find_if(maps.begin(), maps.end(),
                          [&](const auto& m) { return m->signature == signature; });
  std::shared_ptr<const thread_fonts> fonts;
  if (hit != maps.end()) {
    fonts = *hit;
    maps.erase(hit);
  } else {
    if (maps.size() >= font_maps_per_thread) maps.pop_back();  // a layout_engine using it keeps it
    fonts = std::make_shared<const thread_fonts>(gen, files, signature);
  }
  maps.insert(maps.begin(), fonts);
  return fonts;
}

/// What identifies font `files` — path, size and modification time of each — so that a font
/// map is made again when they change; "" for none. (A job's resources were checked by their
/// bytes when received, resource_type_of; fontconfig reads only what it can use.)
std::string font_signature(const std::vector<std::filesystem::path>& files) {
  std::string out;
  for (const auto& f : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    const auto time = std::filesystem::last_write_time(f, ec).time_since_epoch().count();
    out += f.string() + "|" + std::to_string(size) + "|" + std::to_string(time) + "\n";
  }
  return out;
}

}  // namespace

bool layout_engine::state::installed(const std::string& lower_family) const {
  return fonts->installed.count(lower_family) > 0;
}

void add_process_font_dirs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return;
  if (!FcInit()) throw layout_error("[fonts].dirs: fontconfig cannot be initialised");
  for (const auto& d : dirs)
    if (std::error_code ec;
        !std::filesystem::is_directory(d, ec) ||
        !FcConfigAppFontAddDir(nullptr, reinterpret_cast<const FcChar8*>(d.c_str())))
      throw layout_error("[fonts].dirs: cannot add the font directory " + d);
  {
    std::lock_guard<std::mutex> guard(process_font_dirs_lock);
    process_font_dirs.insert(process_font_dirs.end(), dirs.begin(), dirs.end());
  }
  ++process_fonts_generation;
}

layout_engine::layout_engine(layout_options options)
    : s_(std::make_unique<state>(std::move(options))) {
  // The engine's own fonts: those of its font folders and of the job's resources.
  std::vector<std::filesystem::path> files;
  for (const auto& d : s_->options.font_dirs) {
    auto more = font_files(d);
    files.insert(files.end(), more.begin(), more.end());
  }
  auto job_fonts = font_files(s_->options.resources_dir);
  files.insert(files.end(), job_fonts.begin(), job_fonts.end());
  s_->fonts = fonts_of_thread(files, font_signature(files));
  s_->context = pango_font_map_create_context(s_->fonts->fontmap);
  pango_cairo_context_set_resolution(s_->context, 72);
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(s_->context, fo);
  cairo_font_options_destroy(fo);
  pango_context_set_round_glyph_positions(s_->context, FALSE);
}

layout_engine::~layout_engine() = default;

const std::vector<std::string>& layout_engine::warnings() const { return s_->diag.warnings(); }

std::size_t layout_engine::dropped_warnings() const { return s_->diag.dropped(); }

void layout_engine::set_document_label(std::string label, std::string where_suffix) {
  s_->diag.set_label(std::move(label), std::move(where_suffix));
}

namespace {

/// gumbo's parse of a document (every parse error tolerated, as browsers do), destroyed
/// with this object.
struct parsed_html {
  GumboOptions opts = kGumboDefaultOptions;
  GumboOutput* out = nullptr;
  explicit parsed_html(std::string_view html, GumboTag fragment_context = GUMBO_TAG_LAST) {
    opts.max_errors = 0;
    opts.tab_stop = 1;  // columns count bytes (docs/templates.md), a tab too
    opts.fragment_context = fragment_context;
    out = gumbo_parse_with_options(&opts, html.data(), html.size());
    if (!out) throw layout_error("the HTML parser failed (out of memory?)");
  }
  ~parsed_html() { gumbo_destroy_output(&opts, out); }
  parsed_html(const parsed_html&) = delete;
  parsed_html& operator=(const parsed_html&) = delete;
};

}  // namespace

namespace {

/// The element a partial's text is parsed inside when it is checked alone: by its first tag,
/// so that rows, cells and list items keep their elements (and their style attributes).
/// GUMBO_TAG_LAST (a whole document) when it starts with <!doctype>, <html>, <head> or <body>.
GumboTag fragment_context_of(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '<') continue;
    if (text.compare(i, 4, "<!--") == 0) {
      const auto end = text.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 2;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '!') return GUMBO_TAG_LAST;  // <!doctype>
    std::size_t j = i + 1;
    while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
    const std::string name = lower(std::string(text.substr(i + 1, j - i - 1)));
    if (name.empty()) continue;
    if (name == "html" || name == "head" || name == "body") return GUMBO_TAG_LAST;
    if (name == "tr") return GUMBO_TAG_TBODY;
    if (name == "td" || name == "th") return GUMBO_TAG_TR;
    if (name == "thead" || name == "tbody" || name == "tfoot") return GUMBO_TAG_TABLE;
    if (name == "li") return GUMBO_TAG_UL;
    return GUMBO_TAG_BODY;
  }
  return GUMBO_TAG_BODY;
}

}  // namespace

void layout_engine::check_template(std::string_view blanked, const std::string& marker) {
  check_template_text(blanked, marker, "template ", false);
}

void layout_engine::check_partial(const std::string& name, std::string_view blanked,
                                  const std::string& marker) {
  check_template_text(blanked, marker, "partial \"" + name + "\" ", true);
}

void layout_engine::check_template_text(std::string_view blanked, const std::string& marker,
                                        std::string label, bool fragment) {
  struct restore {
    state& s;
    ~restore() {
      s.checking = false;
      s.diag.set_skip_marker({});
      s.diag.set_label({});
    }
  } r{*s_};
  s_->checking = true;
  s_->diag.set_skip_marker(marker);
  s_->diag.set_label(std::move(label), {}, true);
  check_nesting(blanked);
  parsed_html parsed(blanked, fragment ? fragment_context_of(blanked) : GUMBO_TAG_LAST);
  GumboOutput* out = parsed.out;
  laid_out_document::impl doc;
  box root;
  root.kind = box_kind::block;
  root.st.font_family = "DejaVu Sans";
  builder b{*s_, doc, {}, false, 0, {}};
  b.collect_head(out->root);
  (void)b.sheet.page();
  element_view rootv{"#root", "", "", nullptr};
  b.build(out->root, root, root.st, rootv, false);
  b.close_paragraph(root);
}

laid_out_document layout_engine::layout(std::string_view html) {
  auto doc = std::make_unique<laid_out_document::impl>();
  auto root = std::make_unique<box>();
  root->kind = box_kind::block;
  root->st.font_family = "DejaVu Sans";
  bool page_count_in_body = false;
  check_nesting(html);
  {
    parsed_html parsed(html);
    GumboOutput* out = parsed.out;
    builder b{*s_, *doc, {}, false, 0, {}};
    b.collect_head(out->root);
    doc->page = b.sheet.page();
    element_view rootv{"#root", "", "", nullptr};
    b.build(out->root, *root, root->st, rootv, false);
    b.close_paragraph(*root);
    page_count_in_body = b.uses_page_count_in_body;
  }
  const page_setup& pg = doc->page;
  const double content_w = pg.width - pg.margin[1] - pg.margin[3];
  auto run = [&](int count) {
    doc->pages.clear();
    flow f(*s_, doc->pages, pg.margin[0], pg.height - pg.margin[2], false);
    f.max_pages = s_->options.max_document_pages;
    f.page_count = count;
    // the root's own style (body's) decorates like a block
    f.flow_block(*root, pg.margin[3], content_w);
  };
  run(0);
  if (page_count_in_body) run(static_cast<int>(doc->pages.size()));
  return laid_out_document(std::move(doc));
}

void layout_engine::paint(cairo_t* cr, const laid_out_document& d, std::size_t index) {
  auto& doc = d.get();
  const page_setup& pg = doc.page;
  paint_ops(cr, doc.pages.at(index).ops);
  const double content_w = pg.width - pg.margin[1] - pg.margin[3];
  for (int which = 0; which < 2; ++which) {
    const box* b = which == 0 ? doc.header.get() : doc.footer.get();
    if (!b) continue;
    std::vector<page_ops> tmp;
    flow f(*s_, tmp, 0, 0, true);
    f.page_number_base = static_cast<int>(index);
    f.page_count = static_cast<int>(doc.pages.size());
    f.flow_block(*b, pg.margin[3], content_w);
    const double h = f.y;
    const double area = which == 0 ? pg.margin[0] : pg.margin[2];
    const double y0 = which == 0 ? std::max(0.0, (area - h) / 2)
                                 : pg.height - area + std::max(0.0, (area - h) / 2);
    for (auto& o : tmp[0].ops) o.y += y0;
    paint_ops(cr, tmp[0].ops);
  }
}

}  // namespace weft::document::layout
