// Random hexadecimal identifiers: multipart boundaries, request ids, trace and span ids. Not
// secrets (a guessable id harms no one): a per-thread generator seeded once from the system.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

namespace asyncrest::detail {

/// The thread's generator, seeded from std::random_device on first use.
inline std::mt19937_64& thread_random() noexcept {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator;
}

/// Writes `digits` random lowercase hexadecimal digits to `out` (which has room for them).
inline void write_random_hex(char* out, std::size_t digits) noexcept {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t written = 0;
  while (written < digits) {
    std::uint64_t bits = thread_random()();
    for (int digit = 0; digit < 16 && written < digits; ++digit, bits >>= 4u) out[written++] = hex[bits & 0xFu];
  }
}

}  // namespace asyncrest::detail
