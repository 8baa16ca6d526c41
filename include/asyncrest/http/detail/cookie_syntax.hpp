// The grammar of cookies (RFC 6265): reading the pairs of a Cookie field as browsers really send
// them, and the character classes a Set-Cookie field must keep to.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace asyncrest::detail {

/// cookie-octet (RFC 6265 §4.1.1): visible ASCII except DQUOTE, comma, semicolon and backslash.
/// No space, no control character and nothing past 0x7E, so a value can neither end its pair nor
/// its field.
consteval std::array<bool, 256> cookie_octet_table() {
  std::array<bool, 256> allowed{};
  for (int byte = 0x21; byte <= 0x7E; ++byte) allowed[static_cast<std::size_t>(byte)] = true;
  for (const char excluded : std::string_view("\",;\\")) allowed[static_cast<unsigned char>(excluded)] = false;
  return allowed;
}
inline constexpr std::array<bool, 256> cookie_octets = cookie_octet_table();

/// A cookie name: a token (RFC 6265 §4.1.1 refers to RFC 2616's token, RFC 9110's tchar).
[[nodiscard]] constexpr bool is_cookie_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char character : name) {
    if (!is_token_character(character)) return false;
  }
  return true;
}

/// A cookie value: cookie-octets, or cookie-octets between double quotes.
[[nodiscard]] constexpr bool is_cookie_value(std::string_view value) noexcept {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  for (const char character : value) {
    if (!cookie_octets[static_cast<unsigned char>(character)]) return false;
  }
  return true;
}

/// An attribute's value (av-octet, RFC 6265 §4.1.1): printable ASCII and space, except ';'.
[[nodiscard]] constexpr bool is_cookie_attribute_value(std::string_view value) noexcept {
  for (const char character : value) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte < 0x20 || byte > 0x7E || byte == ';') return false;
  }
  return true;
}

/// A Domain attribute: a host name, letters, digits and hyphens in dot-separated labels of at
/// most 63 bytes, 253 in all; a leading dot is allowed (browsers ignore it).
[[nodiscard]] constexpr bool is_cookie_domain(std::string_view domain) noexcept {
  if (!domain.empty() && domain.front() == '.') domain.remove_prefix(1);
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t label = 0;
  for (const char character : domain) {
    if (character == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                         (character >= '0' && character <= '9') || character == '-';
    if (!allowed || ++label > 63) return false;
  }
  return label != 0;
}

/// One name=value pair of a Cookie field.
struct cookie_pair {
  std::string_view name;
  std::string_view value;
};

[[nodiscard]] constexpr std::string_view trim_cookie_space(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// Takes the next pair from `rest`, the unread part of a Cookie field; false when none is left.
///
/// Tolerant, as a server must be with what browsers send (RFC 6265 §5.4 and what scripts can
/// set): pairs are split at ';' with or without the space after it, spaces and tabs around names
/// and values are dropped, a value between double quotes is given without them, and a value may
/// hold '=' (only the first '=' splits). A piece without '=' (a browser's nameless cookie) or
/// with an empty name is skipped: no name could look it up.
[[nodiscard]] constexpr bool next_cookie_pair(std::string_view& rest, cookie_pair& out) noexcept {
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    const std::string_view piece = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    const std::size_t equals = piece.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = trim_cookie_space(piece.substr(0, equals));
    if (name.empty()) continue;
    std::string_view value = trim_cookie_space(piece.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    out = {name, value};
    return true;
  }
  return false;
}

}  // namespace asyncrest::detail
