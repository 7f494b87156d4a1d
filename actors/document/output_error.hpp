#pragma once

#include <stdexcept>
#include <string>

namespace weft::document {

/// An output file that cannot be written (cannot create, disk full, PDF library failure, bad
/// output option). The ".part" file is removed; nothing appears under the final name.
class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weft::document
