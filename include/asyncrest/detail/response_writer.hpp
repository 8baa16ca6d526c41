// Serializing responses: status line, the server's own fields, the handler's fields and the body,
// appended to the connection's write buffer so that pipelined responses leave in one write.
#pragma once

#include <asyncrest/detail/http_date.hpp>
#include <asyncrest/headers.hpp>
#include <asyncrest/response.hpp>
#include <asyncrest/status.hpp>

#include <charconv>
#include <cstring>
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

/// Copies `text` to `cursor` and moves the cursor past it.
inline void put(char*& cursor, std::string_view text) noexcept {
  std::memcpy(cursor, text.data(), text.size());
  cursor += text.size();
}

/// Appends everything up to and including the blank line; returns whether the body follows.
///
/// The head is measured first and written into room made once: appending piece by piece costs
/// a capacity check per piece, which was a tenth of a small request's instructions.
inline bool append_response_head(std::string& out, const response& answer, response_framing framing) {
  const std::string_view reason = reason_phrase(answer.status);
  const std::string_view date = http_date();
  // 1xx, 204 and 304 carry none: a 304's Content-Length would have to be that of the 200 it
  // stands for, which the server does not know (RFC 9110 §8.6).
  const bool announces_length = !status_forbids_body(answer.status);
  std::size_t most = 96 + reason.size() + date.size();  // status line, Date, Content-Length, Connection
  for (const auto& [name, value] : answer.headers) most += name.size() + value.size() + 4;

  const std::size_t start = out.size();
  out.resize(start + most);
  char* cursor = out.data() + start;
  put(cursor, "HTTP/1.1 ");
  const unsigned code = to_number(answer.status);
  *cursor++ = static_cast<char>('0' + code / 100 % 10);
  *cursor++ = static_cast<char>('0' + code / 10 % 10);
  *cursor++ = static_cast<char>('0' + code % 10);
  *cursor++ = ' ';
  put(cursor, reason);
  put(cursor, "\r\nDate: ");
  put(cursor, date);
  if (announces_length) {
    put(cursor, "\r\nContent-Length: ");
    cursor = std::to_chars(cursor, cursor + 20, answer.body.size()).ptr;
  }
  if (!framing.keep_alive) {
    put(cursor, "\r\nConnection: close");
  } else if (framing.http10_client) {
    put(cursor, "\r\nConnection: keep-alive");
  }
  for (const auto& [name, value] : answer.headers) {
    // Dropped rather than sent: a CR or LF from a handler would let a client's input write
    // headers or a whole second response.
    if (is_framing_field(name) || is_unsafe_field(name, value)) continue;
    put(cursor, "\r\n");
    put(cursor, name);
    put(cursor, ": ");
    put(cursor, value);
  }
  put(cursor, "\r\n\r\n");
  out.resize(static_cast<std::size_t>(cursor - out.data()));
  return !framing.head_request && announces_length && !answer.body.empty();
}

}  // namespace asyncrest::detail
