#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace weft::document {

/// An output file that cannot be written (cannot create, disk full, PDF library failure, bad
/// output option). The ".part" file is removed; nothing appears under the final name.
class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The error text of a document past `output_options::max_document_pages`.
inline std::string too_many_pages(std::uint64_t max) {
  return "the document fills more than " + std::to_string(max) + " pages (jobs.max_document_pages)";
}

}  // namespace weft::document
