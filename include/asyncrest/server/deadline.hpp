// Deadlines: a handler that has not answered in time is cancelled and its client told so, and
// the time it has left bounds the calls it makes with the client.
//
//     ar::app app{routes, ar::handler_timeout{{.after = 2s}}};                   // every route
//     ar::get<"/report">(handler).use(ar::handler_timeout{{.after = 300ms}})    // one route
//     ar::handler_timeout{{.after = 2s, .status = ar::status::service_unavailable}}
//
// - The clock starts when the handler is about to run: after routing, the typed parameters'
//   reading and the `before` hooks of the middleware listed after this one. Past `after`, the
//   handler is cancelled with Asio's per-operation cancellation: the operation it
//   waits on (a timer, a socket read, a client call) completes with `operation_aborted`, which
//   unwinds its frame, and the client gets `status` (504 by default, or 503) as problem+json.
//   The connection stays open for the client's next request.
// - Cancellation reaches a handler only where it waits: one that computes without waiting, or
//   catches the abort and goes on with work that ignores cancellation, is answered only when it
//   ends. A plain handler (one returning `response`, not a task) never waits and cannot be
//   cancelled: for it this middleware does nothing and costs nothing (no coroutine, no timer,
//   no clock read).
// - The handler reads its deadline from the request's context, `request_deadline`
//   (core/request_deadline.hpp): `req.context().find<ar::request_deadline>()`, null for a plain
//   handler. Nested deadlines (an app's and a route's) keep the earlier.
// - A client call made in the handler gets at most the time left as its total timeout (the
//   smaller of its own and that), and fails at once with a `timeout_error` (total_timeout)
//   when none is left: the client finds the deadline through the coroutine's executor, as it
//   finds the tracing span (`needs_request_scope` below). Code that runs on another executor
//   passes it by hand: `client_request::timeout = deadline.remaining()`. A client stream
//   opened in the handler (`client::stream`) is cut at the deadline even while its body is
//   read after the handler has answered (by a response producer that copies it).
// - A middleware after this one (inside it) sees a cancelled handler's abort as an exception
//   from `next`, not as a response, and its `after` hook does not run on the timeout's answer;
//   one before it sees the timeout's response. So list the middleware that marks every
//   response (request ids, CORS, access logs) before this one.
// - Work the handler spawns on its own executor (`co_await asio::this_coro::executor`) finds the
//   handler's deadline while the request lasts; once the request is answered, a client call made
//   from such work finds none (nor a span), never the deadline of the connection's next request:
//   the executor is made for its request (core/detail/request_scope.hpp).
// - A client that goes away does not end the handler under this middleware alone: add
//   `cancel_on_disconnect` (server/disconnect.hpp), on the app or the route. With both, whichever
//   comes first cancels the handler.
#pragma once

#include <asyncrest/core/request_deadline.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/handler_race.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace asyncrest {

struct handler_timeout_settings {
  /// How long the handler may take; more than zero.
  std::chrono::milliseconds after{0};
  /// The answer when it took longer: 504 Gateway Timeout, or 503 Service Unavailable.
  asyncrest::status status = asyncrest::status::gateway_timeout;
};

/// Counts since the middleware was made; from any thread.
struct handler_timeout_statistics {
  /// Handlers cancelled at their deadline (and answered with the timeout's status).
  std::uint64_t timed_out = 0;
};

/// The handler timeout middleware (see the top of this file). Copies share their count.
class handler_timeout {
 public:
  /// The app runs its connections on an executor that carries the request being handled, so
  /// that the client finds the deadline of the handler that calls it (core/detail/request_scope.hpp).
  static constexpr bool needs_request_scope = true;

  explicit handler_timeout(handler_timeout_settings settings)
      : after_(checked(settings).after),
        status_(settings.status),
        detail_("the handler did not answer within " + std::to_string(settings.after.count()) + " ms"),
        timed_out_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

  /// Called only for a handler that waits (see middleware.hpp); `pending` has not started yet.
  task<response> around_pending(request& req, task<response> pending) const {
    const auto expires_at = std::chrono::steady_clock::now() + after_;
    const request_deadline* outer = req.context().find<request_deadline>();
    if (outer == nullptr || outer->expires_at() > expires_at) req.context().emplace<request_deadline>(expires_at);
    std::optional<response> answer = co_await detail::race_deadline(std::move(pending), expires_at);
    if (answer) co_return std::move(*answer);
    timed_out_->fetch_add(1, std::memory_order_relaxed);
    co_return problem(status_, detail_);
  }

  [[nodiscard]] handler_timeout_statistics statistics() const noexcept {
    return {timed_out_->load(std::memory_order_relaxed)};
  }

 private:
  static const handler_timeout_settings& checked(const handler_timeout_settings& settings) {
    if (settings.after.count() <= 0)
      throw std::invalid_argument("asyncrest: handler_timeout_settings::after must be more than zero");
    // A bound far past any request's life, so that `now + after` cannot overflow the clock.
    if (settings.after > std::chrono::hours(24 * 365))
      throw std::invalid_argument("asyncrest: handler_timeout_settings::after is at most a year");
    if (settings.status != status::gateway_timeout && settings.status != status::service_unavailable)
      throw std::invalid_argument("asyncrest: handler_timeout_settings::status is 504 or 503");
    return settings;
  }

  std::chrono::milliseconds after_;
  asyncrest::status status_;
  std::string detail_;
  std::shared_ptr<std::atomic<std::uint64_t>> timed_out_;
};

}  // namespace asyncrest
