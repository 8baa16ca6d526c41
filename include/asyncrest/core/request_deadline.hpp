// The time by which a request must be answered: what the server's `handler_timeout` middleware
// keeps in a request's context, and what the client reads to cut the calls a handler makes.
//
//     const ar::request_deadline* deadline = req.context().find<ar::request_deadline>();
//     if (deadline && deadline->remaining() < 20ms) co_return cached_answer();   // not worth a call
//
// Only a coroutine handler under `handler_timeout` has one: a plain handler finds none.
#pragma once

#include <chrono>

namespace asyncrest {

/// When the handler's time is up. Its clock is `std::chrono::steady_clock`: a change of the
/// wall clock does not move it.
class request_deadline {
 public:
  using clock = std::chrono::steady_clock;

  explicit request_deadline(clock::time_point expires_at) noexcept : expires_at_(expires_at) {}

  [[nodiscard]] clock::time_point expires_at() const noexcept { return expires_at_; }

  /// The time left, rounded down to whole milliseconds; zero once the deadline has passed.
  [[nodiscard]] std::chrono::milliseconds remaining() const noexcept {
    const clock::time_point now = clock::now();
    if (now >= expires_at_) return std::chrono::milliseconds(0);
    return std::chrono::floor<std::chrono::milliseconds>(expires_at_ - now);
  }

  [[nodiscard]] bool expired() const noexcept { return clock::now() >= expires_at_; }

 private:
  clock::time_point expires_at_;
};

}  // namespace asyncrest
