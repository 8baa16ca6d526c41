// Raw WebSocket frames for tests: a client's frames built byte by byte (masked or not, any
// header bits, any length encoding), the handshake, and the server's frames read back.
#pragma once

#include <support/raw_client.hpp>

#include <asyncrest/core/task.hpp>
#include <asyncrest/websocket/connection.hpp>
#include <asyncrest/websocket/message.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace asyncrest::testing {

/// A WebSocket session that echoes every message as it came (text as text, binary as binary),
/// until the connection ends.
inline task<void> websocket_echo(websocket_connection& socket) {
  for (;;) {
    const websocket_message message = co_await socket.receive();
    if (message.closed()) co_return;  // receive() has answered the peer's close
    if (message.is_text()) {
      co_await socket.send_text(message.data);
    } else {
      co_await socket.send_binary(message.data);
    }
  }
}

/// `first` then `second`, appended: g++ 12 at -O2 reports false -Wstringop-overflow and
/// -Wrestrict errors for "literal" + std::string&& in some inlining contexts.
inline std::string joined(std::string_view first, std::string_view second) {
  std::string out(first);
  out.append(second);
  return out;
}

inline constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455 §1.3

/// A handshake request for `path`, with `extra` header lines (each ending in CRLF).
inline std::string handshake_request(std::string_view path, std::string_view extra = {}) {
  std::string request = joined("GET ", path) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: " +
                        std::string(sample_key) + "\r\nSec-WebSocket-Version: 13\r\n";
  request += extra;
  request += "\r\n";
  return request;
}

/// A frame whose first byte is `first` (FIN, RSV and opcode), masked with a fixed key unless
/// `masked` is false.
inline std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>(first));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  const std::uint64_t length = payload.size();
  if (length < 126) {
    out.push_back(static_cast<char>(mask_bit | static_cast<char>(length)));
  } else if (length <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
  const unsigned char mask[4] = {0x37, 0xFA, 0x21, 0x3D};
  if (masked) out.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t index = 0; index < payload.size(); ++index) {
    out.push_back(masked ? static_cast<char>(payload[index] ^ static_cast<char>(mask[index % 4])) : payload[index]);
  }
  return out;
}

inline std::string text_frame(std::string_view text) { return client_frame(0x81, text); }

inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return payload;
}

struct server_frame {
  std::uint8_t first = 0;
  std::uint8_t length_field = 0;  // the 7-bit length as sent: 126 and 127 mean extended
  std::string payload;
  [[nodiscard]] std::uint8_t opcode() const noexcept { return first & 0x0F; }
  [[nodiscard]] bool final() const noexcept { return (first & 0x80) != 0; }
  [[nodiscard]] int close_code() const {
    if (payload.size() < 2) return -1;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
  }
};

/// Reads one frame from the server; throws when it is masked (a server never masks).
inline server_frame read_server_frame(raw_client& client) {
  server_frame frame;
  const std::string head = client.read_exactly(2);
  frame.first = static_cast<std::uint8_t>(head[0]);
  const auto second = static_cast<std::uint8_t>(head[1]);
  if ((second & 0x80) != 0) throw std::runtime_error("the server sent a masked frame");
  frame.length_field = second & 0x7F;
  std::uint64_t length = frame.length_field;
  if (length == 126) {
    const std::string extended = client.read_exactly(2);
    length = (static_cast<unsigned char>(extended[0]) << 8) | static_cast<unsigned char>(extended[1]);
  } else if (length == 127) {
    const std::string extended = client.read_exactly(8);
    length = 0;
    for (const char byte : extended) length = (length << 8) | static_cast<unsigned char>(byte);
  }
  frame.payload = client.read_exactly(static_cast<std::size_t>(length));
  return frame;
}

/// Connects and completes the handshake for `path`; throws unless the answer is 101.
inline void open_websocket(raw_client& client, std::string_view path, std::string_view extra = {}) {
  client.send(handshake_request(path, extra));
  const http_reply reply = client.read_response(true);
  if (reply.status != 101) throw std::runtime_error(joined("handshake refused: ", std::to_string(reply.status)));
}

/// Sends `bytes` in two writes split at `at`, a moment apart, so the server reads them apart.
inline void send_split(raw_client& client, std::string_view bytes, std::size_t at) {
  client.send(bytes.substr(0, at));
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  client.send(bytes.substr(at));
}

}  // namespace asyncrest::testing
