// The hub on one thread: order, the two overflow policies, close, cancellation of next(),
// unsubscribing, and lifetimes (hub before io_context, io_context before subscriptions).
#include <asyncrest/server/hub.hpp>

#include <doctest/doctest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace {

namespace ar = asyncrest;

/// Runs `coroutine` on `io` until nothing is left to do; its exception fails the test.
template <class Coroutine>
void run(asio::io_context& io, Coroutine coroutine) {
  asio::co_spawn(io, std::move(coroutine), [](const std::exception_ptr& failure) {
    if (failure) std::rethrow_exception(failure);
  });
  io.restart();
  io.run();
}

/// Reads until the subscription ends.
ar::task<std::vector<std::string>> read_all(ar::subscription<std::string>& subscription) {
  std::vector<std::string> received;
  while (auto message = co_await subscription.next()) received.push_back(*message);
  co_return received;
}

std::vector<std::string> numbered(int first, int end) {
  std::vector<std::string> messages;
  for (int number = first; number < end; ++number) messages.push_back(std::to_string(number));
  return messages;
}

}  // namespace

TEST_CASE("hub: every subscriber of a topic gets every message in publish order, and no other topic's") {
  asio::io_context io;
  ar::hub<> rooms;
  std::vector<std::string> first, second, other;
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto one = rooms.subscribe("lobby", executor);
    auto two = rooms.subscribe("lobby", executor);
    auto elsewhere = rooms.subscribe("kitchen", executor);
    CHECK(rooms.subscribers("lobby") == 2);
    CHECK(rooms.subscribers("kitchen") == 1);
    CHECK(rooms.subscribers("attic") == 0);
    for (const std::string& message : numbered(0, 20)) rooms.publish("lobby", message);
    rooms.publish("kitchen", std::string("soup"));
    rooms.publish("attic", std::string("nobody"));  // no subscribers: nothing happens
    rooms.close();
    first = co_await read_all(one);
    second = co_await read_all(two);
    other = co_await read_all(elsewhere);
  });
  // close() ends each subscription on its thread, after the deliveries posted before it.
  CHECK(first == numbered(0, 20));
  CHECK(second == numbered(0, 20));
  CHECK(other == std::vector<std::string>{"soup"});
  const ar::hub_statistics counts = rooms.statistics();
  CHECK(counts.published == 22);
  CHECK(counts.delivered == 41);
  CHECK(counts.dropped_messages == 0);
  CHECK(counts.topics == 0);
  CHECK(counts.subscribers == 0);
}

TEST_CASE("hub: a message is shared by its subscribers, not copied") {
  asio::io_context io;
  ar::hub<> rooms;
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto one = rooms.subscribe("t", executor);
    auto two = rooms.subscribe("t", executor);
    auto message = std::make_shared<const std::string>("shared");
    rooms.publish("t", message);
    auto received_one = co_await one.next();
    auto received_two = co_await two.next();
    CHECK(received_one.get() == message.get());
    CHECK(received_two.get() == message.get());
  });
}

TEST_CASE("hub: try_next takes what is queued without waiting") {
  asio::io_context io;
  ar::hub<> rooms;
  run(io, [&]() -> ar::task<void> {
    auto subscription = rooms.subscribe("t", co_await asio::this_coro::executor);
    CHECK(subscription.try_next() == nullptr);
    rooms.publish("t", std::string("a"));
    rooms.publish("t", std::string("b"));
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);  // the delivery runs
    CHECK(subscription.queued() == 2);
    auto a = subscription.try_next();
    auto b = subscription.try_next();
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(*a == "a");
    CHECK(*b == "b");
    CHECK(subscription.try_next() == nullptr);
  });
}

TEST_CASE("hub: a slow consumer under drop_oldest keeps the newest messages, at the bound, and counts the rest") {
  asio::io_context io;
  ar::hub<> rooms{{.queue_capacity = 4, .when_full = ar::overflow_policy::drop_oldest}};
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto slow = rooms.subscribe("t", executor);
    auto fast = rooms.subscribe("t", executor);
    std::vector<std::string> fast_received;
    for (int number = 0; number < 1000; ++number) {
      rooms.publish("t", std::to_string(number));
      co_await asio::post(executor, asio::use_awaitable);
      CHECK(slow.queued() <= 4);
      while (auto message = fast.try_next()) fast_received.push_back(*message);
    }
    CHECK(fast_received == numbered(0, 1000));
    CHECK(fast.dropped() == 0);
    CHECK(slow.is_open());
    CHECK(slow.queued() == 4);
    CHECK(slow.dropped() == 996);
    std::vector<std::string> kept;
    while (auto message = slow.try_next()) kept.push_back(*message);
    CHECK(kept == numbered(996, 1000));
    CHECK(rooms.statistics().dropped_messages == 996);
  });
}

TEST_CASE("hub: a slow consumer under drop_subscriber is ended with its reason, its queue at the bound until then") {
  asio::io_context io;
  ar::hub<> rooms{{.queue_capacity = 4, .when_full = ar::overflow_policy::drop_subscriber}};
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto slow = rooms.subscribe("t", executor);
    auto fast = rooms.subscribe("t", executor);
    for (int number = 0; number < 4; ++number) rooms.publish("t", std::to_string(number));
    co_await asio::post(executor, asio::use_awaitable);
    CHECK(slow.is_open());
    CHECK(slow.queued() == 4);
    while (fast.try_next() != nullptr) {
    }
    rooms.publish("t", std::string("one too many"));
    co_await asio::post(executor, asio::use_awaitable);
    CHECK(slow.end_reason() == ar::subscription_end::fell_behind);
    CHECK(slow.queued() == 0);  // its memory is given back at once
    const auto after_the_end = co_await slow.next();
    CHECK(after_the_end == nullptr);  // what it had queued went with it
    CHECK(fast.is_open());
    auto last = co_await fast.next();
    REQUIRE(last != nullptr);
    CHECK(*last == "one too many");
    CHECK(rooms.subscribers("t") == 1);
    CHECK(rooms.statistics().dropped_subscribers == 1);
  });
}

TEST_CASE("hub: close() of a subscription wakes its pending next() from another coroutine with null") {
  asio::io_context io;
  ar::hub<> rooms;
  std::optional<ar::subscription<std::string>> subscription;
  bool sender_ended = false;
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    subscription.emplace(rooms.subscribe("t", executor));
    // The "sending loop" waits; the "receiving loop" ends it.
    asio::co_spawn(
        executor,
        [&]() -> ar::task<void> {
          while (co_await subscription->next()) {
          }
          sender_ended = true;
        },
        [](const std::exception_ptr& failure) {
          if (failure) std::rethrow_exception(failure);
        });
    co_await asio::post(executor, asio::use_awaitable);
    CHECK_FALSE(sender_ended);
    subscription->close();
    co_await asio::post(executor, asio::use_awaitable);
  });
  CHECK(sender_ended);
  CHECK(subscription->end_reason() == ar::subscription_end::closed);
  CHECK(rooms.subscribers("t") == 0);
}

TEST_CASE("hub: a subscription destroyed while another coroutine waits on it wakes that coroutine with null") {
  asio::io_context io;
  ar::hub<> rooms;
  auto subscription = std::make_unique<ar::subscription<std::string>>(rooms.subscribe("t", io.get_executor()));
  bool woken_with_null = false;
  asio::co_spawn(
      io,
      [&]() -> ar::task<void> {
        auto& waited_on = *subscription;  // the reference dangles once destroyed; the wait does not
        woken_with_null = co_await waited_on.next() == nullptr;
      },
      [](const std::exception_ptr& failure) {
        if (failure) std::rethrow_exception(failure);
      });
  asio::post(io, [&] { subscription.reset(); });
  io.run();
  CHECK(woken_with_null);
  CHECK(rooms.subscribers("t") == 0);
}

TEST_CASE("hub: terminal cancellation ends next() with operation_aborted and leaves the subscription open") {
  asio::io_context io;
  ar::hub<> rooms;
  auto subscription = rooms.subscribe("t", io.get_executor());
  asio::cancellation_signal cancel;
  std::optional<std::error_code> result;
  subscription.async_next(asio::bind_cancellation_slot(
      cancel.slot(), [&](std::error_code error, const std::shared_ptr<const std::string>& message) {
        result = error;
        CHECK(message == nullptr);
      }));
  io.poll();
  CHECK_FALSE(result.has_value());
  cancel.emit(asio::cancellation_type::terminal);
  io.run();
  REQUIRE(result.has_value());
  CHECK(*result == asio::error::operation_aborted);
  CHECK(subscription.is_open());
  // The subscription goes on: the next wait gets the next message.
  rooms.publish("t", std::string("after"));
  std::shared_ptr<const std::string> received;
  subscription.async_next([&](std::error_code error, std::shared_ptr<const std::string> message) {
    CHECK_FALSE(error);
    received = std::move(message);
  });
  io.restart();
  io.run();
  REQUIRE(received != nullptr);
  CHECK(*received == "after");
}

TEST_CASE("hub: a coroutine's cancellation (operator ||) reaches next(), which throws operation_aborted") {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  ar::hub<> rooms;
  run(io, [&]() -> ar::task<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto subscription = rooms.subscribe("t", executor);
    asio::steady_timer soon(executor, std::chrono::milliseconds(1));
    // The timer wins, which cancels the wait; a cancelled awaitable operation throws.
    const auto winner = co_await (subscription.next() || soon.async_wait(asio::use_awaitable));
    CHECK(winner.index() == 1);
    CHECK(subscription.is_open());
    rooms.publish("t", std::string("still here"));
    auto message = co_await subscription.next();
    REQUIRE(message != nullptr);
    CHECK(*message == "still here");
  });
}

TEST_CASE("hub: a second next() while one waits completes with already_started") {
  asio::io_context io;
  ar::hub<> rooms;
  auto subscription = rooms.subscribe("t", io.get_executor());
  std::error_code first_error = asio::error::would_block;
  std::error_code second_error;
  subscription.async_next(
      [&](std::error_code error, const std::shared_ptr<const std::string>&) { first_error = error; });
  subscription.async_next(
      [&](std::error_code error, const std::shared_ptr<const std::string>&) { second_error = error; });
  io.poll();
  CHECK(second_error == asio::error::already_started);
  subscription.close();
  io.run();
  CHECK_FALSE(first_error);
}

TEST_CASE("hub: close() of the hub ends waiting subscriptions; later subscriptions are born ended, publishes ignored") {
  asio::io_context io;
  ar::hub<> rooms;
  std::vector<std::string> received;
  ar::subscription_end reason = ar::subscription_end::open;
  asio::co_spawn(
      io,
      [&]() -> ar::task<void> {
        auto subscription = rooms.subscribe("t", co_await asio::this_coro::executor);
        received = co_await read_all(subscription);
        reason = subscription.end_reason();
      },
      [](const std::exception_ptr& failure) {
        if (failure) std::rethrow_exception(failure);
      });
  io.poll();
  rooms.close();
  CHECK(rooms.is_closed());
  rooms.publish("t", std::string("too late"));
  io.run();
  CHECK(received.empty());
  CHECK(reason == ar::subscription_end::hub_closed);
  auto late = rooms.subscribe("t", io.get_executor());
  CHECK(late.end_reason() == ar::subscription_end::hub_closed);
  CHECK(rooms.statistics().published == 0);
  rooms.close();  // twice: nothing
}

TEST_CASE("hub: destroying a subscription unsubscribes; a delivery posted before is dropped safely") {
  asio::io_context io;
  ar::hub<> rooms;
  {
    auto subscription = rooms.subscribe("t", io.get_executor());
    CHECK(rooms.subscribers("t") == 1);
    rooms.publish("t", std::string("posted, never delivered"));
  }
  CHECK(rooms.subscribers("t") == 0);
  CHECK(rooms.statistics().topics == 0);
  io.run();  // the delivery finds no subscriber
  CHECK(rooms.statistics().delivered == 0);
  rooms.publish("t", std::string("nobody"));
  CHECK(io.poll() == 0);  // nothing posted to a thread without subscribers
}

TEST_CASE("hub: a subscription moved keeps its place; the one it replaces unsubscribes") {
  asio::io_context io;
  ar::hub<> rooms;
  auto first = rooms.subscribe("a", io.get_executor());
  auto second = rooms.subscribe("b", io.get_executor());
  ar::subscription<std::string> moved = std::move(first);
  CHECK(first.end_reason() == ar::subscription_end::closed);
  CHECK_THROWS_AS((void)first.async_next([](std::error_code, const std::shared_ptr<const std::string>&) {}),
                  std::logic_error);
  CHECK(moved.is_open());
  moved = std::move(second);
  CHECK(rooms.subscribers("a") == 0);
  CHECK(rooms.subscribers("b") == 1);
}

TEST_CASE("hub: the hub destroyed before the io_context runs what it posted; the io_context destroyed with waiters") {
  auto io = std::make_unique<asio::io_context>();
  int ended = 0;
  {
    ar::hub<> rooms;
    for (int each = 0; each < 3; ++each) {
      asio::co_spawn(
          *io,
          [&rooms, &ended]() -> ar::task<void> {
            auto subscription = rooms.subscribe("t", co_await asio::this_coro::executor);
            while (co_await subscription.next()) {
            }
            ++ended;
          },
          [](const std::exception_ptr& failure) {
            if (failure) std::rethrow_exception(failure);
          });
    }
    io->poll();
    rooms.publish("t", std::string("in flight"));
  }  // the hub closes: ends are posted after the delivery
  io->run();
  CHECK(ended == 3);

  // Coroutines still waiting when their io_context is destroyed are destroyed with it, and
  // unsubscribe as they go.
  ar::hub<> rooms;
  auto other = std::make_unique<asio::io_context>();
  for (int each = 0; each < 3; ++each) {
    asio::co_spawn(
        *other,
        [&rooms]() -> ar::task<void> {
          auto subscription = rooms.subscribe("t", co_await asio::this_coro::executor);
          while (co_await subscription.next()) {
          }
        },
        [](const std::exception_ptr&) {});
  }
  other->poll();
  CHECK(rooms.subscribers("t") == 3);
  other.reset();
  CHECK(rooms.subscribers("t") == 0);
  rooms.publish("t", std::string("nobody left"));
}

TEST_CASE("hub: bad input is refused with a clear answer") {
  CHECK_THROWS_AS(ar::hub<>({.queue_capacity = 0}), std::invalid_argument);
  ar::hub<> rooms;
  CHECK_THROWS_AS(rooms.publish("t", std::shared_ptr<const std::string>()), std::invalid_argument);
}
