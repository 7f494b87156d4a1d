#pragma once

// The CSS subset of PDF templates: computed styles, the style sheet and its cascade.
// No Pango, no Cairo, no CAF: the parser only knows text, positions and values.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::document::layout {

/// A position in the merged HTML document: line and column count from 1 (columns in bytes).
struct source_position {
  unsigned line = 0;
  unsigned column = 0;
};

/// Warnings about what lies outside the subset, each reported once per document set (one writer
/// or one preview). In strict mode the first one is thrown as a layout_error instead.
class diagnostics {
 public:
  explicit diagnostics(bool strict = false, std::size_t max_warnings = 0)
      : strict_(strict), max_(max_warnings) {}
  /// Records `message` at `where` unless a warning with the same `key` was recorded before.
  /// The text is `<label>line L:C<where_suffix>: message`.
  /// @throws layout_error in strict mode.
  void warn(const std::string& key, source_position where, const std::string& message);
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool strict() const { return strict_; }
  /// Warnings not kept because max_warnings were kept already (each key counted once).
  std::size_t dropped() const { return dropped_; }
  /// What goes before and after "line L:C" in the warnings recorded from now on; the label
  /// starts a strict mode error too only with `label_in_errors` (a record's errors are named
  /// by the caller).
  void set_label(std::string label, std::string where_suffix = {}, bool label_in_errors = false) {
    label_ = std::move(label);
    suffix_ = std::move(where_suffix);
    label_in_errors_ = label_in_errors;
  }
  /// While set, a warning whose key or message holds `marker` is neither recorded nor thrown
  /// (nor is its key remembered): in a template checked with its tags blanked out, what
  /// depends on a tag's value is left to the merged documents.
  void set_skip_marker(std::string marker) { skip_marker_ = std::move(marker); }
  /// Whether `text` holds the skip marker (a blanked tag's value decides it).
  bool skipped(const std::string& text) const {
    return !skip_marker_.empty() && text.find(skip_marker_) != std::string::npos;
  }
  /// The label set by set_label (what goes before "line L:C").
  const std::string& label() const { return label_; }

 private:
  bool strict_;
  std::size_t max_;  // 0: no limit
  std::size_t dropped_ = 0;
  bool label_in_errors_ = false;
  std::string label_, suffix_, skip_marker_;
  std::vector<std::string> keys_;
  std::vector<std::string> warnings_;
};

/// A length as written: the unit decides how it resolves (em against the font size at cascade
/// time, % against the containing block's width at layout time).
struct length {
  enum class kind : std::uint8_t { automatic, points, percent };
  kind k = kind::points;
  double value = 0;  ///< points, or percent
  static length auto_() { return {kind::automatic, 0}; }
  static length pt(double v) { return {kind::points, v}; }
  bool is_auto() const { return k == kind::automatic; }
  /// Points for a containing width of `base` points (auto resolves to `fallback`).
  double resolve(double base, double fallback = 0) const {
    if (k == kind::automatic) return fallback;
    if (k == kind::percent) return base * value / 100.0;
    return value;
  }
};

struct rgba {
  double r = 0, g = 0, b = 0, a = 1;
  bool transparent() const { return a <= 0; }
};

enum class text_align : std::uint8_t { left, right, center, justify };
enum class vertical_align : std::uint8_t { top, middle, bottom, baseline };
enum class white_space : std::uint8_t { normal, pre, nowrap, pre_wrap, pre_line };
enum class border_style : std::uint8_t { none, solid, dashed };

/// The computed style of one element. The first group inherits from the parent.
struct style {
  // inherited
  std::string font_family = "DejaVu Sans";
  double font_size = 10;  ///< points
  int font_weight = 400;
  bool italic = false;
  bool underline = false;  ///< set by <u> and <a>; children inherit it
  rgba color{0, 0, 0, 1};
  text_align align = text_align::left;
  double line_height_factor = 0;  ///< 0: normal
  double line_height_points = 0;  ///< 0: not an absolute value
  white_space space = white_space::normal;
  // not inherited
  rgba background{0, 0, 0, 0};
  std::array<length, 4> margin{};   ///< top, right, bottom, left
  std::array<length, 4> padding{};  ///< top, right, bottom, left
  std::array<double, 4> border_width{};
  std::array<border_style, 4> border{};
  std::array<rgba, 4> border_color{};
  length width = length::auto_();
  length height = length::auto_();
  vertical_align valign = vertical_align::top;
  bool break_before = false;
  bool break_after = false;
  bool avoid_break_inside = false;

  /// A child's starting style: the inherited fields of this one, the rest at their initial values.
  style inherit() const;
};

/// @page's size and margins, in points.
struct page_setup {
  double width = 595.276;  // A4
  double height = 841.89;
  std::array<double, 4> margin{56.7, 56.7, 56.7, 56.7};  // 20 mm
};

/// One property: value as written, where it was written.
struct declaration {
  std::string property;
  std::string value;
  source_position where;
};

/// A compound selector: element name, classes and id, all optional (empty: any).
struct compound_selector {
  std::string element;
  std::vector<std::string> classes;
  std::string id;
};

struct rule {
  std::vector<compound_selector> chain;  ///< descendant combinators, outermost first
  unsigned specificity = 0;              ///< ids*10000 + classes*100 + elements
  std::size_t order = 0;
  std::vector<declaration> declarations;
};

/// The element a selector is matched against and its ancestors.
struct element_view {
  std::string_view name;
  std::string_view id;
  std::string_view class_attr;  ///< space-separated
  const element_view* parent = nullptr;
};

/// The rules of all <style> elements of one document and @page.
class style_sheet {
 public:
  /// Parses `text` that starts at `origin` in the document; what is outside the subset is
  /// reported to `diag` with its position.
  void parse(std::string_view text, source_position origin, diagnostics& diag);

  /// The declarations matching `e`, lowest priority first.
  std::vector<const declaration*> matching(const element_view& e) const;

  const page_setup& page() const { return page_; }

 private:
  std::vector<rule> rules_;
  page_setup page_;
};

/// Applies `decls` (in order) to `s`; `parent_font_size` resolves em in font-size. Unknown
/// properties or values are reported to `diag`.
void apply_declarations(style& s, const std::vector<const declaration*>& decls,
                        double parent_font_size, diagnostics& diag);

/// Parses the inline style="" attribute whose value starts at `origin`.
std::vector<declaration> parse_inline_style(std::string_view text, source_position origin,
                                            diagnostics& diag);

/// Parses a CSS length ("12pt", "3mm", "50%", "1.5em", "0"), em against `font_size`.
bool parse_length(std::string_view text, double font_size, length& out);

/// Parses a colour (#rgb, #rrggbb, rgb(), rgba(), a few names, transparent).
bool parse_color(std::string_view text, rgba& out);

}  // namespace weft::document::layout
