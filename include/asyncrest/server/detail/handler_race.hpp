// The race of a handler against its deadline, for `handler_timeout`, or against its client's
// leaving, for `cancel_on_disconnect`: the rest of the chain runs as a coroutine of its own beside
// a timer or the connection's watch, in an Asio parallel group that waits for the first to finish
// and cancels the other. Cancelling the handler is Asio's per-operation cancellation:
// the operation it waits on completes with `operation_aborted`, its frame unwinds, and the
// group returns only once it has ended, so nothing of it outlives the request.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>

// Asio 1.24 moved `deferred` out of experimental; later versions dropped the old name.
#if ASIO_VERSION >= 102400
#include <asio/deferred.hpp>
#else
#include <asio/experimental/deferred.hpp>
#endif

#include <chrono>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>

namespace asyncrest::detail {

#if ASIO_VERSION >= 102400
using deferred_operation = asio::deferred_t;
#else
using deferred_operation = asio::experimental::deferred_t;
#endif

/// `pending`'s response, or nothing when `expires_at` came first (the handler then ended,
/// cancelled, before this returns). An exception of the handler's that came first is rethrown.
inline task<std::optional<response>> race_deadline(task<response> pending,
                                                   std::chrono::steady_clock::time_point expires_at) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  // Spawned on the same executor: a handler of an app with request scopes still finds its
  // request from its executor (core/detail/request_scope.hpp).
  asio::steady_timer timer(executor, expires_at);
  auto [order, failure, answer, timer_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, std::move(pending), deferred_operation{}), timer.async_wait(deferred_operation{}))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (order[0] == 0) {
    if (failure) std::rethrow_exception(failure);
    co_return std::optional<response>(std::move(answer));
  }
  // The timer ended first: the deadline passed, unless the race itself was cancelled (an outer
  // deadline), which is not this deadline's answer to give.
  if (timer_error) throw std::system_error(timer_error);
  co_return std::nullopt;
}

/// `pending`'s response, or nothing when the client went first (the handler then ended,
/// cancelled, before this returns). An exception of the handler's that came first is rethrown.
inline task<std::optional<response>> race_disconnect(task<response> pending, disconnect_watch watch) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto [order, failure, answer, watch_failure] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, std::move(pending), deferred_operation{}),
          asio::co_spawn(executor, watch.until_gone(watch.source), deferred_operation{}))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (order[0] == 0) {
    if (failure) std::rethrow_exception(failure);
    co_return std::optional<response>(std::move(answer));
  }
  // The watch ended first: the client is gone, unless the race itself was cancelled (a deadline
  // outside), which is not this race's answer to give.
  if (watch_failure) std::rethrow_exception(watch_failure);
  co_return std::nullopt;
}

}  // namespace asyncrest::detail
