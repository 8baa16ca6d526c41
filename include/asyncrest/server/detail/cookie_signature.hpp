// What signed cookies are made of: base64url without padding (RFC 4648 §5), read strictly, and
// HMAC-SHA256 from OpenSSL's libcrypto, compared in constant time.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

inline constexpr std::size_t cookie_mac_bytes = 32;  // SHA-256
/// base64url of 32 bytes without padding.
inline constexpr std::size_t cookie_mac_characters = 43;

/// base64url: '-' and '_' in place of '+' and '/', which are cookie-octets but not URL-safe;
/// no '=' padding, which would be one more character to escape in a URL.
inline std::string base64url_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  const auto byte = [&](std::size_t index) { return std::uint32_t{static_cast<unsigned char>(bytes[index])}; };
  std::size_t index = 0;
  for (; index + 3 <= bytes.size(); index += 3) {
    const std::uint32_t group = (byte(index) << 16) | (byte(index + 1) << 8) | byte(index + 2);
    out.push_back(alphabet[(group >> 18) & 63]);
    out.push_back(alphabet[(group >> 12) & 63]);
    out.push_back(alphabet[(group >> 6) & 63]);
    out.push_back(alphabet[group & 63]);
  }
  const std::size_t left = bytes.size() - index;
  if (left != 0) {
    const std::uint32_t group = (byte(index) << 16) | (left == 2 ? byte(index + 1) << 8 : 0);
    out.push_back(alphabet[(group >> 18) & 63]);
    out.push_back(alphabet[(group >> 12) & 63]);
    if (left == 2) out.push_back(alphabet[(group >> 6) & 63]);
  }
  return out;
}

[[nodiscard]] constexpr int base64url_value(char character) noexcept {
  if (character >= 'A' && character <= 'Z') return character - 'A';
  if (character >= 'a' && character <= 'z') return character - 'a' + 26;
  if (character >= '0' && character <= '9') return character - '0' + 52;
  if (character == '-') return 62;
  if (character == '_') return 63;
  return -1;
}

/// The bytes `text` encodes, or nothing when it is not base64url as `base64url_encode` writes it:
/// another character, padding, a length no encoding has, or bits set past the last byte (so
/// each value has one encoding only).
[[nodiscard]] inline std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char character : text) {
    const int value = base64url_value(character);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  if ((bits & ((1U << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

using cookie_mac = std::array<unsigned char, cookie_mac_bytes>;

/// HMAC-SHA256(key, name "=" value). The name is part of what is signed, so a value signed for
/// one cookie is not accepted as another's; '=' cannot be in a name, so the split is unambiguous.
inline cookie_mac cookie_mac_of(std::string_view key, std::string_view name, std::string_view value) {
  std::string message;
  message.reserve(name.size() + 1 + value.size());
  message.append(name);
  message.push_back('=');
  message.append(value);
  cookie_mac mac{};
  unsigned int length = 0;
  const unsigned char* done =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  OPENSSL_cleanse(message.data(), message.size());
  if (done == nullptr || length != cookie_mac_bytes)
    throw std::runtime_error("asyncrest: HMAC-SHA256 failed in OpenSSL");
  return mac;
}

/// Equal MACs, compared in a time that does not depend on where they differ.
[[nodiscard]] inline bool same_mac(const cookie_mac& left, std::string_view right) noexcept {
  return right.size() == left.size() && CRYPTO_memcmp(left.data(), right.data(), left.size()) == 0;
}

}  // namespace asyncrest::detail
