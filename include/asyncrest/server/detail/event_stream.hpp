// The machinery of an event stream, on a streamed body: one writer at a time between the
// producer's events and the heartbeats; the heartbeat timer, which also wakes at the drain; and
// the terminal cancellation the stream emits on the producer's slot when a heartbeat finds the
// client gone or the server begins to drain.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/event_framing.hpp>
#include <asyncrest/server/detail/exact_allocator.hpp>
#include <asyncrest/server/detail/stream_sender.hpp>
#include <asyncrest/server/detail/worker.hpp>
#include <asyncrest/server/request.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

class event_stream_core;

/// Gives the writer's turn back however a write ends. (At namespace scope: GCC 12 cannot always
/// mangle a local class of a coroutine.)
struct event_write_turn {
  event_stream_core& core;
  ~event_write_turn();
};

/// Lives in the frame of the coroutine that runs the stream (see `run_event_stream` in
/// events.hpp), which is spawned with a cancellation slot of the stream's: the user's producer
/// runs in it, awaited directly, so that the cancellation this core emits reaches what the
/// producer waits on.
class event_stream_core : private drain_listener {
 public:
  /// The comment a heartbeat sends: a line every reader skips.
  static constexpr std::string_view heartbeat_text = ":\n\n";

  /// Copies the request's Last-Event-ID: the request memory is given back before the producer
  /// runs.
  event_stream_core(body_writer& out, asio::cancellation_signal& producer_signal, std::chrono::milliseconds heartbeat)
      : drain_listener{&on_drain},
        out_(out),
        sender_(stream_access::sender(out)),
        producer_signal_(producer_signal),
        heartbeat_(heartbeat),
        keeper_timer_(sender_.executor()),
        last_event_id_(sender_.answered().header("Last-Event-ID").value_or(std::string_view())) {}
  event_stream_core(const event_stream_core&) = delete;
  event_stream_core& operator=(const event_stream_core&) = delete;

  /// Writes one framed piece in one write, after the write in progress if there is one (a
  /// heartbeat, or another send). Throws `stream_closed` when the body can no longer be sent.
  task<void> write(std::string framed) {
    while (writing_) {
      asio::error_code ignored;  // woken by the writer before it, or cancelled: look again
      co_await waker().async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    writing_ = true;
    const event_write_turn turn{*this};
    co_await out_.write(framed);
  }

  /// Sends the head (with the retry delay, if set) and gives the request memory back: nothing of
  /// the request is used past this point but the Last-Event-ID copied. The head leaves before
  /// the first event, so the client knows at once that the stream is open.
  task<void> open(std::optional<std::chrono::milliseconds> retry) {
    std::string opening;
    if (retry) {
      append_retry_field(opening, *retry);
      opening.push_back('\n');
    }
    co_await out_.write(opening);
    sender_.give_back_request();
  }

  /// Starts the heartbeat, beside the producer. While the stream waits, the heartbeat is one
  /// timer wait with a plain handler: no coroutine frame.
  void start_keeper() {
    last_write_ = asio::steady_timer::clock_type::now();
    sender_.watch_drain(this);
    keeper_busy_ = true;
    arm_keeper();
  }

  /// Stops the heartbeat once the producer has ended, and waits until nothing of it refers to
  /// this core.
  task<void> stop_keeper() {
    producer_done_ = true;
    keeper_timer_.cancel();
    while (keeper_busy_) {
      asio::error_code ignored;
      co_await waker().async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    sender_.watch_drain(nullptr);
  }

  /// Whether `failure`, the producer's, is only the cancellation this stream caused: not a
  /// failure then.
  [[nodiscard]] bool caused(const std::exception_ptr& failure) const { return cancelled_ && is_cancellation(failure); }

  [[nodiscard]] std::string_view last_event_id() const noexcept { return last_event_id_; }
  [[nodiscard]] bool stop_requested() const noexcept { return sender_.stop_requested(); }

 private:
  friend struct event_write_turn;

  /// The heartbeat timer's handler: a plain function object, so the wait costs Asio's small
  /// operation alone and no coroutine frame.
  struct keeper_wakeup {
    using allocator_type = exact_allocator<void>;
    event_stream_core* core;
    [[nodiscard]] allocator_type get_allocator() const noexcept { return {}; }
    void operator()(const asio::error_code& /*cancelled or expired: looked at the same way*/) const {
      core->on_keeper_timer();
    }
  };

  void end_turn() noexcept {
    writing_ = false;
    last_write_ = asio::steady_timer::clock_type::now();
    if (wake_) wake_->cancel_one();
  }

  /// Made when something first has to wait: most streams never contend, and an idle one holds
  /// no second timer.
  asio::steady_timer& waker() {
    if (!wake_) wake_ = std::make_unique<asio::steady_timer>(sender_.executor(), asio::steady_timer::time_point::max());
    return *wake_;
  }

  void arm_keeper() {
    auto due = heartbeat_.count() > 0 ? last_write_ + heartbeat_ : asio::steady_timer::time_point::max();
    if (sender_.stop_requested()) due = asio::steady_timer::clock_type::now();  // a drain begun before the start
    keeper_timer_.expires_at(due);
    keeper_timer_.async_wait(keeper_wakeup{this});
  }

  /// Sends a heartbeat when nothing else was sent for the interval; wakes at the drain too.
  /// Either way, once the stream cannot go on, it cancels the producer and the keeper ends.
  void on_keeper_timer() {
    if (producer_done_) return keeper_ended();
    if (sender_.stop_requested() || sender_.failure() != nullptr) {
      cancel_producer();
      return keeper_ended();
    }
    if (heartbeat_.count() == 0 || writing_ || asio::steady_timer::clock_type::now() < last_write_ + heartbeat_) {
      return arm_keeper();  // something was sent meanwhile, or is being sent
    }
    writing_ = true;
    asio::co_spawn(sender_.executor(), sender_.send(heartbeat_text),
                   [this](const std::exception_ptr& error, const char* failure) {
                     end_turn();
                     if (error || failure != nullptr) {
                       cancel_producer();
                       return keeper_ended();
                     }
                     if (producer_done_) return keeper_ended();
                     arm_keeper();
                   });
  }

  void keeper_ended() noexcept {
    keeper_busy_ = false;
    if (wake_) wake_->cancel();
  }

  void cancel_producer() {
    if (producer_done_ || cancelled_) return;
    cancelled_ = true;
    producer_signal_.emit(asio::cancellation_type::terminal);
  }

  /// The drain began: the keeper looks at once (a cancelled timer completes later, never here).
  static void on_drain(drain_listener& listener) noexcept {
    static_cast<event_stream_core&>(listener).keeper_timer_.cancel();
  }

  static bool is_cancellation(const std::exception_ptr& failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const asio::system_error& error) {
      return error.code() == asio::error::operation_aborted;
    } catch (...) {
      return false;
    }
  }

  body_writer& out_;
  stream_sender& sender_;
  asio::cancellation_signal& producer_signal_;
  std::chrono::milliseconds heartbeat_;
  asio::steady_timer keeper_timer_;  // the next heartbeat; cancelled at the drain and at the end
  // Never expires: cancelling one wait wakes the next writer; cancelling all, the end once the
  // keeper has stopped.
  std::unique_ptr<asio::steady_timer> wake_;
  std::string last_event_id_;
  asio::steady_timer::time_point last_write_{};
  bool writing_ = false;
  bool producer_done_ = false;
  bool keeper_busy_ = false;  // a keeper's wait or heartbeat is outstanding and refers to this core
  bool cancelled_ = false;
};

inline event_write_turn::~event_write_turn() { core.end_turn(); }

}  // namespace asyncrest::detail
