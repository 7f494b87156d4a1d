#pragma once

#include <cstdint>
#include <filesystem>

namespace weft::document::detail {

/// The "write to a .part file of its own (filestore::part_path), rename on success" rule of
/// the output writers.
class part_file {
 public:
  explicit part_file(std::filesystem::path final_path);
  /// Removes the ".part" file unless commit() succeeded.
  ~part_file();
  part_file(const part_file&) = delete;
  part_file& operator=(const part_file&) = delete;

  const std::filesystem::path& part_path() const { return part_; }
  const std::filesystem::path& final_path() const { return final_; }

  /// Renames the ".part" file to the final name and returns its size.
  /// @throws output_error when the rename fails.
  std::uint64_t commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path part_;
  bool committed_ = false;
};

}  // namespace weft::document::detail
