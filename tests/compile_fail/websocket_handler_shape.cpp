// A WebSocket handler that takes neither the connection nor the request first.
// expected error: a WebSocket handler takes `websocket_connection&` \(and returns task<void>\) or
#include <asyncrest/server/websocket.hpp>

auto broken = asyncrest::websocket<"/ws/{room}">([](std::string room) -> asyncrest::task<void> { co_return; });
