// What a WebSocket connection allows and how long it waits, for the server's routes and the
// client alike.
#pragma once

#include <asyncrest/websocket/deflate.hpp>

#include <chrono>
#include <cstddef>

namespace asyncrest {

struct websocket_settings {
  /// The largest message received, all its fragments together; a larger one is refused with
  /// close code 1009 before it is buffered.
  std::size_t max_message_bytes = 1024 * 1024;
  /// Sends a ping after this long without one (zero: no keep-alive pings). A peer that does not
  /// answer within `pong_timeout` is taken for gone and the connection is closed: a NAT or a
  /// proxy may drop an idle connection without either side knowing.
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds pong_timeout{std::chrono::seconds(10)};
  /// How long to wait for the peer's close frame after sending ours, before closing the TCP
  /// connection anyway.
  std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
  /// The longest a frame may take to leave once the socket's buffers are full: a peer that
  /// stopped reading would otherwise hold every sender (and a relay's member) for ever. Past
  /// it the connection ends (1006) and the send returns false. Zero: no deadline.
  std::chrono::milliseconds send_timeout{std::chrono::seconds(30)};
  /// Compression (permessage-deflate), off unless `deflate.enabled`; needs asyncrest::zlib. A
  /// server accepts a client's offer, a client offers it (see deflate.hpp for the costs).
  deflate_settings deflate;
};

}  // namespace asyncrest
