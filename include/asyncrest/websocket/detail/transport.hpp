// What a WebSocket connection runs over, as function pointers (the server's upgraded connection,
// plain or TLS; the client's socket or TLS stream), and the gate that lets one frame at a time
// onto it.
#pragma once

#include <asyncrest/core/task.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>

namespace asyncrest::detail {

struct websocket_transport {
  void* stream = nullptr;
  /// What arrived, or 0 when the connection has ended (or the server is stopping).
  task<std::size_t> (*read_some)(void* stream, std::span<char> into) = nullptr;
  /// All of `head` then all of `body` (which may be empty), in one gathered write; false when
  /// the connection has failed.
  task<bool> (*write)(void* stream, std::string_view head, std::string_view body) = nullptr;
  /// Ends the connection at once: a pending read returns 0, later writes fail.
  void (*shut_down)(void* stream) noexcept = nullptr;
  /// True once the server drains (always false for a client).
  bool (*stop_requested)(const void* stream) noexcept = nullptr;
  /// Waits, holding no buffer, until a read would not wait; null where the stream cannot (the
  /// client's), and the connection then keeps its read buffer.
  task<void> (*wait_readable)(void* stream) = nullptr;
  /// What arrived already, read without waiting, or 0 (then `read_some` waits, or reports the
  /// end). Null where the stream cannot (TLS, the client's).
  std::size_t (*read_available)(void* stream, std::span<char> into) noexcept = nullptr;
  /// What of `head` then `body` was written without waiting; `write` sends the rest. Null where
  /// the stream cannot.
  std::size_t (*write_available)(void* stream, std::string_view head, std::string_view body) noexcept = nullptr;
  asio::any_io_executor executor;
  /// Keeps the stream alive when the connection owns it (the client's).
  std::shared_ptr<void> owner;
};

/// One writer at a time, the others waiting in order. Each waiter sleeps on a timer of its own
/// that the previous writer cancels when it hands the gate over.
class write_gate {
 public:
  explicit write_gate(const asio::any_io_executor& executor) : executor_(executor) {}

  task<void> acquire() {
    if (!busy_) {
      busy_ = true;
      co_return;
    }
    waiter self(*this, executor_);
    (last_ != nullptr ? last_->next : first_) = &self;
    last_ = &self;
    asio::error_code ignored;
    co_await self.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!self.handed) {  // cancelled while waiting: leave the queue
      unlink(self);
      throw std::runtime_error("asyncrest: a WebSocket send was cancelled while waiting for its turn");
    }
  }

  void release() noexcept {
    if (first_ == nullptr) {
      busy_ = false;
      return;
    }
    waiter& handed = *first_;
    unlink(handed);
    handed.handed = true;  // the gate stays busy: it passes to the waiter
    handed.timer.cancel();
  }

 private:
  struct waiter {
    waiter(write_gate& gate, const asio::any_io_executor& executor)
        : owner(&gate), timer(executor, asio::steady_timer::time_point::max()) {}
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;
    // A waiting coroutine destroyed without being resumed (its io_context destroyed at a forced
    // stop) leaves the queue, so that the writer before it never hands the gate to freed memory.
    ~waiter() {
      if (!handed) owner->unlink(*this);
    }
    write_gate* owner;
    asio::steady_timer timer;
    waiter* next = nullptr;
    bool handed = false;
  };
  void unlink(waiter& leaving) noexcept {
    waiter** link = &first_;
    waiter* previous = nullptr;
    while (*link != nullptr && *link != &leaving) {
      previous = *link;
      link = &(*link)->next;
    }
    if (*link == nullptr) return;
    *link = leaving.next;
    if (last_ == &leaving) last_ = previous;
    leaving.next = nullptr;
  }

  asio::any_io_executor executor_;
  waiter* first_ = nullptr;
  waiter* last_ = nullptr;
  bool busy_ = false;
};

/// Holds the gate for the length of a scope.
class gate_hold {
 public:
  explicit gate_hold(write_gate& gate) noexcept : gate_(&gate) {}
  gate_hold(const gate_hold&) = delete;
  gate_hold& operator=(const gate_hold&) = delete;
  ~gate_hold() { gate_->release(); }

 private:
  write_gate* gate_;
};

}  // namespace asyncrest::detail
