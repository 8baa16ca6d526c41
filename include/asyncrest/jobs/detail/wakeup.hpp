// Waking a coroutine suspended on one thread from another: a long-poll on a server thread when a
// job finishes on the job thread, or a job worker when a request queues a job.
#pragma once

#include <asyncrest/core/task.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <memory>

namespace asyncrest::detail {

/// A timer that a coroutine waits on until a deadline, and that any thread may end early with
/// `notify`. The waiting coroutine owns it through a shared_ptr; a notification holds only a
/// weak_ptr, so a coroutine that has gone leaves nothing to wake.
class wakeup {
 public:
  explicit wakeup(const asio::any_io_executor& executor) : timer_(executor) {}

  [[nodiscard]] asio::any_io_executor executor() { return timer_.get_executor(); }

  /// Returns when notified or at `deadline`, whichever comes first; true when notified.
  task<bool> wait_until(std::chrono::steady_clock::time_point deadline) {
    timer_.expires_at(deadline);
    while (!woken_) {
      auto [error] = co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      if (!error) break;  // the deadline
    }
    co_return woken_;
  }

  /// Ends the wait of the coroutine owning `target`. Safe from any thread: the work is posted to
  /// the waiting coroutine's executor, where the timer lives. Whoever calls this must know that
  /// executor is still alive (the backends unregister a waiter, under their lock, before its
  /// coroutine ends).
  static void notify(const std::weak_ptr<wakeup>& target, const asio::any_io_executor& executor) {
    asio::post(executor, [target] {
      if (auto alive = target.lock()) {
        alive->woken_ = true;
        alive->timer_.cancel();
      }
    });
  }

 private:
  asio::steady_timer timer_;
  bool woken_ = false;  // touched on the timer's executor only
};

}  // namespace asyncrest::detail
