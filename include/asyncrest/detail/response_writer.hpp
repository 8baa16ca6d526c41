// Serializing responses: status line, the server's own fields, the handler's fields and the body,
// appended to the connection's write buffer so that pipelined responses leave in one write.
#pragma once

#include <asyncrest/detail/http_date.hpp>
#include <asyncrest/headers.hpp>
#include <asyncrest/response.hpp>
#include <asyncrest/status.hpp>

#include <charconv>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Fields the server writes itself: a handler's own would contradict the framing.
[[nodiscard]] inline bool is_framing_field(std::string_view name) noexcept {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection") ||
         iequals(name, "Date");
}

/// A field that would split the response (CR or LF in it) or is no valid field at all.
[[nodiscard]] inline bool is_unsafe_field(std::string_view name, std::string_view value) noexcept {
  if (name.empty()) return true;
  for (const char character : name) {
    if (!is_token_character(character)) return true;
  }
  // Control characters other than HTAB are invalid in a field value (RFC 9110 §5.5); CR and
  // LF would split the response.
  for (const char character : value) {
    const auto byte = static_cast<unsigned char>(character);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return true;
  }
  return false;
}

struct response_framing {
  bool keep_alive = true;
  bool http10_client = false;  // HTTP/1.0 needs "Connection: keep-alive" to stay open
  bool head_request = false;   // the body's length is announced, the body is not sent
};

inline void append_number(std::string& out, std::size_t number) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, result.ptr);
}

/// Appends everything up to and including the blank line; returns whether the body follows.
inline bool append_response_head(std::string& out, const response& answer, response_framing framing) {
  const unsigned code = to_number(answer.status);
  out.append("HTTP/1.1 ");
  append_number(out, code);
  out.push_back(' ');
  out.append(reason_phrase(answer.status));
  out.append("\r\nDate: ");
  out.append(http_date());
  // 1xx, 204 and 304 carry none: a 304's Content-Length would have to be that of the 200 it
  // stands for, which the server does not know (RFC 9110 §8.6).
  if (!status_forbids_body(answer.status)) {
    out.append("\r\nContent-Length: ");
    append_number(out, answer.body.size());
  }
  if (!framing.keep_alive) {
    out.append("\r\nConnection: close");
  } else if (framing.http10_client) {
    out.append("\r\nConnection: keep-alive");
  }
  for (const auto& [name, value] : answer.headers) {
    // Dropped rather than sent: a CR or LF from a handler would let a client's input write
    // headers or a whole second response.
    if (is_framing_field(name) || is_unsafe_field(name, value)) continue;
    out.append("\r\n");
    out.append(name);
    out.append(": ");
    out.append(value);
  }
  out.append("\r\n\r\n");
  return !framing.head_request && !status_forbids_body(answer.status) && !answer.body.empty();
}

}  // namespace asyncrest::detail
