// Base64 (RFC 4648 §4, with padding) for credentials, and the checks the authentication helpers
// make. Here rather than with WebSocket's, which needs OpenSSL: Basic authentication does not.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncrest::detail {

[[nodiscard]] inline std::string encode_base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t index = 0;
  for (; index + 3 <= bytes.size(); index += 3) {
    const unsigned group = static_cast<unsigned char>(bytes[index]) << 16U |
                           static_cast<unsigned char>(bytes[index + 1]) << 8U |
                           static_cast<unsigned char>(bytes[index + 2]);
    out.push_back(alphabet[(group >> 18U) & 0x3FU]);
    out.push_back(alphabet[(group >> 12U) & 0x3FU]);
    out.push_back(alphabet[(group >> 6U) & 0x3FU]);
    out.push_back(alphabet[group & 0x3FU]);
  }
  const std::size_t left = bytes.size() - index;
  if (left > 0) {
    unsigned group = static_cast<unsigned char>(bytes[index]) << 16U;
    if (left == 2) group |= static_cast<unsigned char>(bytes[index + 1]) << 8U;
    out.push_back(alphabet[(group >> 18U) & 0x3FU]);
    out.push_back(alphabet[(group >> 12U) & 0x3FU]);
    out.push_back(left == 2 ? alphabet[(group >> 6U) & 0x3FU] : '=');
    out.push_back('=');
  }
  return out;
}

[[nodiscard]] constexpr bool has_control_byte(std::string_view text) noexcept {
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte < 0x20 || byte == 0x7F) return true;
  }
  return false;
}

/// b64token (RFC 6750 §2.1): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
[[nodiscard]] constexpr bool is_b64token(std::string_view token) noexcept {
  std::size_t index = 0;
  for (; index < token.size(); ++index) {
    const char character = token[index];
    const bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                         (character >= '0' && character <= '9') || character == '-' || character == '.' ||
                         character == '_' || character == '~' || character == '+' || character == '/';
    if (!allowed) break;
  }
  if (index == 0) return false;
  for (; index < token.size(); ++index) {
    if (token[index] != '=') return false;
  }
  return true;
}

}  // namespace asyncrest::detail
