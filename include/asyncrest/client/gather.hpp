// Running many tasks at once and collecting every result, failures included:
//
//     auto [users, orders, prices] = co_await ar::gather(http.get(a), http.get(b), http.get(c));
//     if (!prices) log(prices.error_details().message);   // the other two are still there
//
//     auto pages = co_await ar::when_all(std::move(tasks));          // a vector of tasks
//     auto bodies = co_await ar::bounded_map(urls, 50, [&](const std::string& url) {
//       return http.get(url);                                         // at most 50 in flight
//     });
//
// The tasks run on the awaiting coroutine's executor, interleaved, not in parallel threads.
// Cancelling the awaiting coroutine cancels every task still running.
#pragma once

#include <asyncrest/client/detail/join.hpp>
#include <asyncrest/core/result.hpp>
#include <asyncrest/core/task.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// Runs `tasks` concurrently and returns their results in order, each a value or a failure.
template <class... Values>
task<std::tuple<result<Values>...>> gather(task<Values>... tasks);

/// Runs every task in `tasks` concurrently; the results come in the tasks' order.
template <class Value>
task<std::vector<result<Value>>> when_all(std::vector<task<Value>> tasks);

/// Calls `function(input)` for every input, which must return a `task<...>`, with at most
/// `max_in_flight` tasks running at once (at least one); the results come in the inputs' order.
template <std::ranges::input_range Inputs, class Function>
auto bounded_map(Inputs inputs, std::size_t max_in_flight, Function function) -> task<std::vector<result<
    typename detail::task_value<std::invoke_result_t<Function&, std::ranges::range_reference_t<Inputs>>>::type>>>;

template <class... Values>
task<std::tuple<result<Values>...>> gather(task<Values>... tasks) {
  std::tuple<std::optional<result<Values>>...> slots;
  std::vector<task<void>> runs;
  runs.reserve(sizeof...(Values));
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (runs.push_back(detail::store_result(std::move(tasks), std::get<Index>(slots))), ...);
  }
  (std::index_sequence_for<Values...>{});
  co_await detail::join_all(co_await asio::this_coro::executor, std::move(runs));
  co_return std::apply([](auto&... slot) { return std::tuple<result<Values>...>(std::move(*slot)...); }, slots);
}

template <class Value>
task<std::vector<result<Value>>> when_all(std::vector<task<Value>> tasks) {
  std::vector<std::optional<result<Value>>> slots(tasks.size());
  std::vector<task<void>> runs;
  runs.reserve(tasks.size());
  for (std::size_t index = 0; index < tasks.size(); ++index) {
    runs.push_back(detail::store_result(std::move(tasks[index]), slots[index]));
  }
  co_await detail::join_all(co_await asio::this_coro::executor, std::move(runs));
  std::vector<result<Value>> results;
  results.reserve(slots.size());
  for (auto& slot : slots) results.push_back(std::move(*slot));
  co_return results;
}

template <std::ranges::input_range Inputs, class Function>
auto bounded_map(Inputs inputs, std::size_t max_in_flight, Function function) -> task<std::vector<result<
    typename detail::task_value<std::invoke_result_t<Function&, std::ranges::range_reference_t<Inputs>>>::type>>> {
  using value_type =
      typename detail::task_value<std::invoke_result_t<Function&, std::ranges::range_reference_t<Inputs>>>::type;
  using iterator = std::ranges::iterator_t<Inputs>;
  struct shared_cursor {
    iterator next;
    std::ranges::sentinel_t<Inputs> end;
    std::size_t index = 0;
    std::vector<std::optional<result<value_type>>> slots;
  };
  shared_cursor cursor{std::ranges::begin(inputs), std::ranges::end(inputs), 0, {}};
  if constexpr (std::ranges::sized_range<Inputs>) cursor.slots.reserve(std::ranges::size(inputs));

  // Each worker takes the next input until none is left, so at most `max_in_flight` run at once.
  auto worker = [](shared_cursor& shared, Function& call) -> task<void> {
    while (shared.next != shared.end) {
      const std::size_t index = shared.index++;
      shared.slots.emplace_back();
      std::optional<result<value_type>> produced;
      if constexpr (std::ranges::forward_range<Inputs>) {
        auto&& input = *shared.next;  // stays valid in the range while the task runs
        ++shared.next;
        co_await detail::store_result<value_type>(call(input), produced);
      } else {
        // An input-only range (a stream) overwrites its element when it advances, which the
        // other workers do while this task runs: the task gets a copy of its own.
        std::ranges::range_value_t<Inputs> input(*shared.next);
        ++shared.next;
        co_await detail::store_result<value_type>(call(input), produced);
      }
      shared.slots[index] = std::move(produced);
    }
  };
  std::vector<task<void>> workers;
  const std::size_t count = max_in_flight == 0 ? 1 : max_in_flight;
  for (std::size_t index = 0; index < count; ++index) workers.push_back(worker(cursor, function));
  co_await detail::join_all(co_await asio::this_coro::executor, std::move(workers));

  std::vector<result<value_type>> results;
  results.reserve(cursor.slots.size());
  for (auto& slot : cursor.slots) results.push_back(std::move(*slot));
  co_return results;
}

}  // namespace asyncrest
