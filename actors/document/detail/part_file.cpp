#include "actors/document/detail/part_file.hpp"

#include <system_error>
#include <utility>

#include "actors/document/output_error.hpp"
#include "storage/filestore/layout.hpp"

namespace weft::document::detail {

part_file::part_file(std::filesystem::path final_path)
    : final_(std::move(final_path)), part_(filestore::part_path(final_.string())) {}

part_file::~part_file() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(part_, ignored);
  }
}

std::uint64_t part_file::commit() {
  std::error_code ec;
  std::filesystem::rename(part_, final_, ec);
  if (ec) {
    throw output_error("cannot rename " + part_.string() + " to " + final_.string() + ": " +
                       ec.message());
  }
  committed_ = true;
  const auto size = std::filesystem::file_size(final_, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

}  // namespace weft::document::detail
