// The framing of one chunk of a chunked body (RFC 9112 §7.1): its size line before the bytes,
// CRLF after them, and the last chunk that ends the body.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <string_view>

namespace asyncrest::detail {

/// The size line of a chunk, "1a2b\r\n": hexadecimal digits, no extensions.
class chunk_size_line {
 public:
  explicit chunk_size_line(std::size_t size) noexcept {
    char* end = std::to_chars(characters_.data(), characters_.data() + 16, size, 16).ptr;
    *end++ = '\r';
    *end++ = '\n';
    size_ = static_cast<std::size_t>(end - characters_.data());
  }
  [[nodiscard]] std::string_view text() const noexcept { return {characters_.data(), size_}; }

 private:
  std::array<char, 18> characters_{};  // 16 hexadecimal digits hold any 64-bit size
  std::size_t size_ = 0;
};

/// What follows the bytes of every chunk.
inline constexpr std::string_view chunk_end = "\r\n";
/// The chunk of size zero with no trailer fields: the end of the body.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace asyncrest::detail
