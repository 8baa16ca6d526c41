// Byte-indexed character classes: the tokens of field names and methods, and the letters and
// digits the Host check builds on, as table lookups rather than comparisons.
#pragma once

#include <array>
#include <string_view>

namespace asyncrest::detail {
/// A byte-indexed table of the letters, digits and `symbols`: the character classes the
/// request path checks byte by byte (tokens, Host) are lookups rather than comparisons.
consteval std::array<bool, 256> alphanumeric_table_with(std::string_view symbols) {
  std::array<bool, 256> allowed{};
  for (char letter = 'A'; letter <= 'Z'; ++letter) allowed[static_cast<unsigned char>(letter)] = true;
  for (char letter = 'a'; letter <= 'z'; ++letter) allowed[static_cast<unsigned char>(letter)] = true;
  for (char digit = '0'; digit <= '9'; ++digit) allowed[static_cast<unsigned char>(digit)] = true;
  for (const char symbol : symbols) allowed[static_cast<unsigned char>(symbol)] = true;
  return allowed;
}

/// tchar (RFC 9110 §5.6.2), asked once per byte of every field name written. At namespace
/// scope, so that it is not rebuilt on each call.
inline constexpr std::array<bool, 256> token_characters = alphanumeric_table_with("!#$%&'*+-.^_`|~");

/// tchar of RFC 9110 §5.6.2: what field names and methods are made of.
[[nodiscard]] constexpr bool is_token_character(char character) noexcept {
  return token_characters[static_cast<unsigned char>(character)];
}

}  // namespace asyncrest::detail
