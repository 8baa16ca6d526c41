// Percent-decoding, byte by byte: the hex digits and the loop behind percent_decode().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncrest::detail {

[[nodiscard]] constexpr int hex_digit_value(char digit) noexcept {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

/// Appends the decoded `text` to `out`. Returns false, leaving `out` partly written, when an
/// escape is malformed ("%4", "%zz") or decodes to NUL, which no path or query should carry.
inline bool append_percent_decoded(std::string_view text, std::string& out, bool plus_as_space) {
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char character = text[index];
    if (character == '%') {
      if (index + 2 >= text.size()) return false;
      const int high = hex_digit_value(text[index + 1]);
      const int low = hex_digit_value(text[index + 2]);
      if (high < 0 || low < 0) return false;
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return false;
      out.push_back(decoded);
      index += 2;
    } else if (character == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(character);
    }
  }
  return true;
}

}  // namespace asyncrest::detail
