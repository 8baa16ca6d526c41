// The hub over real threads: four io_contexts on four threads, subscribers on each, publishers on
// each and on a foreign thread. Order per publisher, unsubscribing while deliveries arrive,
// cancelled waits, slow consumers under both policies, close, and the hub outliving or dying
// before the stopped io_contexts.
#include <asyncrest/server/hub.hpp>

#include <doctest/doctest.h>
#include <support/wait_until.hpp>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::testing::wait_until;

constexpr int thread_count = 4;

/// Four event loops, each run by its own thread until stopped.
class event_loops {
 public:
  event_loops() {
    for (int each = 0; each < thread_count; ++each) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    for (auto& context : contexts_) threads_.emplace_back([&context] { context->run(); });
  }
  event_loops(const event_loops&) = delete;
  event_loops& operator=(const event_loops&) = delete;
  ~event_loops() {
    stop();
    destroy();
  }

  asio::io_context& operator[](int index) { return *contexts_[static_cast<std::size_t>(index)]; }

  /// Lets each loop return once it has nothing left to do; returns when every thread has.
  void finish() {
    guards_.clear();
    join();
  }
  /// Stops every loop now, work or not.
  void stop() {
    for (auto& context : contexts_) context->stop();
    join();
  }
  void destroy() {
    guards_.clear();
    contexts_.clear();
  }

 private:
  void join() {
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

void rethrow(const std::exception_ptr& failure) {
  if (failure) std::rethrow_exception(failure);
}

/// A message: who published it and its number, "3:17".
std::string message_of(int publisher, int number) { return std::to_string(publisher) + ":" + std::to_string(number); }

/// Whether `received` holds, for each publisher, its numbers 0, 1, 2... in order with none
/// missing (`complete`) or a gapless prefix of them.
bool in_publish_order(const std::vector<std::string>& received, int publishers, int per_publisher, bool complete) {
  std::map<int, int> next_expected;
  for (const std::string& message : received) {
    const auto colon = message.find(':');
    const int publisher = std::stoi(message.substr(0, colon));
    const int number = std::stoi(message.substr(colon + 1));
    if (number != next_expected[publisher]) return false;
    ++next_expected[publisher];
  }
  if (!complete) return true;
  for (int publisher = 0; publisher < publishers; ++publisher) {
    if (next_expected[publisher] != per_publisher) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("hub fan-out: every subscriber on every thread gets every message, in order per publisher") {
  constexpr int per_thread = 3;
  constexpr int per_publisher = 2000;
  constexpr int publishers = thread_count + 1;  // one per thread and a foreign one
  constexpr int total = publishers * per_publisher;
  // Room for everything: this test is about delivery, not overflow.
  ar::hub<> rooms{{.queue_capacity = total, .when_full = ar::overflow_policy::drop_subscriber}};
  event_loops loops;

  struct reader {
    std::vector<std::string> received;
    ar::subscription_end reason = ar::subscription_end::open;
    int cancelled_waits = 0;
  };
  // Per thread: readers, one reader whose waits are interrupted by a timer, and a pair where one
  // destroys the other's subscription in the middle of the deliveries.
  std::vector<reader> readers(thread_count * per_thread);
  std::vector<reader> interrupted(thread_count);
  std::vector<reader> victims(thread_count);
  std::vector<std::optional<ar::subscription<std::string>>> victim_subscriptions(thread_count);
  std::atomic<int> finished{0};

  for (int thread = 0; thread < thread_count; ++thread) {
    auto executor = loops[thread].get_executor();
    for (int each = 0; each < per_thread; ++each) {
      reader& mine = readers[static_cast<std::size_t>(thread * per_thread + each)];
      asio::co_spawn(
          executor,
          [&rooms, &mine, &finished]() -> ar::task<void> {
            auto subscription = rooms.subscribe("room", co_await asio::this_coro::executor);
            while (auto message = co_await subscription.next()) mine.received.push_back(*message);
            mine.reason = subscription.end_reason();
            ++finished;
          },
          rethrow);
    }
    reader& impatient = interrupted[static_cast<std::size_t>(thread)];
    asio::co_spawn(
        executor,
        [&rooms, &impatient, &finished]() -> ar::task<void> {
          using namespace asio::experimental::awaitable_operators;
          const auto own_executor = co_await asio::this_coro::executor;
          auto subscription = rooms.subscribe("room", own_executor);
          while (subscription.is_open() || subscription.queued() != 0) {
            asio::steady_timer impatience(own_executor, std::chrono::microseconds(200));
            auto outcome = co_await (subscription.next() || impatience.async_wait(asio::use_awaitable));
            if (outcome.index() == 1) {
              ++impatient.cancelled_waits;  // the wait was cancelled: nothing may be lost by it
            } else if (auto& message = std::get<0>(outcome)) {
              impatient.received.push_back(*message);
            }
          }
          impatient.reason = subscription.end_reason();
          ++finished;
        },
        rethrow);
    reader& victim = victims[static_cast<std::size_t>(thread)];
    auto& victim_subscription = victim_subscriptions[static_cast<std::size_t>(thread)];
    asio::co_spawn(
        executor,
        [&rooms, &victim, &victim_subscription, &finished]() -> ar::task<void> {
          victim_subscription.emplace(rooms.subscribe("room", co_await asio::this_coro::executor));
          auto& subscription = *victim_subscription;  // destroyed by the killer below, mid-stream
          while (auto message = co_await subscription.next()) victim.received.push_back(*message);
          ++finished;
        },
        rethrow);
    asio::co_spawn(
        executor,
        [&rooms, &victim_subscription]() -> ar::task<void> {
          auto subscription = rooms.subscribe("room", co_await asio::this_coro::executor);
          for (int count = 0; count < 100; ++count) (void)co_await subscription.next();
          victim_subscription.reset();  // unsubscribes another subscriber while deliveries arrive
          // and leaves itself, at the end of this scope
        },
        rethrow);
  }
  constexpr int subscribers_per_thread = per_thread + 3;
  REQUIRE(wait_until([&] { return rooms.subscribers("room") == thread_count * subscribers_per_thread; }));

  // Publishers: one coroutine on each thread, and a thread of their own.
  for (int thread = 0; thread < thread_count; ++thread) {
    asio::co_spawn(
        loops[thread],
        [&rooms, thread]() -> ar::task<void> {
          for (int number = 0; number < per_publisher; ++number) {
            rooms.publish("room", message_of(thread, number));
            if (number % 64 == 0) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
          }
        },
        rethrow);
  }
  std::thread foreign([&rooms] {
    for (int number = 0; number < per_publisher; ++number) rooms.publish("room", message_of(thread_count, number));
  });
  foreign.join();

  // Everything published reaches every reader that stays; then close() ends them while they wait.
  REQUIRE(wait_until([&] { return rooms.statistics().published == total; }));
  REQUIRE(wait_until([&] { return rooms.subscribers("room") == thread_count * (per_thread + 1); }));
  // Every delivery is posted by now (publish posts before it returns): close() ends each reader
  // after what was published before it.
  rooms.close();
  REQUIRE(wait_until([&] { return finished.load() == thread_count * (per_thread + 2); }, std::chrono::seconds(60)));
  loops.finish();  // the loops return: nothing is left waiting on them

  for (std::size_t index = 0; index < readers.size(); ++index) {
    const reader& each = readers[index];
    CHECK(each.received.size() == static_cast<std::size_t>(total));
    CHECK(in_publish_order(each.received, publishers, per_publisher, true));
    // The readers of one thread see one order (threads may interleave publishers differently).
    CHECK(each.received == readers[index - index % per_thread].received);
    CHECK(each.reason == ar::subscription_end::hub_closed);
  }
  for (std::size_t thread = 0; thread < interrupted.size(); ++thread) {
    // Cancelled waits lost nothing, and took nothing out of order.
    CHECK(interrupted[thread].received == readers[thread * per_thread].received);
    CHECK(interrupted[thread].reason == ar::subscription_end::hub_closed);
  }
  for (const reader& each : victims) {
    CHECK(in_publish_order(each.received, publishers, per_publisher, false));
    CHECK(each.received.size() < static_cast<std::size_t>(total));
  }
  const ar::hub_statistics counts = rooms.statistics();
  CHECK(counts.published == static_cast<std::uint64_t>(total));
  CHECK(counts.dropped_messages == 0);
  CHECK(counts.dropped_subscribers == 0);
  CHECK(counts.subscribers == 0);
  CHECK(counts.topics == 0);
}

TEST_CASE("hub fan-out: slow consumers that never read, on every thread, under each policy") {
  constexpr int per_publisher = 1000;
  constexpr std::size_t capacity = 8;
  for (const ar::overflow_policy policy : {ar::overflow_policy::drop_oldest, ar::overflow_policy::drop_subscriber}) {
    CAPTURE(static_cast<int>(policy));
    ar::hub<> rooms{{.queue_capacity = capacity, .when_full = policy}};
    event_loops loops;
    std::vector<std::optional<ar::subscription<std::string>>> sleepers(thread_count);
    // A subscription, like any Asio I/O object, goes before its io_context, and after its
    // thread has stopped: on every way out of this scope.
    struct in_order {
      event_loops& loops;
      std::vector<std::optional<ar::subscription<std::string>>>& sleepers;
      ~in_order() {
        loops.stop();
        sleepers.clear();
      }
    } cleanup{loops, sleepers};
    std::atomic<std::size_t> largest_queue{0};
    for (int thread = 0; thread < thread_count; ++thread) {
      asio::post(loops[thread], [&rooms, &loops, &sleepers, thread] {
        sleepers[static_cast<std::size_t>(thread)].emplace(rooms.subscribe("busy", loops[thread].get_executor()));
      });
    }
    REQUIRE(wait_until([&] { return rooms.subscribers("busy") == thread_count; }));
    std::vector<std::thread> publishers;
    for (int publisher = 0; publisher < thread_count; ++publisher) {
      publishers.emplace_back([&rooms, &loops, &sleepers, &largest_queue, publisher] {
        for (int number = 0; number < per_publisher; ++number) {
          rooms.publish("busy", message_of(publisher, number));
          if (number % 100 == 0) {
            // The queue as its own thread sees it, while the topic is busy.
            asio::post(loops[publisher], [&sleepers, &largest_queue, publisher] {
              const std::size_t queued = sleepers[static_cast<std::size_t>(publisher)]->queued();
              std::size_t seen = largest_queue.load();
              while (queued > seen && !largest_queue.compare_exchange_weak(seen, queued)) {
              }
            });
          }
        }
      });
    }
    for (auto& publisher : publishers) publisher.join();
    const std::uint64_t total = thread_count * per_publisher;
    REQUIRE(wait_until([&] {
      const ar::hub_statistics counts = rooms.statistics();
      return policy == ar::overflow_policy::drop_oldest
                 ? counts.delivered == thread_count * total
                 : counts.dropped_subscribers == static_cast<std::uint64_t>(thread_count);
    }));
    loops.stop();  // joined: the subscriptions can be read from here

    CHECK(largest_queue.load() <= capacity);
    for (auto& sleeper : sleepers) {
      if (policy == ar::overflow_policy::drop_oldest) {
        CHECK(sleeper->is_open());
        CHECK(sleeper->queued() == capacity);
        CHECK(sleeper->dropped() == total - capacity);
      } else {
        CHECK(sleeper->end_reason() == ar::subscription_end::fell_behind);
        CHECK(sleeper->queued() == 0);
      }
    }
    const ar::hub_statistics counts = rooms.statistics();
    if (policy == ar::overflow_policy::drop_oldest) {
      CHECK(counts.dropped_messages == thread_count * (total - capacity));
    } else {
      CHECK(counts.subscribers == 0);
      CHECK(counts.delivered == thread_count * capacity);
    }
  }
}

TEST_CASE("hub fan-out: the hub destroyed after its io_contexts stopped, and io_contexts destroyed before the hub") {
  for (const bool hub_first : {true, false}) {
    CAPTURE(hub_first);
    auto rooms = std::make_unique<ar::hub<>>();
    event_loops loops;
    for (int thread = 0; thread < thread_count; ++thread) {
      for (int each = 0; each < 10; ++each) {
        asio::co_spawn(
            loops[thread],
            [&rooms]() -> ar::task<void> {
              auto subscription = rooms->subscribe("room", co_await asio::this_coro::executor);
              while (co_await subscription.next()) {
              }
            },
            rethrow);
      }
    }
    REQUIRE(wait_until([&] { return rooms->subscribers("room") == thread_count * 10; }));
    for (int number = 0; number < 100; ++number) rooms->publish("room", message_of(9, number));
    loops.stop();  // waiters still suspended, deliveries perhaps still posted
    if (hub_first) {
      rooms.reset();    // posts the ends to stopped loops
      loops.destroy();  // destroys them unrun, with the waiting coroutines
    } else {
      loops.destroy();  // the subscriptions unsubscribe as their coroutines are destroyed
      CHECK(rooms->subscribers("room") == 0);
      rooms->publish("room", std::string("nobody left"));
      rooms.reset();
    }
  }
}
