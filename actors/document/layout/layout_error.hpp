#pragma once

#include <stdexcept>

namespace weft::document::layout {

/// A document that cannot be laid out: a missing or bad resource, an invalid barcode value, or
/// (in strict mode) something outside the supported subset. The message names the element or
/// resource and its line:column in the merged document.
class layout_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft::document::layout
