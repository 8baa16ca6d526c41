// RFC 3339 date-times (§5.6) for typed JSON: read with any offset and fractional seconds, written
// in UTC with `Z` and as many fractional digits as the duration holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace asyncrest::detail {

/// `digits` decimal digits at `at` as a number; nothing when one is not a digit.
constexpr std::optional<int> read_digits(std::string_view text, std::size_t at, std::size_t digits) noexcept {
  if (at + digits > text.size()) return std::nullopt;
  int number = 0;
  for (std::size_t index = at; index < at + digits; ++index) {
    const char character = text[index];
    if (character < '0' || character > '9') return std::nullopt;
    number = number * 10 + (character - '0');
  }
  return number;
}

/// A date-time as seconds since the epoch and the nanoseconds that follow.
struct rfc3339_instant {
  std::chrono::sys_seconds seconds;
  std::chrono::nanoseconds fraction;
};

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; `T` and `Z` in either case. A leap
/// second (:60) is the second after :59. Digits past nanoseconds are dropped.
inline std::optional<rfc3339_instant> parse_rfc3339(std::string_view text) noexcept {
  const auto year = read_digits(text, 0, 4);
  const auto month = read_digits(text, 5, 2);
  const auto day = read_digits(text, 8, 2);
  const auto hour = read_digits(text, 11, 2);
  const auto minute = read_digits(text, 14, 2);
  const auto second = read_digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;

  std::size_t at = 19;
  std::int64_t nanoseconds = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first_digit = at;
    std::int64_t scale = 100'000'000;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      nanoseconds += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == first_digit) return std::nullopt;
  }
  if (at >= text.size()) return std::nullopt;
  int offset_minutes = 0;
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    const auto offset_hours = read_digits(text, at + 1, 2);
    const auto offset_rest = read_digits(text, at + 4, 2);
    if (!offset_hours || !offset_rest || text[at + 3] != ':' || *offset_hours > 23 || *offset_rest > 59) {
      return std::nullopt;
    }
    offset_minutes = (*offset_hours * 60 + *offset_rest) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;

  const std::chrono::sys_seconds local = std::chrono::sys_days{date} + std::chrono::hours{*hour} +
                                         std::chrono::minutes{*minute} + std::chrono::seconds{*second};
  return rfc3339_instant{local - std::chrono::minutes{offset_minutes}, std::chrono::nanoseconds{nanoseconds}};
}

/// The instant as a `sys_time<Duration>`, rounded down to its precision; nothing when it does
/// not fit the duration's range.
template <class Duration>
std::optional<std::chrono::sys_time<Duration>> to_sys_time(const rfc3339_instant& instant) noexcept {
  using namespace std::chrono;
  const auto seconds_since_epoch = instant.seconds.time_since_epoch();
  if constexpr (std::is_convertible_v<seconds, Duration>) {
    // Finer than a second: the fraction is kept to the duration's precision, and years 0 to
    // 9999 may not fit (nanoseconds in 64 bits reach 1677 to 2262).
    if (seconds_since_epoch >= duration_cast<seconds>(Duration::max()) ||
        seconds_since_epoch <= duration_cast<seconds>(Duration::min())) {
      return std::nullopt;
    }
    return sys_time<Duration>{duration_cast<Duration>(seconds_since_epoch) + floor<Duration>(instant.fraction)};
  } else {
    return floor<Duration>(instant.seconds);
  }
}

/// Writes `number` at `out` in at least `width` digits, zeros in front; returns how many.
inline std::size_t write_padded(char* out, long long number, int width) noexcept {
  char digits[24];
  int length = 0;
  do {
    digits[length++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number > 0);
  std::size_t written = 0;
  for (int pad = length; pad < width; ++pad) out[written++] = '0';
  while (length > 0) out[written++] = digits[--length];
  return written;
}

/// The most characters write_rfc3339 writes: a date and time of 19, a fraction of up to 18
/// digits (attoseconds) after its point, and `Z`, with room to spare for years past 9999.
inline constexpr std::size_t longest_rfc3339 = 48;

/// Writes `time` at `out` as `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (years 0 to 9999); returns how
/// many characters, at most longest_rfc3339.
template <class Duration>
std::size_t write_rfc3339(char* out, std::chrono::sys_time<Duration> time) noexcept {
  using namespace std::chrono;
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  using clock_type = hh_mm_ss<std::common_type_t<Duration, seconds>>;
  const clock_type time_of_day{time - day};
  std::size_t at = write_padded(out, static_cast<int>(date.year()), 4);
  out[at++] = '-';
  at += write_padded(out + at, static_cast<unsigned>(date.month()), 2);
  out[at++] = '-';
  at += write_padded(out + at, static_cast<unsigned>(date.day()), 2);
  out[at++] = 'T';
  at += write_padded(out + at, time_of_day.hours().count(), 2);
  out[at++] = ':';
  at += write_padded(out + at, time_of_day.minutes().count(), 2);
  out[at++] = ':';
  at += write_padded(out + at, time_of_day.seconds().count(), 2);
  if constexpr (clock_type::fractional_width > 0) {
    out[at++] = '.';
    at +=
        write_padded(out + at, static_cast<long long>(time_of_day.subseconds().count()), clock_type::fractional_width);
  }
  out[at++] = 'Z';
  return at;
}

}  // namespace asyncrest::detail
