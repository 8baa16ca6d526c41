// The relay's machinery: a wait on the subscription whose completion handler holds the relay,
// and a sender coroutine that exists only while messages are written.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/exact_allocator.hpp>
#include <asyncrest/server/hub.hpp>
#include <asyncrest/server/relay.hpp>
#include <asyncrest/websocket/connection.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <exception>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace asyncrest::detail {

struct subscription_access {
  template <class Message>
  static const std::shared_ptr<subscriber<Message>>& state(const subscription<Message>& from) noexcept {
    return from.state_;
  }
};

/// Counts a coroutine that writes on its own, so that the session does not end (and the stream
/// go) under it: the session's end waits until the count is back to zero.
class detached_write {
 public:
  explicit detached_write(std::shared_ptr<websocket_state> state) noexcept : state_(std::move(state)) {
    ++state_->detached_writes;
  }
  detached_write(detached_write&& other) noexcept = default;
  detached_write(const detached_write&) = delete;
  detached_write& operator=(const detached_write&) = delete;
  detached_write& operator=(detached_write&&) = delete;
  ~detached_write() {
    if (state_ == nullptr) return;
    --state_->detached_writes;
    state_->notify_exited();
  }
  [[nodiscard]] websocket_state& state() const noexcept { return *state_; }

 private:
  std::shared_ptr<websocket_state> state_;
};

template <class Message, class Encode>
class websocket_relay {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  static void start(std::shared_ptr<subscriber<Message>> from, std::shared_ptr<websocket_state> to, Encode encode) {
    wait(websocket_relay(std::move(from), std::move(to), std::move(encode)));
  }

 private:
  websocket_relay(std::shared_ptr<subscriber<Message>> from, std::shared_ptr<websocket_state> to, Encode encode)
      : from_(std::move(from)), to_(std::move(to)), encode_(std::move(encode)) {}

  /// The wait's completion handler: all that exists of the relay while nothing is published.
  /// It waits on the subscriber's wake timer itself, as `next()` does, with no composed
  /// operation around it, and its operation is allocated at its size.
  struct wake_handler {
    using allocator_type = exact_allocator<void>;
    websocket_relay relay;
    [[nodiscard]] allocator_type get_allocator() const noexcept { return {}; }
    void operator()(const std::error_code& /*woken: a delivery or an end cancels the wait*/) {
      subscriber<Message>& from = *relay.from_;
      from.waiting = false;
      from.busy = false;
      try {
        take(std::move(relay));
      } catch (const std::exception&) {
        // Out of memory for the sender: the relay ends rather than the thread's event loop,
        // and the subscription stays usable.
      }
    }
  };

  /// Waits for the next message, holding the subscription as a `next()` would (a second reader
  /// is refused), or takes one that is queued already.
  static void wait(websocket_relay self) {
    subscriber<Message>& from = *self.from_;
    if (from.busy) return;  // another reader of the subscription: the relay ends
    if (!from.queue.empty() || !from.open()) {
      take(std::move(self));
      return;
    }
    from.wake.async_wait(wake_handler{std::move(self)});
    from.busy = true;  // once the wait is under way: a wait that could not start leaves it free
    from.waiting = true;
  }

  /// The next message, the subscription's end, or another wait when woken with nothing.
  static void take(websocket_relay self) {
    subscriber<Message>& from = *self.from_;
    if (message_ptr message = from.queue.pop()) {
      arrived(std::move(self), std::move(message));
    } else if (!from.open()) {
      arrived(std::move(self), nullptr);
    } else {
      wait(std::move(self));
    }
  }

  static void arrived(websocket_relay self, message_ptr message) {
    websocket_state& to = *self.to_;
    if (to.ended || to.close_sent) return;  // the connection is closing: the relay ends
    if (message == nullptr) {
      subscription_ended(std::move(self));
      return;
    }
    std::shared_ptr<websocket_state> state = self.to_;
    asio::co_spawn(to.transport.executor, send(std::move(self), std::move(message), detached_write(std::move(state))),
                   asio::detached);
  }

  /// Writes `first` and whatever queued behind it meanwhile, then waits again.
  static task<void> send(websocket_relay self, message_ptr first, detached_write counted) {
    websocket_state& to = counted.state();
    message_ptr message = std::move(first);
    bool going_on = true;
    try {
      while (message != nullptr) {
        if (to.close_sent || !co_await to.write_prepared(self.encode_(*message))) {
          going_on = false;
          break;
        }
        message = self.from_->queue.pop();
      }
    } catch (const std::exception&) {
      going_on = false;  // a send that could not start: the connection is going
    }
    if (going_on && !to.ended) wait(std::move(self));
  }

  /// Falling behind closes with 1013, so that the client reconnects (and reads the history
  /// again, where the service keeps one); the hub's close, with 1001.
  static void subscription_ended(websocket_relay self) {
    const subscription_end why = self.from_->reason;
    if (why != subscription_end::fell_behind && why != subscription_end::hub_closed) return;
    std::shared_ptr<websocket_state> state = self.to_;
    asio::co_spawn(self.to_->transport.executor, close(detached_write(std::move(state)), why), asio::detached);
  }

  static task<void> close(detached_write counted, subscription_end why) {
    websocket_state& to = counted.state();
    const bool behind = why == subscription_end::fell_behind;
    try {
      co_await to.send_close(
          behind ? websocket_close_code::try_again_later : websocket_close_code::going_away,
          behind ? std::string_view("too far behind; reconnect") : std::string_view("the topic has closed"));
    } catch (const std::exception&) {
      // The close could not be written: the connection is going anyway.
    }
  }

  std::shared_ptr<subscriber<Message>> from_;
  std::shared_ptr<websocket_state> to_;
  Encode encode_;
};

/// The frames of a hub of frames, as they are.
struct frame_as_it_is {
  const websocket_frame& operator()(const websocket_frame& frame) const noexcept { return frame; }
};

}  // namespace asyncrest::detail

namespace asyncrest {

template <class Message, class Encode>
void relay(subscription<Message>& subscription, websocket_connection& socket, Encode encode) {
  static_assert(websocket_frame_encoder<Encode, Message>,
                "asyncrest::relay(subscription, socket, encode): encode must be callable with `const Message&` and "
                "return a websocket_frame (or a reference to one), for example "
                "[](const chat_message& message) -> const asyncrest::websocket_frame& { return message.frame; }");
  const auto& from = detail::subscription_access::state(subscription);
  if (from == nullptr) throw std::logic_error("asyncrest: relay() of a moved-from subscription");
  detail::websocket_relay<Message, Encode>::start(from, detail::websocket_access::shared_state(socket),
                                                  std::move(encode));
}

inline void relay(subscription<websocket_frame>& subscription, websocket_connection& socket) {
  relay(subscription, socket, detail::frame_as_it_is{});
}

}  // namespace asyncrest
