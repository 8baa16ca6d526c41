// Byte-indexed character classes: the tokens of field names and methods, and the letters and
// digits the Host check builds on, as table lookups rather than comparisons; and HTTP's optional
// whitespace, with the media type of a Content-Type, which the server and client both read.
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

/// OWS of RFC 9110 §5.6.3: a space or a tab.
[[nodiscard]] constexpr bool is_optional_whitespace(char character) noexcept {
  return character == ' ' || character == '\t';
}

/// `text` without the spaces and tabs around it.
[[nodiscard]] constexpr std::string_view trim_optional_whitespace(std::string_view text) noexcept {
  while (!text.empty() && is_optional_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_optional_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

/// The media type of a Content-Type value (`type/subtype`, without parameters), trimmed, not
/// lower-cased.
[[nodiscard]] constexpr std::string_view media_type_of(std::string_view content_type) noexcept {
  return trim_optional_whitespace(content_type.substr(0, content_type.find(';')));
}

}  // namespace asyncrest::detail
