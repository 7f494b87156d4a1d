#include "actors/document/layout/image_resource.hpp"
#include "actors/document/layout/layout_error.hpp"

namespace weft::document::layout {

std::shared_ptr<const barcode_resource> make_barcode_resource(const std::string& type,
                                                              const std::string& value,
                                                              const std::string& where) {
  (void)value;
  throw layout_error(where + ": <barcode type=\"" + type + "\">: barcodes are not available");
}

}  // namespace weft::document::layout
