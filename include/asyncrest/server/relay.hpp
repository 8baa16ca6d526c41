// Relaying a hub's messages to a WebSocket: what a chat member, a live feed or a dashboard does
// with its subscription, without a coroutine of its own waiting for the next message.
//
//     websocket<"/rooms/{room}/ws">([&rooms](websocket_connection& socket, std::string room) -> task<void> {
//       auto subscription = rooms.subscribe(room, socket.get_executor());
//       relay(subscription, socket);                       // the room's messages go out as they come
//       for (;;) {                                         // while this loop reads the member
//         websocket_message message = co_await socket.receive();
//         if (message.closed()) break;
//         rooms.publish(room, websocket_frame::text(message.data));
//       }
//     });                                                  // the subscription ends with the handler
//
// While nothing is published, a relay is one pending wait on the subscription: no coroutine
// frame, no buffer. A message starts a short-lived sender that writes it and whatever queued
// behind it, then waits again. A receiver slower than the topic falls behind by the hub's
// policy (`overflow_policy`): under `drop_subscriber` the relay closes the WebSocket with 1013
// (Try Again Later); when the hub closes (the server's drain), with 1001 (Going Away). A peer
// that stops reading altogether holds the write under way, which has no deadline of its own:
// set keep-alive pings (`websocket_settings::ping_interval`), whose pong deadline ends it.
#pragma once

#include <asyncrest/server/hub.hpp>
#include <asyncrest/websocket/connection.hpp>

#include <concepts>
#include <stdexcept>
#include <type_traits>

namespace asyncrest {

/// How a relay turns a published `Message` into the frame it sends: a callable taking
/// `const Message&` and returning a `websocket_frame` (or a reference to one).
template <class Encode, class Message>
concept websocket_frame_encoder = requires(const Encode& encode, const Message& message) {
  { encode(message) } -> std::convertible_to<const websocket_frame&>;
};

/// Sends every message of `subscription` to `socket`, in order, as it arrives, until the
/// subscription or the connection ends. Call it on the connection's thread, with a subscription
/// made there; the handler keeps the subscription (destroying or closing it ends the relay) and
/// keeps receiving, so that the peer's close and pings are read. The relay is the subscription's
/// one reader: no `next()` or `try_next()` on it meanwhile, and one relay per subscription.
template <class Message, class Encode>
void relay(subscription<Message>& subscription, websocket_connection& socket, Encode encode);

/// The same for a hub of frames encoded once at publish time.
inline void relay(subscription<websocket_frame>& subscription, websocket_connection& socket);

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

#include <asyncrest/server/detail/relay.hpp>
