// The machinery of an event stream, on a streamed body: one writer at a time between the
// producer's events and the heartbeats; the heartbeat timer, which also wakes at the drain; and
// the producer run with a cancellation slot of its own, on which the stream emits terminal
// cancellation when a heartbeat finds the client gone or the server begins to drain.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/stream_sender.hpp>
#include <asyncrest/server/detail/worker.hpp>
#include <asyncrest/server/request.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
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

/// Runs a producer and keeps its exception, so that the spawned coroutine itself never fails.
inline task<void> run_keeping_failure(task<void> producer, std::exception_ptr& failure) {
  try {
    co_await std::move(producer);
  } catch (...) {
    failure = std::current_exception();
  }
}

class event_stream_core : private drain_listener {
 public:
  /// The comment a heartbeat sends: a line every reader skips.
  static constexpr std::string_view heartbeat_text = ":\n\n";

  event_stream_core(body_writer& out, const asio::any_io_executor& executor, std::chrono::milliseconds heartbeat)
      : drain_listener{&on_drain},
        out_(out),
        sender_(stream_access::sender(out)),
        executor_(executor),
        heartbeat_(heartbeat),
        keeper_timer_(executor),
        turn_(executor, asio::steady_timer::time_point::max()),
        keeper_done_(executor, asio::steady_timer::time_point::max()) {}
  event_stream_core(const event_stream_core&) = delete;
  event_stream_core& operator=(const event_stream_core&) = delete;

  /// Writes one framed piece in one write, after the write in progress if there is one (a
  /// heartbeat, or another send). Throws `stream_closed` when the body can no longer be sent.
  task<void> write(std::string framed) {
    while (writing_) {
      asio::error_code ignored;  // woken by the writer before it, or cancelled: look again
      co_await turn_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    writing_ = true;
    const event_write_turn turn{*this};
    co_await out_.write(framed);
  }

  /// Runs `producer` to its end, with the heartbeat beside it. Returns when both have ended;
  /// rethrows the producer's failure, but not the cancellation this stream caused.
  task<void> run(task<void> producer) {
    last_write_ = asio::steady_timer::clock_type::now();
    sender_.watch_drain(this);
    keeper_running_ = true;
    asio::co_spawn(executor_, keep(), [this](const std::exception_ptr&) {
      keeper_running_ = false;
      keeper_done_.cancel();
    });
    std::exception_ptr failure;
    co_await asio::co_spawn(executor_, run_keeping_failure(std::move(producer), failure),
                            asio::bind_cancellation_slot(producer_signal_.slot(), asio::use_awaitable));
    producer_done_ = true;
    keeper_timer_.cancel();
    while (keeper_running_) {
      asio::error_code ignored;
      co_await keeper_done_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    sender_.watch_drain(nullptr);
    if (failure && !(cancelled_ && is_cancellation(failure))) std::rethrow_exception(failure);
  }

  [[nodiscard]] std::string_view last_event_id() const noexcept {
    return sender_.answered().header("Last-Event-ID").value_or(std::string_view());
  }
  [[nodiscard]] bool stop_requested() const noexcept { return sender_.stop_requested(); }

 private:
  friend struct event_write_turn;

  void end_turn() noexcept {
    writing_ = false;
    last_write_ = asio::steady_timer::clock_type::now();
    turn_.cancel_one();
  }

  /// Sends heartbeats when nothing else was sent for the interval; wakes at the drain. Either
  /// way, once the stream cannot go on, it cancels the producer and ends.
  task<void> keep() {
    for (;;) {
      auto due = heartbeat_.count() > 0 ? last_write_ + heartbeat_ : asio::steady_timer::time_point::max();
      if (sender_.stop_requested()) due = asio::steady_timer::clock_type::now();  // a drain begun before the start
      keeper_timer_.expires_at(due);
      asio::error_code ignored;
      co_await keeper_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (producer_done_) co_return;
      if (sender_.stop_requested() || sender_.failure() != nullptr) break;
      if (heartbeat_.count() == 0 || writing_ || asio::steady_timer::clock_type::now() < last_write_ + heartbeat_) {
        continue;  // something was sent meanwhile, or is being sent
      }
      writing_ = true;
      const char* failure = co_await sender_.send(heartbeat_text);
      end_turn();
      if (failure != nullptr) break;
    }
    cancel_producer();
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
  asio::any_io_executor executor_;
  std::chrono::milliseconds heartbeat_;
  asio::steady_timer keeper_timer_;  // the next heartbeat; cancelled at the drain and at the end
  asio::steady_timer turn_;          // never expires: cancelling one wait wakes the next writer
  asio::steady_timer keeper_done_;   // never expires: cancelled when the keeper has ended
  asio::cancellation_signal producer_signal_;
  asio::steady_timer::time_point last_write_{};
  bool writing_ = false;
  bool producer_done_ = false;
  bool keeper_running_ = false;
  bool cancelled_ = false;
};

inline event_write_turn::~event_write_turn() { core.end_turn(); }

}  // namespace asyncrest::detail
