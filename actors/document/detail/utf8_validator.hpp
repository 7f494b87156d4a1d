#pragma once

#include <cstdint>

namespace weft::document::detail {

/// Incremental UTF-8 validation (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
class utf8_validator {
 public:
  /// Feeds one byte; false when it makes the sequence invalid.
  bool feed(unsigned char b) {
    if (need_ == 0) {
      if (b < 0x80) return true;
      if (b >= 0xC2 && b <= 0xDF) return start(1, 0x80, 0xBF);
      if (b == 0xE0) return start(2, 0xA0, 0xBF);
      if (b == 0xED) return start(2, 0x80, 0x9F);
      if (b >= 0xE1 && b <= 0xEF) return start(2, 0x80, 0xBF);
      if (b == 0xF0) return start(3, 0x90, 0xBF);
      if (b >= 0xF1 && b <= 0xF3) return start(3, 0x80, 0xBF);
      if (b == 0xF4) return start(3, 0x80, 0x8F);
      return false;
    }
    if (b < lo_ || b > hi_) return false;
    --need_;
    lo_ = 0x80;
    hi_ = 0xBF;
    return true;
  }

  /// True when no multi-byte sequence is left open.
  bool complete() const { return need_ == 0; }
  void reset() { need_ = 0; }

 private:
  bool start(int need, unsigned char lo, unsigned char hi) {
    need_ = need;
    lo_ = lo;
    hi_ = hi;
    return true;
  }

  int need_ = 0;
  unsigned char lo_ = 0x80;
  unsigned char hi_ = 0xBF;
};

}  // namespace weft::document::detail
