#pragma once

// Barcodes for documents: a value encoded by libzint into a symbol, kept as vector shapes and
// drawn onto any Cairo context (a PDF page, a PNG preview) as filled rectangles — never a bitmap,
// so a barcode stays sharp at any size and costs a few hundred bytes of page content.
//
// Part of weft_barcode (CAF-free; libzint and Cairo only). See docs/templates.md "Barcodes".

#include <cairo.h>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::document {

/// The symbologies a template may ask for (`<barcode type="...">`).
enum class barcode_type { qrcode, code128, datamatrix, ean13, pdf417 };

/// The type named `name` ("qrcode", "code128", "datamatrix", "ean13", "pdf417"); nothing for
/// any other name (names are case-sensitive, as written in templates).
std::optional<barcode_type> barcode_type_from_name(std::string_view name);

/// The name a template uses for `type` ("qrcode", ...).
std::string_view barcode_type_name(barcode_type type);

/// A value that cannot be encoded as the type asked for. The message names the type, shows
/// (the start of) the value, sanitised, and says why.
class barcode_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

/// One encoded symbol, as vector shapes in the symbol's own units (the quiet zone included).
/// Cheap to copy; no zint state is kept after encode().
class barcode {
 public:
  /// The most bytes a value may have, whatever the type: above every symbology's capacity (a
  /// QR code carries at most 2,953 bytes), so it only keeps huge values away from libzint.
  static constexpr std::size_t max_value_bytes = 4096;

  /// Encodes `value` (UTF-8) as a symbol of `type`.
  ///
  /// qrcode: the value's bytes as they are (byte mode, no ECI: what EPC069-12 payment codes
  /// and most readers expect for UTF-8). code128: ISO 8859-1 characters only. datamatrix,
  /// pdf417: any UTF-8 (zint adds an ECI when the value is not ISO 8859-1). ean13: 12 digits
  /// (the check digit is added) or 13 digits whose last is the right check digit. Linear
  /// symbols carry their human-readable text under the bars.
  ///
  /// @throws barcode_error when the value is empty, longer than max_value_bytes, or invalid for
  /// the type (libzint's reason, sanitised).
  static barcode encode(barcode_type type, std::string_view value);

  /// Height divided by width of the whole symbol, quiet zone included: the box a layout gives
  /// the barcode keeps its modules square when its height is its width times this.
  double aspect() const;

  /// Draws the symbol into the rectangle (x, y, width, height) in `cr`'s user units: a white
  /// background over the whole rectangle (so the quiet zone is light on any page colour), then
  /// the dark modules in black, as one filled path. The symbol is scaled to the rectangle in
  /// each direction separately. `cr`'s state (source, path, matrix) is saved and restored.
  void draw(cairo_t* cr, double x, double y, double width, double height) const;

  barcode_type type() const { return type_; }
  /// The text under a linear symbol (an EAN-13's 13 digits), or "" for 2D symbols.
  const std::string& human_readable_text() const { return text_; }

 private:
  struct rect {
    double x, y, width, height;
  };
  struct hexagon {
    double x, y, diameter;
    int rotation;
  };
  struct circle {
    double x, y, diameter, line_width;
    bool light;
  };
  struct label {
    double x, y, font_size;
    int halign;  // 0 centre, 1 left, 2 right (zint's convention)
    std::string text;
  };

  barcode() = default;

  barcode_type type_ = barcode_type::qrcode;
  double width_ = 0;
  double height_ = 0;
  std::vector<rect> rects_;
  std::vector<hexagon> hexagons_;
  std::vector<circle> circles_;
  std::vector<label> labels_;
  std::string text_;
};

}  // namespace weft::document
