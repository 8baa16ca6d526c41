// The rules a header field must meet to be sent in a response head, and the fields the
// library's own code writes, checked while compiling.
#pragma once

#include <asyncrest/core/detail/byte_words.hpp>
#include <asyncrest/core/detail/field_storage.hpp>
#include <asyncrest/core/detail/token_characters.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace asyncrest::detail {

/// ASCII letters compared without regard to case: how HTTP compares field names (`iequals`).
[[nodiscard]] constexpr bool ascii_iequals(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    char a = left[index];
    char b = right[index];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + ('a' - 'A'));
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + ('a' - 'A'));
    if (a != b) return false;
  }
  return true;
}

/// Fields the server writes itself: a handler's own would contradict the framing.
[[nodiscard]] constexpr bool is_framing_field(std::string_view name) noexcept {
  return ascii_iequals(name, "Content-Length") || ascii_iequals(name, "Transfer-Encoding") ||
         ascii_iequals(name, "Connection") || ascii_iequals(name, "Date");
}

/// Whether `value` holds a control character other than HTAB, which are invalid in a field value
/// (RFC 9110 §5.5); CR and LF would split the response.
[[nodiscard]] constexpr bool has_control_character(std::string_view value) noexcept {
  std::size_t index = 0;
  if (!std::is_constant_evaluated()) {
    // Eight bytes at a time; a word with any control byte, HTAB too, is left to the loop below.
    for (; index + 8 <= value.size(); index += 8) {
      const std::uint64_t word = load_word(value.data() + index);
      if ((bytes_below(word, 0x20) | bytes_equal(word, 0x7F)) != 0) break;
    }
  }
  for (; index < value.size(); ++index) {
    const auto byte = static_cast<unsigned char>(value[index]);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return true;
  }
  return false;
}

/// A field that would split the response (CR or LF in it) or is no valid field at all.
[[nodiscard]] constexpr bool is_unsafe_field(std::string_view name, std::string_view value) noexcept {
  if (name.empty()) return true;
  for (const char character : name) {
    if (!is_token_character(character)) return true;
  }
  return has_control_character(value);
}

/// Whether a response head may carry the field as it is.
[[nodiscard]] constexpr bool is_sendable_field(std::string_view name, std::string_view value) noexcept {
  return !is_framing_field(name) && !is_unsafe_field(name, value);
}

/// A field the library's own code writes, such as a helper's Content-Type: checked while
/// compiling, so that setting it costs a copy and no look at its bytes.
struct constant_field {
  /// Name and value bytes that one field kept inside a `field_storage` can hold.
  static constexpr std::size_t most_bytes = field_storage::inline_capacity - 12;

  std::string_view name;
  std::string_view value;

  consteval constant_field(std::string_view field_name, std::string_view field_value)
      : name(field_name), value(field_value) {
    // Reaching a throw is no constant expression: an unsendable constant field does not compile.
    if (!is_sendable_field(name, value)) throw "a constant field must be one a response head can send";
    if (name.size() + value.size() > most_bytes) throw "a constant field must fit inside a field list's object";
  }
};
}  // namespace asyncrest::detail
