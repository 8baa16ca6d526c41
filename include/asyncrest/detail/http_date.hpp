// The Date header value (IMF-fixdate), formatted at most once a second per thread.
#pragma once

#include <ctime>
#include <string_view>

namespace asyncrest::detail {

inline std::string_view http_date() noexcept {
  struct cache {
    std::time_t second = -1;
    char text[32] = {};
    std::size_t length = 0;
  };
  thread_local cache cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached.second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    cached.length = std::strftime(cached.text, sizeof cached.text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached.second = now;
  }
  return {cached.text, cached.length};
}

}  // namespace asyncrest::detail
