#include "actors/document/detail/byte_source.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "actors/document/data_options.hpp"

namespace weft::document::detail {

namespace {

iconv_t as_cd(void* p) { return static_cast<iconv_t>(p); }

std::string display_name(std::string_view iconv_name) {
  std::string out(iconv_name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

byte_source::byte_source(std::istream& in, std::size_t buffer_bytes, const std::string& encoding)
    : in_(in), buffer_(buffer_bytes < 16 ? 16 : buffer_bytes), raw_(buffer_.size()) {
  auto name = iconv_encoding_name(encoding);
  if (!name) throw std::invalid_argument("unknown data encoding '" + encoding + "'");
  iconv_name_ = *name;
  encoding_name_ = display_name(iconv_name_);
  // An empty name lets a UTF-16 byte order mark decide (start()); anything named is meant.
  if (encoding.empty()) iconv_name_.clear();
  // Small buffers exercise the boundaries in tests: hand out at most buffer_bytes at a time.
  if (buffer_bytes == 0) buffer_bytes = 1;
  chunk_ = buffer_bytes;
}

byte_source::~byte_source() {
  if (cd_ != nullptr) iconv_close(as_cd(cd_));
}

bool byte_source::read_raw() {
  if (in_eof_) return false;
  if (raw_pos_ > 0) {
    std::memmove(raw_.data(), raw_.data() + raw_pos_, raw_end_ - raw_pos_);
    raw_offset_ += raw_pos_;
    raw_end_ -= raw_pos_;
    raw_pos_ = 0;
  }
  const std::size_t want = std::min(chunk_, raw_.size() - raw_end_);
  in_.read(raw_.data() + raw_end_, static_cast<std::streamsize>(want));
  const auto n = in_.gcount();
  if (in_.bad()) {
    error_ = "read error";
    in_eof_ = true;
    return false;
  }
  if (!in_) in_eof_ = true;
  raw_end_ += n > 0 ? static_cast<std::size_t>(n) : 0;
  return n > 0;
}

bool byte_source::start() {
  started_ = true;
  while (raw_end_ < 2 && read_raw()) {
  }
  if (!error_.empty()) return false;
  const auto b0 = raw_end_ > 0 ? static_cast<unsigned char>(raw_[0]) : 0;
  const auto b1 = raw_end_ > 1 ? static_cast<unsigned char>(raw_[1]) : 0;
  const bool utf16_bom = (b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF);
  if (iconv_name_.empty()) {
    if (!utf16_bom) return true;  // UTF-8 passes through
    iconv_name_ = "UTF-16";
    encoding_name_ = "utf-16";
  }
  if (iconv_name_ == "UTF-8") return true;
  if (iconv_name_ == "UTF-16" && !utf16_bom && raw_end_ > 0) {
    error_ =
        "utf-16 data must start with a byte order mark (FF FE or FE FF); name utf-16le or "
        "utf-16be instead";
    return false;
  }
  iconv_t cd = iconv_open("UTF-8", iconv_name_.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    error_ = "encoding " + encoding_name_ + " is not available: " + std::strerror(errno);
    return false;
  }
  cd_ = cd;
  return true;
}

bool byte_source::convert() {
  // Converts raw bytes into buffer_ after end_; true when some bytes were added.
  for (;;) {
    if (raw_pos_ == raw_end_ && !read_raw()) {
      if (!error_.empty()) return false;
      return false;
    }
    char* in = raw_.data() + raw_pos_;
    std::size_t in_left = raw_end_ - raw_pos_;
    char* out = buffer_.data() + end_;
    std::size_t out_left = buffer_.size() - end_;
    const std::size_t r = iconv(as_cd(cd_), &in, &in_left, &out, &out_left);
    const int err = r == static_cast<std::size_t>(-1) ? errno : 0;
    raw_pos_ = static_cast<std::size_t>(in - raw_.data());
    const std::size_t produced = static_cast<std::size_t>(out - (buffer_.data() + end_));
    end_ += produced;
    if (err == EILSEQ) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(raw_[raw_pos_]));
      pending_error_ = "invalid " + encoding_name_ + " byte " + byte + " at byte offset " +
                       std::to_string(raw_offset_ + raw_pos_) + " of the file";
      return produced > 0;
    }
    if (err == EINVAL) {
      // An incomplete sequence at the end of the raw chunk: read more, or it is truncated.
      if (produced > 0) return true;
      if (!read_raw()) {
        if (error_.empty())
          pending_error_ = "incomplete " + encoding_name_ + " sequence at the end of the file";
        return false;
      }
      continue;
    }
    if (produced > 0) return true;
    if (err == E2BIG) return false;  // no room: the caller's buffer is full
  }
}

bool byte_source::fill() {
  if (!error_.empty()) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (!started_ && !start()) return false;
  if (pending_error_.empty()) {
    if (cd_ == nullptr) {
      // UTF-8: bytes read at start() first, then straight from the stream.
      if (raw_pos_ < raw_end_) {
        const std::size_t n = std::min(raw_end_ - raw_pos_, buffer_.size() - end_);
        std::memcpy(buffer_.data() + end_, raw_.data() + raw_pos_, n);
        raw_pos_ += n;
        end_ += n;
        return true;
      }
      if (in_eof_) return false;
      const std::size_t want = std::min(chunk_, buffer_.size() - end_);
      in_.read(buffer_.data() + end_, static_cast<std::streamsize>(want));
      const auto n = in_.gcount();
      if (in_.bad()) error_ = "read error";
      if (!in_) in_eof_ = true;
      end_ += n > 0 ? static_cast<std::size_t>(n) : 0;
      return n > 0;
    }
    if (convert()) return true;
  }
  if (!pending_error_.empty() && error_.empty() && pos_ == end_) error_ = pending_error_;
  return pos_ < end_;
}

std::string_view byte_source::lookahead(std::size_t n) {
  while (end_ - pos_ < n) {
    if (pos_ == 0 && end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    const std::size_t before = end_ - pos_;
    if (!fill() || end_ - pos_ == before) break;
  }
  return std::string_view(buffer_.data() + pos_, end_ - pos_);
}

}  // namespace weft::document::detail
