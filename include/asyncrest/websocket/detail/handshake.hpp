// The opening handshake's pieces (RFC 6455 §4): the key and its accept value (SHA-1 from
// OpenSSL's libcrypto, base64), and the comma-separated lists of Connection, Upgrade and
// Sec-WebSocket-Protocol.
#pragma once

#include <asyncrest/core/headers.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

inline constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

inline std::string base64_encode(const unsigned char* bytes, std::size_t size) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t index = 0;
  for (; index + 3 <= size; index += 3) {
    const std::uint32_t group =
        (std::uint32_t{bytes[index]} << 16) | (std::uint32_t{bytes[index + 1]} << 8) | bytes[index + 2];
    out.push_back(alphabet[(group >> 18) & 63]);
    out.push_back(alphabet[(group >> 12) & 63]);
    out.push_back(alphabet[(group >> 6) & 63]);
    out.push_back(alphabet[group & 63]);
  }
  if (size - index == 1) {
    const std::uint32_t group = std::uint32_t{bytes[index]} << 16;
    out.push_back(alphabet[(group >> 18) & 63]);
    out.push_back(alphabet[(group >> 12) & 63]);
    out.append("==");
  } else if (size - index == 2) {
    const std::uint32_t group = (std::uint32_t{bytes[index]} << 16) | (std::uint32_t{bytes[index + 1]} << 8);
    out.push_back(alphabet[(group >> 18) & 63]);
    out.push_back(alphabet[(group >> 12) & 63]);
    out.push_back(alphabet[(group >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

[[nodiscard]] constexpr int base64_value(char character) noexcept {
  if (character >= 'A' && character <= 'Z') return character - 'A';
  if (character >= 'a' && character <= 'z') return character - 'a' + 26;
  if (character >= '0' && character <= '9') return character - '0' + 52;
  if (character == '+') return 62;
  if (character == '/') return 63;
  return -1;
}

/// A Sec-WebSocket-Key must be the base64 of 16 bytes: 22 characters and "==", the last of them
/// holding no bits past the 128th.
[[nodiscard]] inline bool is_valid_websocket_key(std::string_view key) noexcept {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t index = 0; index < 22; ++index) {
    if (base64_value(key[index]) < 0) return false;
  }
  return (base64_value(key[21]) & 0x0F) == 0;
}

/// base64(SHA-1(key + GUID)): what Sec-WebSocket-Accept must say for `key`.
inline std::string websocket_accept_value(std::string_view key) {
  std::string input;
  input.reserve(key.size() + websocket_guid.size());
  input.append(key);
  input.append(websocket_guid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("asyncrest: SHA-1 failed (OpenSSL's EVP_Digest)");
  }
  return base64_encode(digest.data(), digest_size);
}

/// Unpredictable bytes (for masks and keys), from OpenSSL's generator.
inline void random_bytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("asyncrest: RAND_bytes failed");
}

/// A new Sec-WebSocket-Key: 16 random bytes in base64.
inline std::string new_websocket_key() {
  std::array<unsigned char, 16> bytes{};
  random_bytes(bytes.data(), bytes.size());
  return base64_encode(bytes.data(), bytes.size());
}

[[nodiscard]] constexpr std::string_view trim_spaces(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// Calls `each(item)` for each non-empty item of a comma-separated list, trimmed; stops when it
/// returns true, and returns whether it did.
template <class Each>
bool for_each_list_item(std::string_view list, Each&& each) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim_spaces(list.substr(0, comma));
    if (!item.empty() && each(item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

/// Whether the list holds `token`, compared without regard to case (Connection: keep-alive, Upgrade).
[[nodiscard]] inline bool list_contains_token(std::string_view list, std::string_view token) {
  return for_each_list_item(list, [&](std::string_view item) { return iequals(item, token); });
}

}  // namespace asyncrest::detail
