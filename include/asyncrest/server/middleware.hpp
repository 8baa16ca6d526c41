// Middleware: plain types composed at compile time around the routes, in the order written.
//
// Four shapes, any mix of them in one type:
//
//     struct timing {                       // around: runs the rest of the chain itself
//       task<response> operator()(request& req, next rest) const {
//         auto start = std::chrono::steady_clock::now();
//         response res = co_await rest(req);
//         res.headers.set("Server-Timing", ...);
//         co_return res;
//       }
//     };
//     struct api_key {                      // before: may answer early, costs no coroutine
//       std::optional<response> before(request& req) const;   // or req.set_attribute("user", ...)
//     };
//     struct no_sniff {                     // after: may change every response; no coroutine
//                                           // either, unless the handler is one
//       void after(const request& req, response& res) const;
//     };
//     struct watchdog {                     // around a wait: runs only when the rest of the
//                                           // chain has not answered at once (a coroutine
//                                           // handler), so a plain handler pays nothing
//       task<response> around_pending(request& req, task<response> pending) const;
//     };
//
// Global middleware go to the app (`app{routes, timing{}, api_key{}}`), per-route ones to a
// route (`get<"/admin">(handler).use(api_key{})`). Errors thrown by handlers have already become
// problem responses when a middleware sees them. A middleware that sets a value in the request's
// context for handlers to take as `depends<T>` says so: `using provides = provides<T>;`
// (dependencies.hpp).
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest {

/// The rest of the chain, as an around middleware sees it. Calling it runs the next middleware,
/// then the handler. It is two pointers wide; copy it freely.
class next {
 public:
  using step_function = task<response> (*)(const void* chain, request& req);

  constexpr next(const void* chain, step_function step) noexcept : chain_(chain), step_(step) {}

  [[nodiscard]] task<response> operator()(request& req) const { return step_(chain_, req); }

 private:
  const void* chain_;
  step_function step_;
};

template <class Middleware>
concept around_middleware = requires(const Middleware& middleware, request& req, next rest) {
  { middleware(req, rest) } -> std::same_as<task<response>>;
};

template <class Middleware>
concept before_middleware = requires(const Middleware& middleware, request& req) {
  { middleware.before(req) } -> std::same_as<std::optional<response>>;
};

template <class Middleware>
concept after_middleware = requires(const Middleware& middleware, request& req, response& res) {
  middleware.after(req, res);
};

/// `pending` is the rest of the chain, not started yet (tasks start when awaited): the
/// middleware awaits it, or races it, and returns the response.
template <class Middleware>
concept pending_middleware = requires(const Middleware& middleware, request& req, task<response> pending) {
  { middleware.around_pending(req, std::move(pending)) } -> std::same_as<task<response>>;
};

/// A type the chain can run: an around middleware, or one with before, after and/or
/// around_pending hooks.
template <class Middleware>
concept middleware = around_middleware<Middleware> || before_middleware<Middleware> || after_middleware<Middleware> ||
    pending_middleware<Middleware>;

}  // namespace asyncrest
