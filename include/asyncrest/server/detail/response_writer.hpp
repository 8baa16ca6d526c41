// Serializing responses: status line, the server's own fields, the handler's fields and the body,
// appended to the connection's write buffer so that pipelined responses leave in one write.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/http_date.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// How a response's body is delimited on the wire.
enum class body_framing : std::uint8_t {
  in_memory,       // Content-Length of `response::body`: the common case
  content_length,  // Content-Length announced before the body (a file, a stream of known length)
  chunked,         // HTTP/1.1, length unknown
  until_close,     // HTTP/1.0, length unknown: the body ends when the connection closes
  upgrade,         // 101: "Connection: Upgrade", and the connection is taken over
};

struct response_framing {
  bool keep_alive = true;
  bool http10_client = false;  // HTTP/1.0 needs "Connection: keep-alive" to stay open
  bool head_request = false;   // the body's length is announced, the body is not sent
  body_framing body = body_framing::in_memory;
  // Four bytes in all: the connection keeps one across a suspension, in the frame every idle
  // connection holds. A declared length travels beside it (`declared_length` below).
};

/// How `answer` to `req` is framed in memory, and whether the connection stays open after it:
/// not when the request or the response says `Connection: close`, nor when `must_close` (the
/// server drains, or the request left the connection where no request starts). The connection
/// and the test client frame responses with this.
[[nodiscard, gnu::always_inline]] inline response_framing framing_for(const request& req, const response& answer,
                                                                      bool must_close) noexcept {
  // Connection is a framing field, which a list whose fields may all be sent cannot hold.
  const auto connection_field = headers_access::all_sendable(answer.headers) ? std::optional<std::string_view>()
                                                                             : answer.headers.get("Connection");
  const bool keep_alive = req.keep_alive() && !must_close &&
                          !(connection_field && iequals(trim_optional_whitespace(*connection_field), "close"));
  return {keep_alive, req.version_minor() == 0, req.method() == method::head};
}

/// Copies `text` to `cursor` and moves the cursor past it.
inline void put(char*& cursor, std::string_view text) noexcept {
  std::memcpy(cursor, text.data(), text.size());
  cursor += text.size();
}

/// The longest start of a head: "HTTP/1.1 ", the code and a space, the longest reason phrase (31
/// bytes), "\r\nDate: ", the date, "\r\nContent-Length: ".
inline constexpr std::size_t head_start_most = 9 + 4 + 31 + 8 + 29 + 18;
/// The start is copied as one block of this size, so the copy's length is a constant.
inline constexpr std::size_t head_start_block = 112;
static_assert(head_start_block >= head_start_most);
/// Room made for a head besides its fields: the start's block, twenty digits of Content-Length
/// (or the longest start written piece by piece, up to Transfer-Encoding), Connection and the
/// blank line.
inline constexpr std::size_t head_room_without_fields = head_start_block + 20 + 24 + 4;
static_assert(head_room_without_fields >= head_start_most + 28 + 24 + 4);

/// "HTTP/1.1 200 OK\r\nDate: ...\r\nContent-Length: ", the start of nearly every head, made
/// once a second per thread for the status last sent. Copied as one block it costs a few
/// moves, where writing its pieces cost a reason lookup, the digits and two copies of lengths
/// known only at run time.
struct head_start {
  std::time_t second = -1;
  status code = status::ok;
  std::size_t length = 0;
  char text[head_start_block] = {};

  /// Remakes the start for `new_code` at `now`.
  void make(status new_code, std::time_t now) noexcept {
    char* cursor = put_status_and_date(text, new_code);
    put(cursor, "\r\nContent-Length: ");
    length = static_cast<std::size_t>(cursor - text);
    code = new_code;
    second = now;
  }

  /// Writes "HTTP/1.1 ", the code, the reason and the Date field; returns where they end.
  static char* put_status_and_date(char* cursor, status code) noexcept {
    put(cursor, "HTTP/1.1 ");
    const unsigned number = to_number(code);
    *cursor++ = static_cast<char>('0' + number / 100 % 10);
    *cursor++ = static_cast<char>('0' + number / 10 % 10);
    *cursor++ = static_cast<char>('0' + number % 10);
    *cursor++ = ' ';
    put(cursor, reason_phrase(code));
    put(cursor, "\r\nDate: ");
    put(cursor, http_date());
    return cursor;
  }
};

/// Writes what follows the framing fields: Connection where needed, the handler's fields and
/// the blank line; returns where the head ends.
inline char* write_response_fields(char* cursor, const response& answer, response_framing framing) noexcept {
  if (framing.body == body_framing::upgrade) [[unlikely]] {
    put(cursor, "\r\nConnection: Upgrade");
  } else if (!framing.keep_alive) {
    put(cursor, "\r\nConnection: close");
  } else if (framing.http10_client) {
    put(cursor, "\r\nConnection: keep-alive");
  }
  if (headers_access::all_sendable(answer.headers)) {
    put(cursor, headers_access::bytes(answer.headers));
  } else {
    for (const auto& [name, value] : answer.headers) {
      // Dropped rather than sent: a CR or LF from a handler would let a client's input write
      // headers or a whole second response.
      if (!is_sendable_field(name, value)) continue;
      put(cursor, "\r\n");
      put(cursor, name);
      put(cursor, ": ");
      put(cursor, value);
    }
  }
  put(cursor, "\r\n\r\n");
  return cursor;
}

/// Writes the head at `cursor`, which has `head_room_without_fields` bytes and the fields' room,
/// and returns where it ends.
inline char* write_response_head(char* cursor, const response& answer, response_framing framing,
                                 std::uint64_t declared_length) noexcept {
  if (framing.body == body_framing::in_memory && !status_forbids_body(answer.status)) [[likely]] {
    thread_local head_start cached;
    const std::time_t now = std::time(nullptr);
    if (now != cached.second || answer.status != cached.code) [[unlikely]]
      cached.make(answer.status, now);
    std::memcpy(cursor, cached.text, head_start_block);
    cursor += cached.length;
    cursor = std::to_chars(cursor, cursor + 20, answer.body.size()).ptr;
    return write_response_fields(cursor, answer, framing);
  }
  cursor = head_start::put_status_and_date(cursor, answer.status);
  // 1xx, 204 and 304 carry none: a 304's Content-Length would have to be that of the 200 it
  // stands for, which the server does not know (RFC 9110 §8.6).
  if (!status_forbids_body(answer.status)) {
    if (framing.body == body_framing::in_memory) {
      put(cursor, "\r\nContent-Length: ");
      cursor = std::to_chars(cursor, cursor + 20, answer.body.size()).ptr;
    } else if (framing.body == body_framing::content_length) {
      put(cursor, "\r\nContent-Length: ");
      cursor = std::to_chars(cursor, cursor + 20, declared_length).ptr;
    } else if (framing.body == body_framing::chunked) {
      put(cursor, "\r\nTransfer-Encoding: chunked");
    }
  }
  return write_response_fields(cursor, answer, framing);
}

/// Appends everything up to and including the blank line; returns whether the body follows.
///
/// The head is measured first and written into room made once: appending piece by piece costs
/// a capacity check per piece, which was a tenth of a small request's instructions. The fields
/// are kept as they are sent, so they are measured at once and, when the list knows them all
/// sendable, copied in one piece. `declared_length` is the Content-Length of a body that is not
/// in memory (`body_framing::content_length`).
inline bool append_response_head(std::string& out, const response& answer, response_framing framing,
                                 std::uint64_t declared_length = 0) {
  const std::size_t most = head_room_without_fields + headers_access::bytes(answer.headers).size();
  const std::size_t start = out.size();
#if defined(__cpp_lib_string_resize_and_overwrite)
  out.resize_and_overwrite(start + most, [&](char* data, std::size_t) noexcept {
    return static_cast<std::size_t>(write_response_head(data + start, answer, framing, declared_length) - data);
  });
#else
  // Before C++23, making room fills it with zeros first: about 50 of a small head's 280
  // instructions. Writing into a stack buffer and appending that cost more.
  out.resize(start + most);
  out.resize(
      static_cast<std::size_t>(write_response_head(out.data() + start, answer, framing, declared_length) - out.data()));
#endif
  return !framing.head_request && !status_forbids_body(answer.status) && !answer.body.empty();
}

}  // namespace asyncrest::detail
