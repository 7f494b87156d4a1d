#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <vector>

namespace weft::document::detail {

/// A fixed-size read buffer over a std::istream, read byte by byte.
class byte_source {
 public:
  static constexpr int end_of_input = -1;

  byte_source(std::istream& in, std::size_t buffer_bytes)
      : in_(in), buffer_(buffer_bytes == 0 ? 1 : buffer_bytes) {}

  /// The next byte (0..255) or end_of_input. Sets read_failed() on an I/O error.
  int get() {
    if (pos_ == end_ && !fill()) return end_of_input;
    ++consumed_;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }

  int peek() {
    if (pos_ == end_ && !fill()) return end_of_input;
    return static_cast<unsigned char>(buffer_[pos_]);
  }

  /// True when the stream reported an I/O error (not just its end).
  bool read_failed() const { return failed_; }
  /// Bytes handed out by get() so far.
  std::uint64_t consumed() const { return consumed_; }

 private:
  bool fill() {
    if (eof_) return false;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const auto n = in_.gcount();
    if (in_.bad()) failed_ = true;
    if (!in_) eof_ = true;
    pos_ = 0;
    end_ = n > 0 ? static_cast<std::size_t>(n) : 0;
    return end_ > 0;
  }

  std::istream& in_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
  bool failed_ = false;
};

}  // namespace weft::document::detail
