// Cancel on disconnect: a handler whose client has gone is cancelled rather than left to finish
// work nobody will read.
//
//     ar::app app{routes, ar::cancel_on_disconnect{}};                          // every route
//     ar::get<"/report">(handler).use(ar::cancel_on_disconnect{})              // one route
//     ar::app app{routes, ar::handler_timeout{{.after = 2s}}, ar::cancel_on_disconnect{}}
//
// - While a coroutine handler waits, the connection watches its socket. When the client has gone
//   (the end of its stream, or a reset), the handler is cancelled as `handler_timeout` cancels
//   it: the operation it waits on completes with `operation_aborted`, its frame unwinds before
//   the connection goes on, nothing is written, and the connection closes. The middleware
//   before this one (an access log, metrics) see the status 499 (`client_closed_request`,
//   nginx's), which no client receives; `statistics()` counts the cancelled handlers.
// - A client that half-closes its connection (shutdown(SHUT_WR)) after sending its request has
//   ended its stream, and is taken as gone, as aiohttp takes it: a client that still wants the
//   answer keeps its connection open. HTTP/1.1 gives such a client no other way to say it left.
// - Bytes that arrive while the handler waits (the next request of a pipelining client) are
//   not a disconnect: they are read into the connection's buffer behind the request and
//   answered after it. When that buffer is full, the watch stops for the rest of the request.
// - Over TLS the watch waits on the socket under the TLS stream and reads what arrives through
//   it: a close_notify, an end of stream or a reset is a disconnect, like over plain TCP.
// - What is watched is the client, not the handler: cancellation reaches a handler only where
//   it waits (see server/deadline.hpp). A plain handler (one returning `response`) has nothing
//   to cancel: for it this middleware does nothing and costs nothing. Nor does a route that
//   streams its request body (`.body({.streamed = true})`): its handler reads the socket itself,
//   and learns that the client left from `read_body()` (400). The test client has no socket:
//   there the handler always runs to its end.
// - With `handler_timeout` on the same route, whichever comes first cancels the handler: the
//   deadline answers 504 (or 503), the disconnect closes the connection.
// - A response whose body is a stream (`stream()`) is written after the handler has answered,
//   where this middleware no longer watches: its producer learns that the client went away at
//   its next write, which fails and ends it.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/handler_race.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace asyncrest {

/// Counts since the middleware was made; from any thread.
struct cancel_on_disconnect_statistics {
  /// Handlers cancelled because their client had gone.
  std::uint64_t cancelled = 0;
};

/// The cancel-on-disconnect middleware (see the top of this file). Copies share their count.
class cancel_on_disconnect {
 public:
  cancel_on_disconnect() : cancelled_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

  /// Called only for a handler that waits (see middleware.hpp); `pending` has not started yet.
  task<response> around_pending(request& req, task<response> pending) const {
    const detail::disconnect_watch watch = detail::request_access::disconnect_watch_of(req);
    if (watch.until_gone == nullptr) return pending;  // nothing to watch: no coroutine of ours
    return cancel_if_gone(std::move(pending), watch);
  }

  [[nodiscard]] cancel_on_disconnect_statistics statistics() const noexcept {
    return {cancelled_->load(std::memory_order_relaxed)};
  }

 private:
  task<response> cancel_if_gone(task<response> pending, detail::disconnect_watch watch) const {
    std::optional<response> answer = co_await detail::race_disconnect(std::move(pending), watch);
    if (answer) co_return std::move(*answer);
    cancelled_->fetch_add(1, std::memory_order_relaxed);
    co_return problem(status::client_closed_request, "the client closed the connection before the response");
  }

  std::shared_ptr<std::atomic<std::uint64_t>> cancelled_;
};

}  // namespace asyncrest
