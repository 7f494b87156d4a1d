#include "storage/storage_error.hpp"

namespace weft::storage {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::unavailable:
      return "unavailable";
    case errc::conflict:
      return "conflict";
    case errc::not_found:
      return "not_found";
    case errc::corrupt:
      return "corrupt";
    case errc::invalid:
      return "invalid";
    case errc::fenced:
      return "fenced";
  }
  return "unknown";
}

}  // namespace weft::storage
