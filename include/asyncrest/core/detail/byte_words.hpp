// Tests on eight bytes at once, for scans of text that is nearly always plain: a field value
// for control characters, a JSON string for what needs escaping.
#pragma once

#include <cstdint>
#include <cstring>

namespace asyncrest::detail {

inline constexpr std::uint64_t every_byte_one = 0x0101010101010101u;
inline constexpr std::uint64_t every_byte_top = 0x8080808080808080u;

/// The eight bytes at `at`, in one word.
[[nodiscard]] inline std::uint64_t load_word(const char* at) noexcept {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

/// Nonzero if and only if a byte of `word` is below `limit` (at most 0x80). It sets the top bit
/// of such bytes; a borrow may set others only after a true one, so the result says whether,
/// not where.
[[nodiscard]] constexpr std::uint64_t bytes_below(std::uint64_t word, unsigned limit) noexcept {
  return (word - every_byte_one * limit) & ~word & every_byte_top;
}

/// Nonzero if and only if a byte of `word` equals `byte`.
[[nodiscard]] constexpr std::uint64_t bytes_equal(std::uint64_t word, unsigned char byte) noexcept {
  return bytes_below(word ^ (every_byte_one * byte), 1);
}

}  // namespace asyncrest::detail
