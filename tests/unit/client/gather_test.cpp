// gather, when_all and bounded_map on plain tasks: order, failures, limits, cancellation.
#include <asyncrest/client/gather.hpp>

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <istream>
#include <iterator>
#include <ranges>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

template <class Body>
void run(Body body) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, body(), [&](std::exception_ptr error) { failure = error; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

ar::task<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

ar::task<int> late_value(int value, std::chrono::milliseconds delay) {
  co_await pause(delay);
  co_return value;
}

ar::task<std::string> failing(std::string why) {
  co_await pause(1ms);
  throw std::runtime_error(why);
}

}  // namespace

TEST_CASE("gather keeps order and each task's own outcome") {
  run([]() -> ar::task<void> {
    auto [slow, broken, fast, nothing] =
        co_await ar::gather(late_value(1, 20ms), failing("no"), late_value(3, 1ms), pause(1ms));
    CHECK(*slow == 1);
    REQUIRE(!broken);
    CHECK(broken.error_details().message == "no");
    CHECK_THROWS_AS(broken.value(), std::runtime_error);
    CHECK(fast.value() == 3);
    CHECK(nothing.has_value());
  });
}

TEST_CASE("when_all over a vector, empty included") {
  run([]() -> ar::task<void> {
    std::vector<ar::task<int>> tasks;
    for (int index = 0; index < 50; ++index) tasks.push_back(late_value(index, std::chrono::milliseconds(50 - index)));
    auto results = co_await ar::when_all(std::move(tasks));
    REQUIRE(results.size() == 50);
    for (int index = 0; index < 50; ++index) CHECK(*results[static_cast<std::size_t>(index)] == index);
    auto none = co_await ar::when_all(std::vector<ar::task<int>>{});
    CHECK(none.empty());
  });
}

TEST_CASE("bounded_map with a limit of zero runs one at a time") {
  run([]() -> ar::task<void> {
    int in_flight = 0;
    int most = 0;
    const std::vector<int> inputs{1, 2, 3};
    auto results = co_await ar::bounded_map(inputs, 0, [&](int value) -> ar::task<int> {
      most = std::max(most, ++in_flight);
      co_await pause(1ms);
      --in_flight;
      co_return value + 1;
    });
    CHECK(most == 1);
    CHECK(*results[2] == 4);
  });
}

/// Numbers read from a stream, as an input-only range whose element is overwritten when it
/// advances, as std::views::istream's is (which clang 14 cannot use with libstdc++ 12).
class stream_numbers {
 public:
  explicit stream_numbers(std::istream& in) : in_(&in) {}

  struct iterator {
    using difference_type = std::ptrdiff_t;
    using value_type = int;
    stream_numbers* owner = nullptr;
    const int& operator*() const { return owner->current_; }
    iterator& operator++() {
      owner->read();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !owner->good_; }
  };

  iterator begin() {
    read();
    return {this};
  }
  [[nodiscard]] std::default_sentinel_t end() const { return {}; }

 private:
  void read() { good_ = static_cast<bool>(*in_ >> current_); }

  std::istream* in_;
  int current_ = 0;
  bool good_ = false;
};
static_assert(std::ranges::input_range<stream_numbers> && !std::ranges::forward_range<stream_numbers>);

TEST_CASE("bounded_map over an input-only range gives each task its own element") {
  // The iterator overwrites its element when it advances, which the other workers do while a
  // task still runs.
  for (const std::size_t limit : {std::size_t{1}, std::size_t{2}, std::size_t{8}}) {
    CAPTURE(limit);
    run([limit]() -> ar::task<void> {
      std::istringstream numbers("10 20 30 40");
      auto results = co_await ar::bounded_map(stream_numbers(numbers), limit, [](const int& value) -> ar::task<int> {
        co_await pause(1ms);  // the others advance meanwhile
        co_return value;
      });
      REQUIRE(results.size() == 4);
      for (std::size_t index = 0; index < 4; ++index) CHECK(*results[index] == static_cast<int>(10 * (index + 1)));
    });
  }
}

/// Waits `delay`, recording whether the wait ended by cancellation.
ar::task<int> cancellable_value(int value, std::chrono::milliseconds delay, int& cancelled) {
  try {
    co_await pause(delay);
  } catch (const asio::system_error& error) {
    if (error.code() == asio::error::operation_aborted) ++cancelled;
    throw;
  }
  co_return value;
}

TEST_CASE("cancelling the awaiting coroutine cancels the gathered tasks") {
  using namespace asio::experimental::awaitable_operators;
  run([]() -> ar::task<void> {
    int cancelled = 0;
    asio::steady_timer timer(co_await asio::this_coro::executor, 10ms);
    auto winner = co_await (ar::gather(cancellable_value(1, 2s, cancelled), cancellable_value(2, 2s, cancelled)) ||
                            timer.async_wait(asio::use_awaitable));
    CHECK(winner.index() == 1);
    // Each task saw the cancellation: finishing its wait instead would leave this at 0.
    CHECK(cancelled == 2);
  });
}
