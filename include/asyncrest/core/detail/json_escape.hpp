// JSON string escaping and number formatting behind json_writer.
#pragma once

#include <asyncrest/core/detail/byte_words.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace asyncrest::detail {

/// Writes `\\uXXXX` for `code_unit` at `out`: six characters.
constexpr void write_unicode_escape(char* out, std::uint32_t code_unit) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  out[0] = '\\';
  out[1] = 'u';
  out[2] = hex[(code_unit >> 12) & 0xF];
  out[3] = hex[(code_unit >> 8) & 0xF];
  out[4] = hex[(code_unit >> 4) & 0xF];
  out[5] = hex[code_unit & 0xF];
}

inline void append_unicode_escape(std::string& out, std::uint32_t code_unit) {
  char escape[6];
  write_unicode_escape(escape, code_unit);
  out.append(escape, sizeof escape);
}

/// Decodes one UTF-8 sequence starting at `text[index]`; returns the code point and advances
/// `index`, or returns U+FFFD and advances one byte for anything malformed (overlong forms,
/// surrogates, truncated sequences, values past U+10FFFF).
constexpr std::uint32_t decode_utf8(std::string_view text, std::size_t& index) noexcept {
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(index);
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code_point = lead & 0x1Fu, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code_point = lead & 0x0Fu, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code_point = lead & 0x07u, minimum = 0x10000;
  } else {
    ++index;
    return 0xFFFD;
  }
  if (index + length > text.size()) {
    ++index;
    return 0xFFFD;
  }
  for (std::size_t offset = 1; offset < length; ++offset) {
    const unsigned char continuation = byte(index + offset);
    if ((continuation & 0xC0u) != 0x80u) {
      ++index;
      return 0xFFFD;
    }
    code_point = (code_point << 6) | (continuation & 0x3Fu);
  }
  if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++index;
    return 0xFFFD;
  }
  index += length;
  return code_point;
}

/// Printable ASCII other than '"' and '\\': the bytes a JSON string holds as they are.
inline constexpr std::array<bool, 256> plain_json_characters = [] {
  std::array<bool, 256> plain{};
  for (unsigned byte = 0x20; byte < 0x7F; ++byte) plain[byte] = byte != '"' && byte != '\\';
  return plain;
}();

/// How many bytes at the start of `text` a JSON string holds as they are. Sixteen bytes are
/// tested at a time where SSE2 is (every x86-64), then eight: a byte needs escaping when its top
/// bit is set, or it is below 0x20, or it is '"', '\\' or DEL.
inline std::size_t plain_json_prefix(std::string_view text) noexcept {
  std::size_t plain = 0;
#if defined(__SSE2__)
  for (; plain + 16 <= text.size(); plain += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + plain));
    // Compared as signed bytes, those with the top bit set are negative: below 0x20 too.
    const __m128i control_or_high = _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20));
    const __m128i quote_or_backslash =
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
    const __m128i del = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x7F));
    const auto needs_escape =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control_or_high, _mm_or_si128(quote_or_backslash, del))));
    if (needs_escape != 0) return plain + static_cast<std::size_t>(std::countr_zero(needs_escape));
  }
#endif
  for (; plain + 8 <= text.size(); plain += 8) {
    const std::uint64_t word = load_word(text.data() + plain);
    if (((word & every_byte_top) | bytes_below(word, 0x20) | bytes_equal(word, '"') | bytes_equal(word, '\\') |
         bytes_equal(word, 0x7F)) != 0) {
      break;
    }
  }
  while (plain < text.size() && plain_json_characters[static_cast<unsigned char>(text[plain])]) ++plain;
  return plain;
}

/// The most characters one escape takes: a surrogate pair, two `\\uXXXX`.
inline constexpr std::size_t longest_json_escape = 12;

/// Writes at `out` the escape of the character at `text[index]`, one that a JSON string cannot
/// hold as it is, moves `index` past it and returns how many characters it wrote. Constant
/// evaluation uses it too, for member names quoted at compile time.
constexpr std::size_t write_escaped_character(char* out, std::string_view text, std::size_t& index) noexcept {
  const auto character = static_cast<unsigned char>(text[index]);
  char short_escape = 0;
  switch (character) {
    case '"': short_escape = '"'; break;
    case '\\': short_escape = '\\'; break;
    case '\b': short_escape = 'b'; break;
    case '\f': short_escape = 'f'; break;
    case '\n': short_escape = 'n'; break;
    case '\r': short_escape = 'r'; break;
    case '\t': short_escape = 't'; break;
    default: break;
  }
  if (short_escape != 0) {
    out[0] = '\\';
    out[1] = short_escape;
    ++index;
    return 2;
  }
  if (character < 0x80) {  // other control characters and DEL
    write_unicode_escape(out, character);
    ++index;
    return 6;
  }
  const std::uint32_t code_point = decode_utf8(text, index);
  if (code_point >= 0x10000) {  // outside the BMP: a surrogate pair
    const std::uint32_t offset = code_point - 0x10000;
    write_unicode_escape(out, 0xD800 + (offset >> 10));
    write_unicode_escape(out + 6, 0xDC00 + (offset & 0x3FF));
    return 12;
  }
  write_unicode_escape(out, code_point);
  return 6;
}

/// Appends the escape of the character at `text[index]`, one that a JSON string cannot hold as
/// it is, and moves `index` past it.
inline void append_escaped_character(std::string& out, std::string_view text, std::size_t& index) {
  char escape[longest_json_escape];
  out.append(escape, write_escaped_character(escape, text, index));
}

/// Appends `text` as a quoted JSON string of printable ASCII only.
inline void append_json_string(std::string& out, std::string_view text) {
  const std::size_t plain = plain_json_prefix(text);
  if (plain == text.size()) {
    // Nothing to escape, as for most names and many values: quotes and text in one append
    // (`resize` would first fill the room it makes).
    constexpr std::size_t short_text = 64;
    if (text.size() <= short_text) {
      char quoted[short_text + 2];
      quoted[0] = '"';
      if (!text.empty()) std::memcpy(quoted + 1, text.data(), text.size());
      quoted[text.size() + 1] = '"';
      out.append(quoted, text.size() + 2);
    } else {
      out.reserve(out.size() + text.size() + 2);
      out.push_back('"');
      out.append(text);
      out.push_back('"');
    }
    return;
  }
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  out.append(text.data(), plain);
  // text[index] needs escaping; after it, the longest run that does not is copied in one go.
  for (std::size_t index = plain; index < text.size();) {
    append_escaped_character(out, text, index);
    const std::size_t run_end = index + plain_json_prefix(text.substr(index));
    out.append(text.data() + index, run_end - index);
    index = run_end;
  }
  out.push_back('"');
}

template <std::integral Integer>
void append_json_integer(std::string& out, Integer number) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, result.ptr);
}

/// Shortest text that reads back as the same double; NaN and infinities, which JSON cannot
/// express, become null.
inline void append_json_double(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out.append("null");
    return;
  }
  char digits[32];
  const auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, result.ptr);
}

}  // namespace asyncrest::detail
