// Load shedding: refuse work the server cannot do in time, early and cheaply, rather than let
// every request slow down.
//
//     ar::app app{routes, ar::load_shedding{{.max_in_flight = 2000, .max_queue_time = 100ms}}};
//     ar::get<"/report">(handler).use(ar::load_shedding{{.max_in_flight = 8}})   // one route
//
// - `max_in_flight`: requests this middleware is handling at once (on every thread together) beyond
//   which a request is answered 503 at once. As an app's middleware it bounds the app's
//   concurrent requests, as a route's that route's: a slow dependency behind one route then
//   cannot hold every connection.
// - `max_queue_time`: a request that has waited longer than this in the server since its last
//   bytes were read (behind the requests pipelined before it, a blocked event loop, the
//   middleware before this one) is answered 503 without running its handler: its client has
//   likely given up, and the work would only delay the requests behind it. What is measured
//   starts at the server's read: time the bytes spent in the kernel's socket buffer, before the
//   event loop came to read them, is not seen.
//
// A refusal is a problem+json 503 with Retry-After, counted (`statistics()`).
//
// The count in flight is one atomic shared by the threads, incremented and decremented once per
// request (relaxed): an app-wide limit needs one count, and a per-thread share of it would refuse
// requests on a busy thread while another is idle. Its cost is in benchmarks/README.md. With no
// `max_in_flight`, the count is not touched; with no `max_queue_time`, the clock is not read.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/load_shedding_state.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace asyncrest {

struct load_shedding_settings {
  /// Requests handled at once beyond which one is refused; 0: no limit.
  std::size_t max_in_flight = 0;
  /// The longest a request may wait in the server before its handler starts; 0: no limit.
  std::chrono::milliseconds max_queue_time{0};
  /// The Retry-After of a 503.
  std::chrono::seconds retry_after{1};
};

/// Counts since the middleware was made; from any thread.
struct load_shedding_statistics {
  /// Requests being handled now (counted only with a `max_in_flight`).
  std::uint64_t in_flight = 0;
  /// Requests refused because `max_in_flight` were being handled.
  std::uint64_t refused_in_flight = 0;
  /// Requests refused because they had waited longer than `max_queue_time`.
  std::uint64_t refused_queue_time = 0;
};

/// The load shedding middleware (see the top of this file). Copies share their count and limits.
class load_shedding {
 public:
  explicit load_shedding(load_shedding_settings settings)
      : state_(std::make_shared<detail::load_shedding_state>(settings.max_in_flight, settings.max_queue_time,
                                                             settings.retry_after)) {}

  task<response> operator()(request& req, next rest) const {
    detail::load_shedding_state& state = *state_;
    if (state.max_queue_time.count() > 0 && state.waited_too_long(req)) co_return state.refuse_queue_time();
    const detail::in_flight_slot slot = state.enter();
    if (!slot) co_return state.refuse_in_flight();
    co_return co_await rest(req);
  }

  [[nodiscard]] load_shedding_statistics statistics() const {
    load_shedding_statistics totals;
    totals.in_flight = state_->in_flight.load(std::memory_order_relaxed);
    state_->counts.for_each([&](const detail::load_shedding_counts& each) {
      totals.refused_in_flight += each.refused_in_flight.load(std::memory_order_relaxed);
      totals.refused_queue_time += each.refused_queue_time.load(std::memory_order_relaxed);
    });
    return totals;
  }

 private:
  std::shared_ptr<detail::load_shedding_state> state_;
};

}  // namespace asyncrest
