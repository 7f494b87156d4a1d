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

/// A resource the template's own text names (a static <img src>, a barcode with a written-out
/// type and value) that is missing or bad, found by layout_engine::check_template before any
/// document: the message names the template's (or partial's) line:column.
class template_resource_error : public layout_error {
 public:
  using layout_error::layout_error;
};

}  // namespace weft::document::layout
