// A WebSocket route's typed path parameter checked like any route's.
// expected error: an \{name:int\} path parameter needs an integer handler parameter
#include <asyncrest/server/websocket.hpp>

auto broken = asyncrest::websocket<"/rooms/{id:int}">(
    [](asyncrest::websocket_connection&, std::string_view id) -> asyncrest::task<void> { co_return; });
