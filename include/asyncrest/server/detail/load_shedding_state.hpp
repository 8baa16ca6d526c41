// The load shedding middleware's state: the count in flight (one relaxed atomic on a cache line
// of its own), a slot held while a request is handled, the refusals and their per-thread counts.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/server/detail/per_thread.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace asyncrest::detail {

/// One thread's refusals, added by its thread with a relaxed load and store.
struct alignas(64) load_shedding_counts {
  std::atomic<std::uint64_t> refused_in_flight{0};
  std::atomic<std::uint64_t> refused_queue_time{0};
};

/// A place among the requests in flight, given back when the request's handling ends (or its
/// coroutine is destroyed). Empty when there was none.
class in_flight_slot {
 public:
  in_flight_slot() noexcept = default;
  explicit in_flight_slot(std::atomic<std::size_t>* count) noexcept : count_(count) {}
  in_flight_slot(const in_flight_slot&) = delete;
  in_flight_slot& operator=(const in_flight_slot&) = delete;
  ~in_flight_slot() {
    if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_relaxed);
  }
  explicit operator bool() const noexcept { return count_ != nullptr || unlimited_; }

  static in_flight_slot unlimited() noexcept { return in_flight_slot(nullptr, true); }

 private:
  in_flight_slot(std::atomic<std::size_t>* count, bool unlimited) noexcept : count_(count), unlimited_(unlimited) {}

  std::atomic<std::size_t>* count_ = nullptr;
  bool unlimited_ = false;
};

struct load_shedding_state {
  load_shedding_state(std::size_t max_requests, std::chrono::milliseconds max_wait, std::chrono::seconds retry)
      : max_in_flight(max_requests),
        max_queue_time(max_wait),
        retry_after(std::to_string(std::max<std::chrono::seconds::rep>(retry.count(), 1))) {}

  /// Whether `req` waited longer than allowed since its bytes were read; a request the server
  /// did not read (no time) has not waited.
  [[nodiscard]] bool waited_too_long(const request& req) const noexcept {
    const auto received = req.received_at();
    return received != std::chrono::steady_clock::time_point{} &&
           std::chrono::steady_clock::now() - received > max_queue_time;
  }

  /// A slot among the requests in flight, or an empty one past the limit.
  [[nodiscard]] in_flight_slot enter() noexcept {
    if (max_in_flight == 0) return in_flight_slot::unlimited();
    // Counted first and taken back when over: a load and a compare-exchange loop would cost more
    // under contention, and a moment over the count refuses, never admits, too many.
    if (in_flight.fetch_add(1, std::memory_order_relaxed) >= max_in_flight) {
      in_flight.fetch_sub(1, std::memory_order_relaxed);
      return {};
    }
    return in_flight_slot(&in_flight);
  }

  [[nodiscard]] response refuse_in_flight() {
    count(local_counts().refused_in_flight);
    return refusal("the server is handling as many requests as it allows (" + std::to_string(max_in_flight) +
                   "); retry in " + retry_after + " s");
  }

  [[nodiscard]] response refuse_queue_time() {
    count(local_counts().refused_queue_time);
    return refusal("the request waited longer than " + std::to_string(max_queue_time.count()) +
                   " ms before the server could handle it; retry in " + retry_after + " s");
  }

  alignas(64) std::atomic<std::size_t> in_flight{0};
  alignas(64) std::size_t max_in_flight;
  std::chrono::milliseconds max_queue_time;
  std::string retry_after;
  per_thread<load_shedding_counts> counts;

 private:
  load_shedding_counts& local_counts() {
    return counts.local([] { return std::make_shared<load_shedding_counts>(); });
  }

  [[nodiscard]] response refusal(const std::string& detail) const {
    response refused = problem(status::service_unavailable, detail);
    refused.headers.set("Retry-After", retry_after);
    return refused;
  }
};

}  // namespace asyncrest::detail
