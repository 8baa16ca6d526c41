// The Date header value, formatted at most once a second, for the C++ peers.
#pragma once

#include <ctime>
#include <string_view>

namespace peers {

inline std::string_view http_date() {
  thread_local std::time_t formatted_at = 0;
  thread_local char text[40] = {};
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    formatted_at = now;
  }
  return {text, length};
}

}  // namespace peers
