// The hub's fan-out: `subscribers` coroutines spread over `threads` event loops wait on one topic;
// each round publishes one message from the main thread and times it until the last subscriber
// has it. Also the heap held per idle subscriber (its coroutine frame, subscription, queue and
// pending wait), and the delivery rate of a burst.
//   hub_benchmark [subscribers] [rounds] [threads]
#include <asyncrest/server/hub.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using steady = std::chrono::steady_clock;

namespace {

/// What one thread's subscribers report; written by that thread, read by the main thread.
struct alignas(64) thread_tally {
  std::size_t subscribers = 0;  // on this thread; set before it runs
  std::size_t received = 0;     // by this thread's subscribers, touched by this thread only
  std::atomic<std::size_t> subscribed{0};
  std::atomic<std::uint64_t> messages_complete{0};  // messages every subscriber here has
  std::atomic<std::int64_t> last_arrival{0};        // steady_clock nanoseconds
};

ar::task<void> listen(ar::hub<>& rooms, thread_tally& tally) {
  auto subscription = rooms.subscribe("room", co_await asio::this_coro::executor);
  tally.subscribed.fetch_add(1, std::memory_order_relaxed);
  while (auto message = co_await subscription.next()) {
    if (++tally.received % tally.subscribers == 0) {
      tally.last_arrival.store(steady::now().time_since_epoch().count(), std::memory_order_relaxed);
      tally.messages_complete.fetch_add(1, std::memory_order_release);
      tally.messages_complete.notify_one();
    }
  }
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

void wait_for(const std::vector<std::unique_ptr<thread_tally>>& tallies, std::uint64_t messages) {
  // Asleep, not spinning: the main thread must not take a core from the loops.
  for (const auto& tally : tallies) {
    for (std::uint64_t seen = tally->messages_complete.load(std::memory_order_acquire); seen < messages;
         seen = tally->messages_complete.load(std::memory_order_acquire)) {
      tally->messages_complete.wait(seen, std::memory_order_acquire);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t subscribers = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 200;
  const std::size_t thread_count = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2;
  if (subscribers < thread_count || rounds < 1 || thread_count < 1) {
    std::fprintf(stderr, "usage: %s [subscribers >= threads] [rounds >= 1] [threads >= 1]\n", argv[0]);
    return 2;
  }
  constexpr std::size_t burst = 100;
  ar::hub<> rooms{{.queue_capacity = burst}};

  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::unique_ptr<thread_tally>> tallies;
  for (std::size_t index = 0; index < thread_count; ++index) {
    loops.push_back(std::make_unique<asio::io_context>(1));
    guards.emplace_back(loops.back()->get_executor());
    tallies.push_back(std::make_unique<thread_tally>());
    tallies.back()->subscribers = subscribers / thread_count + (index < subscribers % thread_count ? 1 : 0);
  }

  // Idle memory: the heap before and after every subscriber waits in next(), none yet woken.
  const std::size_t heap_before = heap_in_use();
  for (std::size_t index = 0; index < thread_count; ++index) {
    for (std::size_t each = 0; each < tallies[index]->subscribers; ++each) {
      asio::co_spawn(*loops[index], listen(rooms, *tallies[index]), asio::detached);
    }
  }
  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([&loop] { loop->run(); });
  while (rooms.subscribers("room") < subscribers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::size_t heap_idle = heap_in_use();

  // Rounds: one message, timed to the last subscriber's arrival.
  std::vector<double> latencies;
  auto message = std::make_shared<const std::string>(R"({"from":"ada","text":"hello, room"})");
  for (int round = 1; round <= rounds; ++round) {
    const auto start = steady::now();
    rooms.publish("room", message);
    wait_for(tallies, static_cast<std::uint64_t>(round));
    std::int64_t last = 0;
    for (const auto& tally : tallies) last = std::max(last, tally->last_arrival.load(std::memory_order_relaxed));
    latencies.push_back(static_cast<double>(last - start.time_since_epoch().count()) / 1000.0);
  }
  std::sort(latencies.begin(), latencies.end());
  const std::size_t heap_after_rounds = heap_in_use();

  // A burst: `burst` messages published back to back (each queue holds them all).
  const auto burst_start = steady::now();
  for (std::size_t index = 0; index < burst; ++index) rooms.publish("room", message);
  wait_for(tallies, static_cast<std::uint64_t>(rounds) + burst);
  const double burst_seconds = std::chrono::duration<double>(steady::now() - burst_start).count();

  rooms.close();
  guards.clear();
  for (auto& thread : threads) thread.join();

  const auto per_subscriber = [&](std::size_t heap) {
    return static_cast<double>(heap - heap_before) / static_cast<double>(subscribers);
  };
  std::printf("hub: %zu subscribers on %zu threads, %d rounds\n", subscribers, thread_count, rounds);
  std::printf("  publish to the last subscriber: median %.0f us, min %.0f us, p90 %.0f us, max %.0f us\n",
              latencies[latencies.size() / 2], latencies.front(), latencies[latencies.size() * 9 / 10],
              latencies.back());
  std::printf("  heap per idle subscriber: %.0f bytes before any message, %.0f bytes after %d rounds\n",
              per_subscriber(heap_idle), per_subscriber(heap_after_rounds), rounds);
  std::printf("  burst of %zu messages: %.1f ms, %.1f million deliveries/s\n", burst, burst_seconds * 1000.0,
              static_cast<double>(burst * subscribers) / burst_seconds / 1e6);
  return 0;
}
