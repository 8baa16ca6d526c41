// A WebSocket session that reports whether the server's connection held a read buffer while it
// waited for a message: the property that an idle subscriber costs no read buffer.
#pragma once

#include <asyncrest/server.hpp>

#include <asio/post.hpp>

#include <string>

namespace asyncrest::testing {

/// After "check", looks at the connection once its next receive() is waiting (nothing else
/// buffered) and answers the next message with "none" (no read buffer held) or "held".
inline task<void> report_idle_read_buffer(websocket_connection& socket) {
  std::string seen = "not checked";
  for (;;) {
    const websocket_message message = co_await socket.receive();
    if (message.closed()) co_return;
    if (message.data == "check") {
      asio::post(socket.get_executor(), [&seen, &state = detail::websocket_access::state(socket)] {
        seen = state.read_buffer == nullptr ? "none" : "held";
      });
    } else {
      co_await socket.send_text(seen);
    }
  }
}

}  // namespace asyncrest::testing
