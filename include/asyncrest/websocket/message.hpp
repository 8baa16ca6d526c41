// What `websocket_connection::receive()` gives: a text or binary message, or the end of the
// connection with its close code and reason.
#pragma once

#include <cstdint>
#include <string_view>

namespace asyncrest {

/// Close status codes (RFC 6455 §7.4). Codes 3000-4999 are for applications:
/// `static_cast<websocket_close_code>(4000)`.
enum class websocket_close_code : std::uint16_t {
  normal = 1000,
  going_away = 1001,  // the server shuts down, or a browser leaves the page
  protocol_error = 1002,
  unsupported_data = 1003,
  no_status = 1005,        // received a close frame without a code; never sent
  abnormal = 1006,         // the connection ended without a close frame; never sent
  invalid_payload = 1007,  // text that is not UTF-8
  policy_violation = 1008,
  message_too_big = 1009,
  mandatory_extension = 1010,
  internal_error = 1011,
  service_restart = 1012,
  try_again_later = 1013,  // overloaded, or a subscriber too far behind: reconnect later
};

/// Whether `code` may travel in a close frame (1000-1003, 1007-1014, 3000-4999).
[[nodiscard]] constexpr bool is_sendable_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

enum class websocket_message_kind : std::uint8_t { text, binary, closed };

/// A received message. `data` and `close_reason` are views into the connection's buffers: valid
/// until the next `receive()`; copy what must live longer.
struct websocket_message {
  websocket_message_kind kind = websocket_message_kind::closed;
  std::string_view data;
  /// For `closed`: the peer's code (`no_status` when it sent none), the code this side sent
  /// when it failed the connection, or `abnormal` when the connection ended without a close.
  websocket_close_code close_code = websocket_close_code::abnormal;
  std::string_view close_reason;

  [[nodiscard]] bool is_text() const noexcept { return kind == websocket_message_kind::text; }
  [[nodiscard]] bool is_binary() const noexcept { return kind == websocket_message_kind::binary; }
  [[nodiscard]] bool closed() const noexcept { return kind == websocket_message_kind::closed; }
};

}  // namespace asyncrest
