// Fan-out across the server's threads: topics (a chat room, say) whose subscribers are the
// connections of every thread, each of which receives every message published to its topic.
//
//     ar::hub<std::string> rooms{{.queue_capacity = 64, .when_full = ar::overflow_policy::drop_subscriber}};
//
//     // in a connection's coroutine, on its server thread:
//     auto subscription = rooms.subscribe("lobby", co_await asio::this_coro::executor);
//     while (auto message = co_await subscription.next()) co_await out.write(*message);
//     // the subscription has ended: subscription.end_reason() says why
//
//     // anywhere (a handler on any thread, a job, a plain thread):
//     rooms.publish("lobby", R"({"from":"ada","text":"hello"})");
//
// A message is made once and shared by every subscriber (`std::shared_ptr<const Message>`), so
// what SSE or WebSocket send can be encoded once, at publish time, for all of them: publish the
// bytes a stream writes (an SSE event, a WebSocket frame), or a type of your own that holds them.
//
// Threads: `publish` posts the message once to each thread that has subscribers of the topic;
// there, it is put in each local subscriber's queue with no lock. Each subscription belongs to the
// thread (the executor) it was made on: call its members from coroutines of that thread, and,
// like any Asio I/O object, destroy it before its io_context (a coroutine's frame does).
// Shutdown: `app.attach(hub)`, or `close()` from wherever the service decides to stop.
#pragma once

#include <asyncrest/core/task.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/error.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace asyncrest {

/// What happens to a subscriber whose queue is full when another message arrives: it reads
/// slower than the topic is published to. Memory stays bounded either way.
enum class overflow_policy : std::uint8_t {
  /// The oldest queued message is dropped, and counted (`subscription::dropped()`): for a feed
  /// where the latest matters more than every one.
  drop_oldest,
  /// The subscription ends with `subscription_end::fell_behind`: for a stream that must be
  /// complete, whose client should reconnect (a WebSocket closes with 1008 or 1013).
  drop_subscriber,
};

/// Chosen once per hub.
struct hub_settings {
  /// Messages a subscriber may have waiting; at least 1.
  std::size_t queue_capacity = 256;
  overflow_policy when_full = overflow_policy::drop_oldest;
};

/// Why a subscription has ended, or `open`: what a WebSocket's close code or an SSE stream's
/// last event can tell the client.
enum class subscription_end : std::uint8_t {
  open,
  closed,       ///< by its own `close()` (or it was moved from)
  fell_behind,  ///< its queue was full under `drop_subscriber` (WebSocket: 1008 or 1013)
  hub_closed,   ///< by `hub::close()`, a shutdown (WebSocket: 1001), or it was made after that
};

/// Counts since the hub was made, merged from every thread when read.
struct hub_statistics {
  std::uint64_t published = 0;            ///< calls to `publish` before `close()`
  std::uint64_t delivered = 0;            ///< messages put in a subscriber's queue
  std::uint64_t dropped_messages = 0;     ///< queued messages dropped (`drop_oldest`)
  std::uint64_t dropped_subscribers = 0;  ///< subscriptions ended as `fell_behind`
  std::size_t topics = 0;                 ///< topics with at least one subscriber now
  std::size_t subscribers = 0;            ///< open subscriptions now, all topics
};

namespace detail {
template <class Message>
class hub_core;
template <class Message>
class subscriber;
struct subscription_access;
}  // namespace detail

/// One subscriber of one topic, on the thread it was made on. Ends when closed, dropped for
/// falling behind, or when the hub closes; destroying it unsubscribes. Movable, not copyable.
template <class Message>
class subscription {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  subscription(subscription&& other) noexcept = default;
  subscription& operator=(subscription&& other) noexcept;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  ~subscription();

  /// Waits for the next message: the next one queued, in publish order, or a null pointer once
  /// the subscription has ended. Ending by `close()` or for falling behind drops what was still
  /// queued; the hub's `close()` does not: what was published before it is read first. Completes with
  /// `void(std::error_code, message_ptr)`. Per-operation cancellation (any type) ends the wait
  /// with `asio::error::operation_aborted` and leaves the subscription open, its queue intact.
  /// One wait at a time: a second one completes with `asio::error::already_started`.
  template <class CompletionToken = asio::use_awaitable_t<>>
  auto async_next(CompletionToken&& token = {});

  /// `co_await subscription.next()`: the next message, or null once ended. A cancelled wait
  /// throws `std::system_error` (operation_aborted), as Asio's awaitables do.
  task<message_ptr> next() { return async_next(asio::use_awaitable); }

  /// A message already queued, or null, without waiting: lets a stream write several at once.
  [[nodiscard]] message_ptr try_next();

  /// Ends the subscription now (`subscription_end::closed`) and wakes a pending `next()` with
  /// null: how a WebSocket's receiving loop stops its sending loop on the same thread.
  void close() noexcept;

  [[nodiscard]] bool is_open() const noexcept { return end_reason() == subscription_end::open; }
  [[nodiscard]] subscription_end end_reason() const noexcept;
  /// Messages dropped from this subscriber's queue because it was full (`drop_oldest`).
  [[nodiscard]] std::uint64_t dropped() const noexcept;
  /// Messages waiting in the queue.
  [[nodiscard]] std::size_t queued() const noexcept;

 private:
  template <class>
  friend class hub;
  friend struct detail::subscription_access;
  explicit subscription(std::shared_ptr<detail::subscriber<Message>> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::subscriber<Message>> state_;
};

/// Topics and their subscribers on every thread. `Message` is what is published, shared by every
/// subscriber: the bytes to send (`std::string`, the default) or a type of your own. A hub may
/// outlive the threads (the `io_context`s) its subscribers ran on, and they may outlive it.
///
/// Shutdown: `close()` ends every subscription, each on its own thread. With an app, attach it
/// (`app.attach(hub)`): the hub closes when the server begins to drain, so the streams waiting
/// on it end instead of holding their connections until the drain deadline.
template <class Message = std::string>
class hub {
  static_assert(std::is_object_v<Message> && !std::is_const_v<Message> && !std::is_volatile_v<Message>,
                "asyncrest::hub<Message>: Message is the type published, such as std::string: not a reference, "
                "void, const or an array");

 public:
  using message_ptr = std::shared_ptr<const Message>;

  /// Throws `std::invalid_argument` when `settings.queue_capacity` is 0.
  explicit hub(hub_settings settings = {});
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;
  /// Closes the hub: its subscriptions end on their threads.
  ~hub();

  /// Subscribes to `topic` on `executor`'s thread; call it from that thread (a coroutine there
  /// passes `co_await asio::this_coro::executor`). After `close()` the subscription has already
  /// ended (`hub_closed`).
  [[nodiscard]] subscription<Message> subscribe(std::string_view topic, const asio::any_io_executor& executor);

  /// Delivers `message` to every subscriber of `topic` on every thread. Safe from any thread.
  /// Each subscriber receives one publisher's messages in the order it published them, and the
  /// subscribers of one thread all receive the same sequence. Does nothing after `close()` or
  /// when the topic has no subscribers.
  void publish(std::string_view topic, message_ptr message);
  /// The same with a message made here, once.
  void publish(std::string_view topic, Message message) {
    publish(topic, std::make_shared<const Message>(std::move(message)));
  }

  /// Open subscriptions of `topic`, on all threads (as of the last membership change).
  [[nodiscard]] std::size_t subscribers(std::string_view topic) const;
  [[nodiscard]] hub_statistics statistics() const;

  /// Ends every subscription (`hub_closed`), each on its own thread, after the messages
  /// published before; later publishes are ignored. Safe from any thread; a second call does
  /// nothing.
  void close();
  [[nodiscard]] bool is_closed() const;

  /// For `app.attach(hub)`: the drain closes the hub at once, whatever the deadline.
  void begin_drain(std::chrono::steady_clock::time_point deadline) {
    (void)deadline;
    close();
  }
  /// For `app.attach(hub)`: nothing to wait for; the subscriptions ended on the server's threads.
  void wait_drained() const noexcept {}

 private:
  std::shared_ptr<detail::hub_core<Message>> core_;
};

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

#include <asyncrest/server/detail/hub_core.hpp>
