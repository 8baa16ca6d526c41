// The Date header value (IMF-fixdate), formatted at most once a second per thread.
#pragma once

#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace asyncrest::detail {

/// Writes `moment` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes) into `out`;
/// returns the length. Years past 9999 do not fit the format: the caller keeps to it.
inline std::size_t format_http_date(std::time_t moment, char (&out)[32]) noexcept {
  // Written by hand rather than with strftime, whose day and month names follow the locale.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm parts{};
  gmtime_r(&moment, &parts);
  const int written =
      std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[parts.tm_wday], parts.tm_mday,
                    months[parts.tm_mon], parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

inline std::string_view http_date() noexcept {
  struct cache {
    std::time_t second = -1;
    char text[32] = {};
    std::size_t length = 0;
  };
  thread_local cache cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached.second) {
    cached.length = format_http_date(now, cached.text);
    cached.second = now;
  }
  return {cached.text, cached.length};
}

}  // namespace asyncrest::detail
