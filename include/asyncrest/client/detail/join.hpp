// What gather, when_all and bounded_map are made of: tasks spawned together on one executor,
// awaited as one, with cancellation passed on to each, and each outcome kept as a result.
#pragma once

#include <asyncrest/core/result.hpp>
#include <asyncrest/core/task.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

namespace detail {
template <class Type>
struct task_value;
template <class Value>
struct task_value<task<Value>> {
  using type = Value;
};
}  // namespace detail

namespace detail {

template <class Handler>
struct join_state {
  join_state(Handler completion, std::size_t count)
      : handler(std::move(completion)), remaining(count), signals(new asio::cancellation_signal[count]) {}

  void one_done() {
    if (--remaining != 0) return;
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) slot.clear();
    std::move(handler)();
  }

  Handler handler;
  std::size_t remaining;
  std::unique_ptr<asio::cancellation_signal[]> signals;
};

/// Spawns every task on `executor` and completes when all have; cancellation of the awaiting
/// coroutine is passed on to each.
inline task<void> join_all(asio::any_io_executor executor, std::vector<task<void>> tasks) {
  if (tasks.empty()) co_return;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&executor, &tasks](auto handler) {
        using handler_type = decltype(handler);
        auto state = std::make_shared<join_state<handler_type>>(std::move(handler), tasks.size());
        auto slot = asio::get_associated_cancellation_slot(state->handler);
        if (slot.is_connected()) {
          join_state<handler_type>* raw = state.get();
          const std::size_t count = tasks.size();
          slot.assign([raw, count](asio::cancellation_type type) {
            for (std::size_t index = 0; index < count; ++index) raw->signals[index].emit(type);
          });
        }
        for (std::size_t index = 0; index < tasks.size(); ++index) {
          asio::co_spawn(executor, std::move(tasks[index]),
                         asio::bind_cancellation_slot(state->signals[index].slot(),
                                                      [state](const std::exception_ptr&) { state->one_done(); }));
        }
      },
      asio::use_awaitable);
}

/// Runs `work` and stores what it produced, or how it failed, in `slot`.
template <class Value>
task<void> store_result(task<Value> work, std::optional<result<Value>>& slot) {
  std::exception_ptr error;
  try {
    if constexpr (std::is_void_v<Value>) {
      co_await std::move(work);
      slot.emplace();
    } else {
      slot.emplace(co_await std::move(work));
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (error) slot.emplace(failure::from(error));
}

}  // namespace detail
}  // namespace asyncrest
