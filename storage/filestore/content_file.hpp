#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace weft::filestore {

/// The content of one merge batch in the file store: one frame per record,
/// in sequence order: 8-byte little-endian sequence number, 4-byte
/// little-endian length, then the rendered bytes. Written to a temporary name
/// and renamed once complete and synced, so a file under its final name is
/// always whole.
class content_writer {
 public:
  /// @throws std::runtime_error when the file cannot be created.
  explicit content_writer(std::string path);
  ~content_writer();
  content_writer(const content_writer&) = delete;
  content_writer& operator=(const content_writer&) = delete;

  void add(int64_t seq, const std::string& text);
  /// Flushes, syncs and renames into place; returns the file size.
  /// @throws std::runtime_error on a write error.
  int64_t finish();

 private:
  std::string path_;
  std::string part_;
  std::FILE* file_ = nullptr;
  int64_t bytes_ = 0;
};

/// Reads the frames of a content file in order.
class content_reader {
 public:
  /// @throws std::runtime_error when the file cannot be opened.
  explicit content_reader(const std::string& path);
  ~content_reader();
  content_reader(const content_reader&) = delete;
  content_reader& operator=(const content_reader&) = delete;

  /// The next frame; false at the end.
  /// @throws std::runtime_error for a truncated or corrupt file (a frame longer than the rest
  ///         of the file is refused before anything is allocated for it).
  bool next(int64_t& seq, std::string& text);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;  ///< the file's size when opened
};

}  // namespace weft::filestore
