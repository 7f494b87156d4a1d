#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace weft::document::detail {

/// A read buffer over a std::istream that hands out UTF-8 bytes one at a time, converting from
/// the data's encoding with glibc's iconv while it streams (memory stays at two buffers).
///
/// UTF-8 data passes through unchanged (readers validate it). A decoding error is reported only
/// once every byte converted before it has been handed out, so that the reader that meets it
/// names the right row.
class byte_source {
 public:
  static constexpr int end_of_input = -1;

  /// @param encoding  a name iconv_encoding_name() accepts; empty: UTF-8, or UTF-16 when the
  ///                  input starts with a UTF-16 byte order mark.
  /// @throws std::invalid_argument for an unknown encoding.
  byte_source(std::istream& in, std::size_t buffer_bytes, const std::string& encoding = "");
  ~byte_source();
  byte_source(const byte_source&) = delete;
  byte_source& operator=(const byte_source&) = delete;

  /// The next byte (0..255) or end_of_input. Sets read_failed() on an I/O or decoding error.
  int get() {
    if (pos_ == end_ && !fill()) return end_of_input;
    ++consumed_;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }

  int peek() {
    if (pos_ == end_ && !fill()) return end_of_input;
    return static_cast<unsigned char>(buffer_[pos_]);
  }

  /// At least the next `n` bytes without consuming them (fewer at the end of the input or on an
  /// error). Grows the buffer when needed; meant for a short look at the start of a file.
  std::string_view lookahead(std::size_t n);

  /// True when the input could not be read or decoded (not just at its end).
  bool read_failed() const { return !error_.empty(); }
  /// What went wrong, e.g. "invalid windows-1252 byte 0x81 at byte offset 57 of the file";
  /// empty while nothing has.
  const std::string& error() const { return error_; }
  /// The encoding the data is read as, as users write it ("utf-8", "windows-1252", …).
  const std::string& encoding() const { return encoding_name_; }
  /// Bytes handed out by get() so far.
  std::uint64_t consumed() const { return consumed_; }

 private:
  /// Appends decoded bytes after end_ (moving unread ones to the front first). False when none
  /// could be added: end of input or an error.
  bool fill();
  bool read_raw();
  bool start();
  bool convert();

  std::istream& in_;
  std::vector<char> buffer_;  // decoded (UTF-8) bytes; [pos_, end_) unread
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t consumed_ = 0;
  std::size_t chunk_ = 0;  // most bytes read from the stream at a time
  std::string encoding_name_;
  std::string iconv_name_;
  void* cd_ = nullptr;     // iconv_t; null while passing UTF-8 through
  std::vector<char> raw_;  // undecoded bytes; [raw_pos_, raw_end_) not yet converted
  std::size_t raw_pos_ = 0;
  std::size_t raw_end_ = 0;
  std::uint64_t raw_offset_ = 0;  // file offset of raw_[0]
  bool started_ = false;
  bool in_eof_ = false;
  std::string pending_error_;  // a decoding error met after some bytes were converted
  std::string error_;
};

}  // namespace weft::document::detail
