// What a client tells whoever observes it (client/metrics.hpp): that a call ended, and that its
// pools' connections changed. Two function pointers and their target, so the client's headers
// know nothing of the metrics registry, and a client nobody observes tests one null pointer.
#pragma once

#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace asyncrest::detail {

struct client_observer {
  /// What the functions are called with first: the observing object.
  void* target = nullptr;
  /// A call ended, with a final response (`response_status` set) or without one (`failure`
  /// says why; empty for an exception that is not a client error). `seconds` covers the whole
  /// call: waiting for a connection, every attempt, redirect and retry.
  void (*call_ended)(void* target, const parsed_url& url, method verb, const status* response_status,
                     std::error_code failure, double seconds) noexcept = nullptr;
  /// Connections to `origin` moved between idle and busy (open and in use, or being opened),
  /// or were opened or closed: the changes of each count.
  void (*connections_changed)(void* target, std::string_view origin, int idle_change,
                              int busy_change) noexcept = nullptr;

  [[nodiscard]] explicit operator bool() const noexcept { return target != nullptr; }
};

/// An origin as metrics name it: scheme://host:port, the port always written. Appended, so a
/// reused string costs no allocation.
inline void append_metric_origin(std::string& out, const parsed_url& url) {
  out += url.scheme();
  out += "://";
  if (url.ipv6_literal) out += '[';
  out += url.host;
  if (url.ipv6_literal) out += ']';
  out += ':';
  char digits[8];
  const auto written = std::to_chars(digits, digits + sizeof digits, url.port);
  out.append(digits, written.ptr);
}

[[nodiscard]] inline std::string metric_origin(const parsed_url& url) {
  std::string text;
  append_metric_origin(text, url);
  return text;
}

}  // namespace asyncrest::detail
