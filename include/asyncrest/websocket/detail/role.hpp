// Which end of a WebSocket a connection is: it decides masking, and which side's compression
// parameters apply to what it sends.
#pragma once

#include <cstdint>

namespace asyncrest::detail {

enum class websocket_role : std::uint8_t { server, client };

}  // namespace asyncrest::detail
