// Incremental UTF-8 validation for text messages (RFC 3629): fed piece by piece as frames
// arrive, so a bad byte is found in the frame that carries it, whatever the fragmentation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace asyncrest::detail {

/// Remembers where a sequence stands between pieces: how many continuation bytes are still due
/// and the range the next one must fall in (which is how overlongs, surrogates and code points
/// past U+10FFFF are refused at their second byte).
class utf8_validator {
 public:
  /// Checks `bytes` as the continuation of what was fed before. False at the first byte that
  /// cannot be part of valid UTF-8; the validator is then left failed.
  [[nodiscard]] bool feed(std::string_view bytes) noexcept {
    if (failed_) return false;
    const auto* at = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* const end = at + bytes.size();
    while (at != end) {
      if (pending_ == 0) {
        // ASCII fast path: eight bytes at a time while none has its top bit set.
        while (end - at >= 8) {
          std::uint64_t word;
          std::memcpy(&word, at, 8);
          if ((word & 0x8080808080808080ULL) != 0) break;
          at += 8;
        }
        if (at == end) break;
        const unsigned char lead = *at++;
        if (lead < 0x80) continue;
        if (!start(lead)) return fail();
      } else {
        const unsigned char byte = *at++;
        if (byte < low_ || byte > high_) return fail();
        low_ = 0x80;
        high_ = 0xBF;
        --pending_;
      }
    }
    return true;
  }

  /// True when the bytes fed so far end on a character boundary: a message may end here.
  [[nodiscard]] bool complete() const noexcept { return pending_ == 0 && !failed_; }

  void reset() noexcept {
    pending_ = 0;
    failed_ = false;
    low_ = 0x80;
    high_ = 0xBF;
  }

  /// One call for a whole piece of text, such as a close frame's reason.
  [[nodiscard]] static bool valid(std::string_view text) noexcept {
    utf8_validator validator;
    return validator.feed(text) && validator.complete();
  }

 private:
  bool start(unsigned char lead) noexcept {
    low_ = 0x80;
    high_ = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      pending_ = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      pending_ = 2;
      if (lead == 0xE0) low_ = 0xA0;   // below is an overlong form
      if (lead == 0xED) high_ = 0x9F;  // above are the surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      pending_ = 3;
      if (lead == 0xF0) low_ = 0x90;   // overlong
      if (lead == 0xF4) high_ = 0x8F;  // past U+10FFFF
    } else {
      return false;  // a continuation byte, C0, C1 (overlongs) or F5..FF
    }
    return true;
  }
  bool fail() noexcept {
    failed_ = true;
    return false;
  }

  unsigned pending_ = 0;
  unsigned char low_ = 0x80;
  unsigned char high_ = 0xBF;
  bool failed_ = false;
};

}  // namespace asyncrest::detail
