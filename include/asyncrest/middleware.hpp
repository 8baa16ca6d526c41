// Middleware: plain types composed at compile time around the routes, in the order written.
//
// Three shapes, any mix of them in one type:
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
//     struct no_sniff {                     // after: may change every response
//       void after(const request& req, response& res) const;
//     };
//
// Global middleware go to the app (`app{routes, timing{}, api_key{}}`), per-route ones to a
// route (`get<"/admin">(handler).use(api_key{})`). Errors thrown by handlers have already become
// problem responses when a middleware sees them.
#pragma once

#include <asyncrest/request.hpp>
#include <asyncrest/response.hpp>
#include <asyncrest/task.hpp>

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

/// A type the chain can run: an around middleware, or one with before and/or after hooks.
template <class Middleware>
concept middleware = around_middleware<Middleware> || before_middleware<Middleware> || after_middleware<Middleware>;

namespace detail {

/// A response already known, as a task: for answers that need no coroutine of their own.
inline task<response> ready(response result) { co_return result; }

/// Where a step of the request path leaves its answer: in `value` at once (a plain handler, a
/// 404, a middleware's early answer), or as a coroutine in `pending` when it has to wait. The
/// server awaits only what is pending, so a plain handler's response costs no coroutine frame.
struct answer {
  response value;
  task<response> pending;  // valid() when the response is still to come
};

/// An answer as a task, for callers of the `task<response>` form: the pending one, or the value.
inline task<response> as_task(answer&& out) {
  if (out.pending.valid()) return std::move(out.pending);
  return ready(std::move(out.value));
}

/// `part.respond(req, out)`, the synchronous form of `part(req)`, where a step has one.
template <class Step>
concept responds_in_place = requires(const Step& part, request& req, answer& out) {
  part.respond(req, out);
};

/// Middleware in order, then `Final`, which takes a request and returns a task<response>.
template <class Final, class... Middleware>
class middleware_chain {
 public:
  middleware_chain(Final final_step, std::tuple<Middleware...> middleware)
      : final_(std::move(final_step)), middleware_(std::move(middleware)) {}

  [[nodiscard]] task<response> operator()(request& req) const { return step<0>(this, req); }

  /// The same, leaving a response made without waiting in `out.value` rather than in a task.
  void respond(request& req, answer& out) const { respond_from<0>(req, out); }

  [[nodiscard]] Final& final_step() noexcept { return final_; }
  [[nodiscard]] const Final& final_step() const noexcept { return final_; }
  [[nodiscard]] std::tuple<Middleware...>& middleware() noexcept { return middleware_; }

 private:
  template <std::size_t Index>
  static task<response> step(const void* chain, request& req) {
    const auto& self = *static_cast<const middleware_chain*>(chain);
    if constexpr (Index == sizeof...(Middleware)) {
      return self.final_(req);
    } else {
      using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
      const current& middleware = std::get<Index>(self.middleware_);
      if constexpr (around_middleware<current>) {
        return middleware(req, next{chain, &step<Index + 1>});
      } else if constexpr (after_middleware<current>) {
        return with_hooks<Index>(self, req);
      } else {
        if (std::optional<response> early = middleware.before(req)) return ready(std::move(*early));
        return step<Index + 1>(chain, req);
      }
    }
  }

  template <std::size_t Index>
  void respond_from(request& req, answer& out) const {
    if constexpr (Index == sizeof...(Middleware)) {
      if constexpr (responds_in_place<Final>) {
        final_.respond(req, out);
      } else {
        out.pending = final_(req);
      }
    } else {
      using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
      if constexpr (around_middleware<current> || after_middleware<current>) {
        out.pending = step<Index>(this, req);  // runs around what follows: needs a coroutine
      } else if (std::optional<response> early = std::get<Index>(middleware_).before(req)) {
        out.value = std::move(*early);
      } else {
        respond_from<Index + 1>(req, out);
      }
    }
  }

  template <std::size_t Index>
  static task<response> with_hooks(const middleware_chain& self, request& req) {
    using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
    const current& middleware = std::get<Index>(self.middleware_);
    if constexpr (before_middleware<current>) {
      if (std::optional<response> early = middleware.before(req)) {
        middleware.after(req, *early);
        co_return std::move(*early);
      }
    }
    response result = co_await step<Index + 1>(&self, req);
    middleware.after(req, result);
    co_return result;
  }

  Final final_;
  std::tuple<Middleware...> middleware_;
};

template <class Middleware>
constexpr void check_middleware() {
  static_assert(middleware<Middleware>,
                "asyncrest: a middleware must have `task<response> operator()(request&, next) const`, "
                "`std::optional<response> before(request&) const` or `void after(request&, response&) "
                "const` (see asyncrest/middleware.hpp)");
}

}  // namespace detail
}  // namespace asyncrest
