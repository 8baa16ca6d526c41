// Job ids (128 bits from the kernel's CSPRNG, as 32 lowercase hex digits) and RFC 3339 times.
#pragma once

#include <sys/random.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

inline constexpr std::size_t job_id_length = 32;

/// Fills `bytes` from getrandom(2), or /dev/urandom where that call is missing. A seeded
/// pseudo-random generator would make ids predictable from a few observed ones.
inline void fill_random(unsigned char* bytes, std::size_t size) {
  std::size_t filled = 0;
  while (filled < size) {
    const ssize_t got = ::getrandom(bytes + filled, size - filled, 0);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (filled == size) return;
  const int device = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (device < 0) throw std::runtime_error("asyncrest: no source of random bytes for job ids");
  while (filled < size) {
    const ssize_t got = ::read(device, bytes + filled, size - filled);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      ::close(device);
      throw std::runtime_error("asyncrest: could not read random bytes for job ids");
    }
  }
  ::close(device);
}

/// A new job id: 128 random bits as 32 lowercase hex digits.
[[nodiscard]] inline std::string random_job_id() {
  std::array<unsigned char, job_id_length / 2> bytes{};
  fill_random(bytes.data(), bytes.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string id(job_id_length, '0');
  for (std::size_t index = 0; index < bytes.size(); ++index) {
    id[2 * index] = digits[bytes[index] >> 4];
    id[2 * index + 1] = digits[bytes[index] & 0x0f];
  }
  return id;
}

/// Whether `text` has the shape of a job id; anything else cannot name a job.
[[nodiscard]] constexpr bool is_job_id(std::string_view text) noexcept {
  if (text.size() != job_id_length) return false;
  for (const char each : text) {
    if (!((each >= '0' && each <= '9') || (each >= 'a' && each <= 'f'))) return false;
  }
  return true;
}

/// `when` as RFC 3339 in UTC with milliseconds: 2024-05-01T12:34:56.789Z.
[[nodiscard]] inline std::string format_rfc3339(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto milliseconds_since_epoch = floor<milliseconds>(when);
  const auto day = floor<days>(milliseconds_since_epoch);
  const year_month_day date{day};
  const hh_mm_ss time{milliseconds_since_epoch - day};
  char text[32];
  const int written =
      std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                    static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                    static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                    static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return std::string(text, written > 0 ? static_cast<std::size_t>(written) : 0);
}

}  // namespace asyncrest::detail
