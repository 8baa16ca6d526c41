// The WebSocket frame (RFC 6455 §5.2): its header read from and written into a buffer, and the
// payload's masking, eight bytes at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace asyncrest::detail {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

[[nodiscard]] constexpr bool is_control(std::uint8_t code) noexcept { return (code & 0x8) != 0; }
[[nodiscard]] constexpr bool is_known_opcode(std::uint8_t code) noexcept {
  return code <= 0x2 || (code >= 0x8 && code <= 0xA);
}

struct frame_header {
  bool final = true;
  bool rsv1 = false;  // permessage-deflate: the message is compressed (first frame only)
  bool rsv2 = false;
  bool rsv3 = false;
  std::uint8_t code = 0;  // the opcode as received, which may be one no one defined
  bool masked = false;
  std::array<unsigned char, 4> mask{};
  std::uint64_t length = 0;
  bool length_top_bit = false;  // a 64-bit length must have its most significant bit clear
};

/// Reads a frame header from the front of `bytes`. Returns the header's size, or 0 when more
/// bytes are needed.
[[nodiscard]] inline std::size_t parse_frame_header(std::string_view bytes, frame_header& out) noexcept {
  if (bytes.size() < 2) return 0;
  const auto first = static_cast<unsigned char>(bytes[0]);
  const auto second = static_cast<unsigned char>(bytes[1]);
  out.final = (first & 0x80) != 0;
  out.rsv1 = (first & 0x40) != 0;
  out.rsv2 = (first & 0x20) != 0;
  out.rsv3 = (first & 0x10) != 0;
  out.code = first & 0x0F;
  out.masked = (second & 0x80) != 0;
  const unsigned short_length = second & 0x7F;
  std::size_t size = 2;
  out.length_top_bit = false;
  if (short_length < 126) {
    out.length = short_length;
  } else if (short_length == 126) {
    if (bytes.size() < 4) return 0;
    out.length = (std::uint64_t{static_cast<unsigned char>(bytes[2])} << 8) | static_cast<unsigned char>(bytes[3]);
    size = 4;
  } else {
    if (bytes.size() < 10) return 0;
    std::uint64_t length = 0;
    for (std::size_t index = 2; index < 10; ++index) length = (length << 8) | static_cast<unsigned char>(bytes[index]);
    out.length = length;
    out.length_top_bit = (length >> 63) != 0;
    size = 10;
  }
  if (out.masked) {
    if (bytes.size() < size + 4) return 0;
    std::memcpy(out.mask.data(), bytes.data() + size, 4);
    size += 4;
  }
  return size;
}

/// The largest header: 2 bytes, a 64-bit length and a mask.
inline constexpr std::size_t max_frame_header_size = 14;

/// Writes a frame header into `out`; returns its size. `mask` is null for an unmasked frame.
inline std::size_t write_frame_header(unsigned char* out, bool final, bool rsv1, opcode code, std::uint64_t length,
                                      const unsigned char* mask) noexcept {
  out[0] = static_cast<unsigned char>((final ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<unsigned>(code));
  const unsigned char mask_bit = mask != nullptr ? 0x80 : 0;
  std::size_t size = 2;
  if (length < 126) {
    out[1] = static_cast<unsigned char>(mask_bit | length);
  } else if (length <= 0xFFFF) {
    out[1] = static_cast<unsigned char>(mask_bit | 126);
    out[2] = static_cast<unsigned char>(length >> 8);
    out[3] = static_cast<unsigned char>(length);
    size = 4;
  } else {
    out[1] = static_cast<unsigned char>(mask_bit | 127);
    for (std::size_t index = 0; index < 8; ++index)
      out[2 + index] = static_cast<unsigned char>(length >> (56 - 8 * index));
    size = 10;
  }
  if (mask != nullptr) {
    std::memcpy(out + size, mask, 4);
    size += 4;
  }
  return size;
}

/// XORs `bytes` with the mask, starting at `offset` bytes into the payload (a payload may arrive
/// in several reads). Eight bytes at a time through a word of the mask repeated twice.
inline void apply_mask(char* bytes, std::size_t size, const std::array<unsigned char, 4>& mask,
                       std::uint64_t offset) noexcept {
  std::size_t index = 0;
  std::size_t phase = static_cast<std::size_t>(offset & 3);
  // Up to the next multiple of 8 of the pointer is not needed: memcpy makes unaligned words safe.
  if (size >= 8) {
    unsigned char rotated[8];
    for (std::size_t position = 0; position < 8; ++position) rotated[position] = mask[(phase + position) & 3];
    std::uint64_t word_mask;
    std::memcpy(&word_mask, rotated, 8);
    for (; index + 8 <= size; index += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes + index, 8);
      word ^= word_mask;
      std::memcpy(bytes + index, &word, 8);
    }
  }
  for (; index < size; ++index)
    bytes[index] = static_cast<char>(bytes[index] ^ static_cast<char>(mask[(phase + index) & 3]));
}

}  // namespace asyncrest::detail
