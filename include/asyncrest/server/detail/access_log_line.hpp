// An access log line: what is taken from the request and the response, and the two formats.
#pragma once

#include <asyncrest/core/detail/json_escape.hpp>
#include <asyncrest/core/detail/random_hex.hpp>
#include <asyncrest/core/detail/trace_context_syntax.hpp>
#include <asyncrest/core/trace_context.hpp>
#include <asyncrest/server/detail/address_text.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/request_id.hpp>
#include <asyncrest/server/response.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// When the access log's middleware first saw the request, kept in its context.
struct access_log_start {
  std::chrono::steady_clock::time_point at;
};

struct access_log_entry {
  std::chrono::system_clock::time_point time{};
  std::string_view level;
  std::string_view request_id;
  std::string_view method;
  std::string_view route;
  std::string_view path;
  std::string_view target;  // path and query, for the combined format's request line
  unsigned version_major = 1;
  unsigned version_minor = 1;
  unsigned status = 0;
  std::optional<double> duration_ms;
  std::uint64_t bytes_in = 0;
  std::optional<std::uint64_t> bytes_out;
  std::string_view client;
  std::string_view user_agent;
  std::string_view referer;
  std::string_view trace_id;
};

/// Keeps a line with probability `fraction`.
inline bool keep_sampled_line(double fraction) noexcept {
  constexpr double scale = 1.0 / 9007199254740992.0;  // 2^-53: the generator's top 53 bits as [0, 1)
  return static_cast<double>(thread_random()() >> 11u) * scale < fraction;
}

inline access_log_entry make_access_log_entry(const request& req, const response& res) {
  access_log_entry entry;
  entry.time = std::chrono::system_clock::now();
  if (const access_log_start* start = req.context().find<access_log_start>()) {
    entry.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start->at).count();
  }
  if (const request_id* id = req.context().find<request_id>()) entry.request_id = id->value();
  entry.method = req.method_name();
  entry.route = req.route_template();
  entry.path = req.raw_path();
  entry.target = req.target();
  entry.version_major = req.version_major();
  entry.version_minor = req.version_minor();
  entry.status = static_cast<unsigned>(res.status);
  entry.bytes_in = req.body().size();
  if (!res.source) entry.bytes_out = res.body.size();
  entry.client = address_text(req.remote_endpoint().address());
  entry.user_agent = req.header("User-Agent").value_or(std::string_view{});
  entry.referer = req.header("Referer").value_or(std::string_view{});
  if (const span_context* span = req.context().find<span_context>()) {
    entry.trace_id = span->trace_id();  // the tracing middleware's span, a new trace's included
  } else if (const auto traceparent = req.header("traceparent")) {
    entry.trace_id = trace_id_of_traceparent(*traceparent);
  }
  return entry;
}

/// The broken-down UTC time of `seconds`, cached per thread for the second it is in.
inline const std::tm& utc_time_of(std::time_t seconds) noexcept {
  thread_local std::time_t cached_second = -1;
  thread_local std::tm cached{};
  if (seconds != cached_second) {
    ::gmtime_r(&seconds, &cached);
    cached_second = seconds;
  }
  return cached;
}

inline void append_digits(std::string& out, unsigned value, int width) {
  std::array<char, 10> digits{};
  for (int place = width - 1; place >= 0; --place, value /= 10)
    digits[static_cast<std::size_t>(place)] = static_cast<char>('0' + value % 10);
  out.append(digits.data(), static_cast<std::size_t>(width));
}

template <class Number>
void append_number(std::string& out, Number value) {
  std::array<char, 32> digits{};
  const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  (void)error;
  out.append(digits.data(), end);
}

/// RFC 3339, UTC, to the millisecond: 2026-12-07T14:41:39.123Z
inline void append_rfc3339_milliseconds(std::string& out, std::chrono::system_clock::time_point time) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const std::tm& broken = utc_time_of(static_cast<std::time_t>(seconds.count()));
  append_digits(out, static_cast<unsigned>(broken.tm_year + 1900), 4);
  out.push_back('-');
  append_digits(out, static_cast<unsigned>(broken.tm_mon + 1), 2);
  out.push_back('-');
  append_digits(out, static_cast<unsigned>(broken.tm_mday), 2);
  out.push_back('T');
  append_digits(out, static_cast<unsigned>(broken.tm_hour), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(broken.tm_min), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(broken.tm_sec), 2);
  out.push_back('.');
  append_digits(out, static_cast<unsigned>((since_epoch - seconds).count()), 3);
  out.push_back('Z');
}

inline void append_json_member(std::string& out, std::string_view key, std::string_view text) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, text);
}

inline void append_json_access_line(std::string& out, const access_log_entry& entry) {
  using namespace std::string_view_literals;
  out.reserve(out.size() + 320);
  out.append("{\"time\":\""sv);
  append_rfc3339_milliseconds(out, entry.time);
  out.push_back('"');
  append_json_member(out, "level", entry.level);
  if (!entry.request_id.empty()) append_json_member(out, "request_id", entry.request_id);
  append_json_member(out, "method", entry.method);
  if (!entry.route.empty()) append_json_member(out, "route", entry.route);
  append_json_member(out, "path", entry.path);
  out.append(",\"status\":"sv);
  append_number(out, entry.status);
  if (entry.duration_ms) {
    out.append(",\"duration_ms\":"sv);
    // Microsecond resolution, without the exponent form to_chars could choose.
    const auto microseconds = static_cast<std::uint64_t>(*entry.duration_ms * 1000.0 + 0.5);
    append_number(out, microseconds / 1000);
    out.push_back('.');
    append_digits(out, static_cast<unsigned>(microseconds % 1000), 3);
  }
  out.append(",\"bytes_in\":"sv);
  append_number(out, entry.bytes_in);
  if (entry.bytes_out) {
    out.append(",\"bytes_out\":"sv);
    append_number(out, *entry.bytes_out);
  }
  append_json_member(out, "client", entry.client);
  if (!entry.user_agent.empty()) append_json_member(out, "user_agent", entry.user_agent);
  if (!entry.trace_id.empty()) append_json_member(out, "trace_id", entry.trace_id);
  out.append("}\n"sv);
}

/// A quoted field of the combined format: quotes, backslashes and bytes outside printable
/// ASCII escaped as \xHH, as nginx does, so that a line is always one line.
inline void append_combined_quoted(std::string& out, std::string_view text) {
  using namespace std::string_view_literals;
  static constexpr char hex[] = "0123456789ABCDEF";
  out.push_back('"');
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte < 0x20 || byte >= 0x7f || character == '"' || character == '\\') {
      out.append("\\x"sv);
      out.push_back(hex[byte >> 4u]);
      out.push_back(hex[byte & 0xFu]);
    } else {
      out.push_back(character);
    }
  }
  out.push_back('"');
}

/// 127.0.0.1 - - [07/Dec/2026:14:41:39 +0000] "GET /a?b HTTP/1.1" 200 17 "referer" "agent"
inline void append_combined_access_line(std::string& out, const access_log_entry& entry) {
  using namespace std::string_view_literals;
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  out.reserve(out.size() + 256);
  out.append(entry.client);
  out.append(" - - ["sv);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(entry.time.time_since_epoch());
  const std::tm& broken = utc_time_of(static_cast<std::time_t>(seconds.count()));
  append_digits(out, static_cast<unsigned>(broken.tm_mday), 2);
  out.push_back('/');
  out.append(months[static_cast<std::size_t>(broken.tm_mon)]);
  out.push_back('/');
  append_digits(out, static_cast<unsigned>(broken.tm_year + 1900), 4);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(broken.tm_hour), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(broken.tm_min), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(broken.tm_sec), 2);
  out.append(" +0000] "sv);
  std::string request_line(entry.method);
  request_line.append(" ").append(entry.target).append(" HTTP/");
  append_number(request_line, entry.version_major);
  request_line.push_back('.');
  append_number(request_line, entry.version_minor);
  append_combined_quoted(out, request_line);
  out.push_back(' ');
  append_number(out, entry.status);
  out.push_back(' ');
  if (entry.bytes_out) {
    append_number(out, *entry.bytes_out);
  } else {
    out.push_back('-');
  }
  out.push_back(' ');
  append_combined_quoted(out, entry.referer.empty() ? std::string_view("-") : entry.referer);
  out.push_back(' ');
  append_combined_quoted(out, entry.user_agent.empty() ? std::string_view("-") : entry.user_agent);
  out.push_back('\n');
}

}  // namespace asyncrest::detail
