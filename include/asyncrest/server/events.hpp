// Server-Sent Events: a response that stays open and carries events as they happen, which a
// browser's EventSource (or asyncrest's `event_source`) receives one by one.
//
//     app.get<"/prices">([](request&) {
//       return event_stream([](event_sink& events) -> task<void> {
//         co_await events.send({.event = "price", .data = R"({"eur": 1.08})", .id = "42"});
//         ...
//       }, {.heartbeat = 15s, .retry = 3s});
//     });
//
// The body is a stream (`stream()` in body.hpp): chunked, with Content-Type text/event-stream,
// Cache-Control: no-cache, and X-Accel-Buffering: no, without which nginx buffers the events.
// Each event goes out in one write as soon as it is sent. HEAD gets the head alone.
//
// How a stream ends:
// - The producer returns: the last chunk ends the body (a browser reconnects after `retry`).
// - The client goes away: the next `send` throws `stream_closed`, as `body_writer::write` does.
// - A heartbeat finds the client gone, or the server begins to drain: the producer is cancelled
//   with Asio's terminal per-operation cancellation, so whatever it waits on (a timer, a
//   subscription's `next()`) completes with `operation_aborted`, and its next `co_await` throws
//   (Asio's default for coroutines). At a drain `stop_requested()` is also true, and the stream
//   ends cleanly with its last chunk once the producer has ended. A producer that wants to send
//   a last event then turns the throwing off (`co_await asio::this_coro::throw_if_cancelled(false)`)
//   and checks `stop_requested()` itself; one that never ends is closed at the drain deadline.
// Without heartbeats, a client that left is noticed only by the producer's next send.
//
// A stream may wait for hours, so once its head has left the server gives the request's memory
// (its read buffer, parser and views) back to its pool: the request is not valid in the
// producer. Copy what the producer needs into it in the handler (`[room = std::string(room)]`);
// `event_sink::last_event_id()` is a copy of its own.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/event_framing.hpp>
#include <asyncrest/server/detail/event_stream.hpp>
#include <asyncrest/server/response.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <concepts>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

namespace detail {
struct event_sink_access;
}

/// One event. Only `data` is always sent; the reader delivers it with the name "message" unless
/// `event` names another.
struct server_sent_event {
  /// The event's name: what an EventSource listens for. Must not contain CR or LF.
  std::string_view event{};
  /// The payload. A multi-line text is sent as several `data:` lines, split at CR, LF and CRLF,
  /// which the reader joins with LF.
  std::string_view data{};
  /// The id a reconnecting client sends back as Last-Event-ID, to resume after it. Must not
  /// contain CR, LF or NUL. An empty id clears the client's.
  std::optional<std::string_view> id{};
  /// How long the client waits before reconnecting, from now on.
  std::optional<std::chrono::milliseconds> retry{};
};

struct event_stream_settings {
  /// A comment line is sent when nothing else was for this long, so that proxies and load
  /// balancers keep an idle stream open and a client that went away is noticed. Zero: none.
  std::chrono::milliseconds heartbeat{std::chrono::seconds(15)};
  /// Sent first, as the client's reconnection delay; unset leaves the client's own (3 s in
  /// browsers).
  std::optional<std::chrono::milliseconds> retry{};
};

/// Where an event stream's producer sends its events. Lent to the producer for the length of the
/// call; use it from the producer's coroutines, on the connection's thread (the executor the
/// producer runs on), as the stream is written from there.
class event_sink {
 public:
  event_sink(const event_sink&) = delete;
  event_sink& operator=(const event_sink&) = delete;

  /// Sends `event` in one write and completes when the socket has taken it (a slow reader slows
  /// the producer, memory does not grow). Never interleaved with a heartbeat. Throws
  /// `std::invalid_argument` at the call, before anything is sent, for an event name with CR or
  /// LF or an id with CR, LF or NUL, which would break the framing; `stream_closed` once the
  /// stream cannot be sent.
  [[nodiscard]] task<void> send(const server_sent_event& event) {
    return core_.write(detail::frame_event(event.event, event.data, event.id, event.retry));
  }
  /// Sends a comment, which readers skip: for debugging, or to keep a stream alive by hand.
  [[nodiscard]] task<void> comment(std::string_view text) { return core_.write(detail::frame_comment(text)); }

  /// The request's Last-Event-ID: the last id a reconnecting client received, to resume after
  /// it; empty on a first connection. A copy, valid while the producer runs (the request is
  /// not).
  [[nodiscard]] std::string_view last_event_id() const noexcept { return core_.last_event_id(); }
  /// True once the server has begun to shut down (the producer is cancelled then, too).
  [[nodiscard]] bool stop_requested() const noexcept { return core_.stop_requested(); }

 private:
  friend struct detail::event_sink_access;
  explicit event_sink(detail::event_stream_core& core) noexcept : core_(core) {}
  detail::event_stream_core& core_;
};

/// The shape of an event stream's producer: called once with the sink, it returns a
/// `task<void>`. It is moved into the response and outlives the handler and the request:
/// capture by value, and copy any of the request's text it keeps (a `string_view` of it
/// dangles).
template <class Producer>
concept event_stream_producer = std::move_constructible<Producer> && requires(Producer& produce, event_sink& events) {
  { produce(events) } -> std::same_as<task<void>>;
};

/// A response that is a stream of the events `produce` sends. Throws `std::invalid_argument`
/// for a negative heartbeat or retry.
template <class Producer>
[[nodiscard]] response event_stream(Producer produce, event_stream_settings settings);
// An overload rather than a default argument: g++ 12 fails to compile a defaulted settings
// aggregate in a coroutine, which is where a handler may make its response.
template <class Producer>
[[nodiscard]] response event_stream(Producer produce) {
  return event_stream(std::move(produce), event_stream_settings());
}

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

struct event_sink_access {
  static event_sink make(event_stream_core& core) noexcept { return event_sink(core); }
};

/// What an event stream's response holds: the user's producer, its settings, and the signal on
/// which the stream cancels the producer (it must outlive the spawned coroutine that uses its
/// slot, so it lives here rather than in that coroutine's frame).
template <class Producer>
struct event_stream_state final : stream_body_state {
  event_stream_state(Producer&& made, const event_stream_settings& chosen)
      : stream_body_state(std::nullopt, &start, &destroy_this), producer(std::move(made)), settings(chosen) {}

  /// Not a coroutine: the connection awaits the spawned stream itself, one frame fewer.
  static task<void> start(stream_body_state& state, body_writer& out) {
    auto& self = static_cast<event_stream_state&>(state);
    return asio::co_spawn(stream_access::sender(out).executor(), run(self, out),
                          asio::bind_cancellation_slot(self.producer_signal.slot(), asio::use_awaitable));
  }

  /// Sends the head (and the retry delay) at once, gives the request memory back, then runs the
  /// user's producer under the event stream's machinery, in this one frame.
  static task<void> run(event_stream_state& self, body_writer& out) {
    event_stream_core core(out, self.producer_signal, self.settings.heartbeat);
    co_await core.open(self.settings.retry);
    event_sink events = event_sink_access::make(core);
    core.start_keeper();
    std::exception_ptr failure;
    try {
      co_await self.producer(events);
    } catch (...) {
      failure = std::current_exception();
    }
    // This coroutine shares the producer's cancellation: once cancelled, its own awaits must
    // not throw.
    co_await asio::this_coro::throw_if_cancelled(false);
    co_await core.stop_keeper();
    if (failure && !core.caused(failure)) std::rethrow_exception(failure);
  }

  static void destroy_this(body_source_state* state) noexcept { delete static_cast<event_stream_state*>(state); }

  Producer producer;
  event_stream_settings settings;
  asio::cancellation_signal producer_signal;
};

}  // namespace asyncrest::detail

namespace asyncrest {

template <class Producer>
response event_stream(Producer produce, event_stream_settings settings) {
  static_assert(event_stream_producer<Producer>,
                "asyncrest::event_stream(producer): the producer must be callable as `task<void>(event_sink&)`, "
                "for example [](asyncrest::event_sink& events) -> asyncrest::task<void> { co_await "
                "events.send({.data = \"...\"}); }");
  if (settings.heartbeat.count() < 0) {
    throw std::invalid_argument("asyncrest: an event stream's heartbeat interval must not be negative");
  }
  if (settings.retry && settings.retry->count() < 0) {
    throw std::invalid_argument("asyncrest: an event stream's retry delay must not be negative");
  }
  response result;
  result.headers.set("Content-Type", "text/event-stream");
  detail::body_source_access::adopt(result.source,
                                    new detail::event_stream_state<Producer>(std::move(produce), settings));
  result.headers.set("Cache-Control", "no-cache");
  result.headers.set("X-Accel-Buffering", "no");
  return result;
}

}  // namespace asyncrest
