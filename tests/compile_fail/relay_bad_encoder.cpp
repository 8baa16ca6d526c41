// A relay whose encoder does not make a WebSocket frame of the hub's message.
// expected error: encode must be callable with `const Message&` and return a websocket_frame
#include <asyncrest/server/relay.hpp>

#include <string>

void broken(asyncrest::subscription<std::string>& subscription, asyncrest::websocket_connection& socket) {
  asyncrest::relay(subscription, socket, [](const std::string& text) { return text; });
}
