#include "actors/document/barcode/barcode.hpp"
#include "actors/document/layout/image_resource.hpp"
#include "actors/document/layout/layout_error.hpp"

namespace weft::document::layout {

namespace {

class zint_barcode : public barcode_resource {
 public:
  explicit zint_barcode(barcode b) : b_(std::move(b)) {}
  double aspect() const override { return b_.aspect(); }
  void draw(cairo_t* cr, double x, double y, double w, double h) const override {
    b_.draw(cr, x, y, w, h);
  }

 private:
  barcode b_;
};

}  // namespace

std::shared_ptr<const barcode_resource> make_barcode_resource(const std::string& type,
                                                              const std::string& value,
                                                              const std::string& where) {
  auto t = barcode_type_from_name(type);
  if (!t)
    throw layout_error(where + ": <barcode type=\"" + type.substr(0, 40) +
                       "\">: unknown type (use qrcode, code128, datamatrix, ean13 or pdf417)");
  try {
    return std::make_shared<zint_barcode>(barcode::encode(*t, value));
  } catch (const barcode_error& e) {
    throw layout_error(where + ": <barcode type=\"" + type + "\">: " + e.what());
  }
}

}  // namespace weft::document::layout
