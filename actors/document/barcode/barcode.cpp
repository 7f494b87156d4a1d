// Encoding with libzint's vector output, drawing with Cairo. See barcode.hpp.

#include "actors/document/barcode/barcode.hpp"

#include <zint.h>

#include <cmath>
#include <memory>

namespace weft::document {

namespace {

/// Printable ASCII kept, every other byte shown as '?', at most `limit` characters (then "…"):
/// values and zint's messages become safe to put in a job's error and in a log line.
std::string sanitised(std::string_view text, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (text.size() > limit) out += "...";
  return out;
}

/// `<type> barcode value "<start of value>"`: how every error message starts.
std::string subject(barcode_type type, std::string_view value) {
  return std::string(barcode_type_name(type)) + " barcode value \"" + sanitised(value, 40) + "\"";
}

/// zint's error text without its "Error 123: " prefix, sanitised.
std::string zint_reason(const char* errtxt) {
  std::string_view text(errtxt);
  if (text.rfind("Error ", 0) == 0 || text.rfind("Warning ", 0) == 0) {
    const auto colon = text.find(": ");
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  return sanitised(text, 120);
}

/// EAN-13 checked before zint sees it, so the messages say exactly what is wrong (zint would
/// also take EAN-8, EAN-5 and add-ons under the same symbology).
void check_ean13(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] < '0' || value[i] > '9') {
      throw barcode_error(subject(barcode_type::ean13, value) +
                          " is invalid: an EAN-13 holds digits only, character " +
                          std::to_string(i + 1) + " is not a digit");
    }
  }
  if (value.size() != 12 && value.size() != 13) {
    throw barcode_error(subject(barcode_type::ean13, value) + " is invalid: it has " +
                        std::to_string(value.size()) +
                        " digits; an EAN-13 takes 12 (its check digit is added) or 13");
  }
  if (value.size() == 13) {
    int sum = 0;
    for (std::size_t i = 0; i < 12; ++i) sum += (value[i] - '0') * (i % 2 == 0 ? 1 : 3);
    const int expected = (10 - sum % 10) % 10;
    if (value[12] - '0' != expected) {
      throw barcode_error(subject(barcode_type::ean13, value) + " is invalid: its check digit is " +
                          std::string(1, value[12]) + ", the right one is " +
                          std::to_string(expected));
    }
  }
}

struct zint_deleter {
  void operator()(zint_symbol* symbol) const { ZBarcode_Delete(symbol); }
};

}  // namespace

std::optional<barcode_type> barcode_type_from_name(std::string_view name) {
  if (name == "qrcode") return barcode_type::qrcode;
  if (name == "code128") return barcode_type::code128;
  if (name == "datamatrix") return barcode_type::datamatrix;
  if (name == "ean13") return barcode_type::ean13;
  if (name == "pdf417") return barcode_type::pdf417;
  return std::nullopt;
}

std::string_view barcode_type_name(barcode_type type) {
  switch (type) {
    case barcode_type::qrcode:
      return "qrcode";
    case barcode_type::code128:
      return "code128";
    case barcode_type::datamatrix:
      return "datamatrix";
    case barcode_type::ean13:
      return "ean13";
    case barcode_type::pdf417:
      return "pdf417";
  }
  return "unknown";
}

barcode barcode::encode(barcode_type type, std::string_view value) {
  if (value.empty()) throw barcode_error(subject(type, value) + " is empty");
  if (value.size() > max_value_bytes) {
    throw barcode_error(subject(type, value) + " is " + std::to_string(value.size()) +
                        " bytes long, more than the " + std::to_string(max_value_bytes) +
                        " a barcode may carry");
  }
  if (type == barcode_type::ean13) check_ean13(value);

  std::unique_ptr<zint_symbol, zint_deleter> symbol(ZBarcode_Create());
  if (!symbol) throw barcode_error(subject(type, value) + ": libzint is out of memory");
  symbol->output_options |= BARCODE_QUIET_ZONES;
  symbol->input_mode = UNICODE_MODE;
  switch (type) {
    case barcode_type::qrcode:
      symbol->symbology = BARCODE_QRCODE;
      symbol->input_mode = DATA_MODE;  // UTF-8 bytes as they are, in byte mode
      symbol->option_1 = 2;            // error correction level M (EPC069-12 asks for it)
      break;
    case barcode_type::code128:
      symbol->symbology = BARCODE_CODE128;
      break;
    case barcode_type::datamatrix:
      symbol->symbology = BARCODE_DATAMATRIX;
      symbol->option_3 = DM_SQUARE;  // square symbols only: what every reader expects
      break;
    case barcode_type::ean13:
      symbol->symbology = BARCODE_EANX;
      break;
    case barcode_type::pdf417:
      symbol->symbology = BARCODE_PDF417;
      break;
  }

  const int rc = ZBarcode_Encode_and_Buffer_Vector(
      symbol.get(), reinterpret_cast<const unsigned char*>(value.data()),
      static_cast<int>(value.size()), 0);
  if (rc >= ZINT_ERROR) {
    throw barcode_error(subject(type, value) + " is invalid: " + zint_reason(symbol->errtxt));
  }
  const zint_vector* vector = symbol->vector;
  if (vector == nullptr || vector->width <= 0 || vector->height <= 0) {
    throw barcode_error(subject(type, value) + ": libzint produced no symbol");
  }

  barcode out;
  out.type_ = type;
  out.width_ = vector->width;
  out.height_ = vector->height;
  for (const auto* r = vector->rectangles; r != nullptr; r = r->next) {
    out.rects_.push_back({r->x, r->y, r->width, r->height});
  }
  for (const auto* h = vector->hexagons; h != nullptr; h = h->next) {
    out.hexagons_.push_back({h->x, h->y, h->diameter, h->rotation});
  }
  for (const auto* c = vector->circles; c != nullptr; c = c->next) {
    out.circles_.push_back({c->x, c->y, c->diameter, c->width, c->colour != 0});
  }
  for (const auto* s = vector->strings; s != nullptr; s = s->next) {
    out.labels_.push_back(
        {s->x, s->y, s->fsize, s->halign,
         std::string(reinterpret_cast<const char*>(s->text), static_cast<std::size_t>(s->length))});
  }
  if (type == barcode_type::code128 || type == barcode_type::ean13) {
    out.text_ = reinterpret_cast<const char*>(symbol->text);
  }
  return out;
}

double barcode::aspect() const { return height_ / width_; }

void barcode::draw(cairo_t* cr, double x, double y, double width, double height) const {
  cairo_save(cr);
  cairo_new_path(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, width, height);
  cairo_fill(cr);

  cairo_translate(cr, x, y);
  cairo_scale(cr, width / width_, height / height_);
  cairo_set_source_rgb(cr, 0, 0, 0);
  // One path for all the modules: adjacent rectangles leave no hairline seams when rasterised.
  for (const auto& r : rects_) cairo_rectangle(cr, r.x, r.y, r.width, r.height);
  for (const auto& h : hexagons_) {
    // zint's hexagons (MaxiCode) are point-up unless rotated by 90 or 270 degrees.
    const double radius = h.diameter / 2;
    const double start = (h.rotation == 90 || h.rotation == 270) ? 0.0 : M_PI / 6;
    for (int i = 0; i < 6; ++i) {
      const double angle = start + i * M_PI / 3;
      const double px = h.x + radius * std::cos(angle);
      const double py = h.y + radius * std::sin(angle);
      if (i == 0) {
        cairo_move_to(cr, px, py);
      } else {
        cairo_line_to(cr, px, py);
      }
    }
    cairo_close_path(cr);
  }
  cairo_fill(cr);
  for (const auto& c : circles_) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, c.x, c.y, c.diameter / 2, 0, 2 * M_PI);
    if (c.light) {
      cairo_set_source_rgb(cr, 1, 1, 1);
    } else {
      cairo_set_source_rgb(cr, 0, 0, 0);
    }
    if (c.line_width > 0) {
      cairo_set_line_width(cr, c.line_width);
      cairo_stroke(cr);
    } else {
      cairo_fill(cr);
    }
  }
  if (!labels_.empty()) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    for (const auto& l : labels_) {
      cairo_set_font_size(cr, l.font_size);
      cairo_text_extents_t extents;
      cairo_text_extents(cr, l.text.c_str(), &extents);
      double left = l.x;  // halign 1: x is the start
      if (l.halign == 0) left = l.x - extents.x_advance / 2;
      if (l.halign == 2) left = l.x - extents.x_advance;
      cairo_move_to(cr, left, l.y);
      cairo_show_text(cr, l.text.c_str());
    }
  }
  cairo_restore(cr);
}

}  // namespace weft::document
