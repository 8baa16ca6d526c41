// The middleware chain, composed at compile time: each step calls the next through a function
// pointer it was made with, a before or after hook runs without a coroutine frame, and a plain
// handler's response is passed back in place (`answer`). The guard around the routes turns
// exceptions into responses, so that middleware see the status the client will get.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/dependency_resolution.hpp>
#include <asyncrest/server/detail/error_response.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <asio/cancellation_state.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/this_coro.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
#include <utility>

namespace asyncrest {

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

/// Makes a plain handler's response in the answer itself: a response is about 180 bytes, and
/// moving one in cost more than the rest of a small handler's call.
template <class Make>
void respond_in_place(response& slot, Make&& make) {
  std::destroy_at(&slot);
  try {
    ::new (static_cast<void*>(&slot)) response(std::forward<Make>(make)());
  } catch (...) {
    ::new (static_cast<void*>(&slot)) response();  // the slot must hold a response, whatever happens
    throw;
  }
}

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

/// A final step that is given the chain's steps: a route's handler, which finds its providers
/// among them.
template <class Step, class Steps>
concept responds_with_steps = requires(const Step& part, request& req, answer& out, const Steps& steps) {
  part.respond(req, out, steps);
};

/// Middleware in order, then `Final`, which takes a request and returns a task<response>.
/// Providers (dependencies.hpp) sit among the middleware but are no step of their own: the chain
/// passes over them, and the handler calls the ones it needs.
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
      if constexpr (responds_with_steps<Final, std::tuple<Middleware...>>) {
        answer out;
        self.final_.respond(req, out, self.middleware_);
        return as_task(std::move(out));
      } else {
        return self.final_(req);
      }
    } else {
      using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
      if constexpr (is_value_provider<current>) {
        return step<Index + 1>(chain, req);
      } else if constexpr (around_middleware<current>) {
        const current& middleware = std::get<Index>(self.middleware_);
        return middleware(req, next{chain, &step<Index + 1>});
      } else if constexpr (after_middleware<current>) {
        return with_hooks<Index>(self, req);
      } else {
        if constexpr (before_middleware<current>) {
          const current& middleware = std::get<Index>(self.middleware_);
          if (std::optional<response> early = middleware.before(req)) return ready(std::move(*early));
        }
        return rest_after<Index>(self, req);
      }
    }
  }

  // What follows the middleware at `Index`, given to its around_pending hook when it has one.
  template <std::size_t Index>
  static task<response> rest_after(const middleware_chain& self, request& req) {
    using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
    if constexpr (pending_middleware<current>) {
      return std::get<Index>(self.middleware_).around_pending(req, step<Index + 1>(&self, req));
    } else {
      return step<Index + 1>(&self, req);
    }
  }

  // The same, in place: the hook sees only an answer still to come.
  template <std::size_t Index>
  void respond_after(request& req, answer& out) const {
    respond_from<Index + 1>(req, out);
    using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
    if constexpr (pending_middleware<current>) {
      if (out.pending.valid()) out.pending = std::get<Index>(middleware_).around_pending(req, std::move(out.pending));
    }
  }

  template <std::size_t Index>
  void respond_from(request& req, answer& out) const {
    if constexpr (Index == sizeof...(Middleware)) {
      if constexpr (responds_with_steps<Final, std::tuple<Middleware...>>) {
        final_.respond(req, out, middleware_);
      } else if constexpr (responds_in_place<Final>) {
        final_.respond(req, out);
      } else {
        out.pending = final_(req);
      }
    } else {
      using current = std::tuple_element_t<Index, std::tuple<Middleware...>>;
      if constexpr (is_value_provider<current>) {
        respond_from<Index + 1>(req, out);
      } else if constexpr (around_middleware<current>) {
        out.pending = step<Index>(this, req);  // runs around what follows: needs a coroutine
      } else if constexpr (after_middleware<current>) {
        // The hook runs on an answer made at once in place; only a pending one needs a coroutine
        // to run it after the wait. (A log, a request id, a span: no frame for a plain handler.)
        const current& middleware = std::get<Index>(middleware_);
        if constexpr (before_middleware<current>) {
          if (std::optional<response> early = middleware.before(req)) {
            middleware.after(req, *early);
            out.value = std::move(*early);
            return;
          }
        }
        respond_after<Index>(req, out);
        if (out.pending.valid()) {
          out.pending = after_pending<Index>(std::move(out.pending), req);
        } else {
          middleware.after(req, out.value);
        }
      } else {
        if constexpr (before_middleware<current>) {
          if (std::optional<response> early = std::get<Index>(middleware_).before(req)) {
            out.value = std::move(*early);
            return;
          }
        }
        respond_after<Index>(req, out);
      }
    }
  }

  template <std::size_t Index>
  task<response> after_pending(task<response> pending, request& req) const {
    response result = co_await std::move(pending);
    std::get<Index>(middleware_).after(req, result);
    co_return result;
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
    response result = co_await rest_after<Index>(self, req);
    middleware.after(req, result);
    co_return result;
  }

  Final final_;
  std::tuple<Middleware...> middleware_;
};

template <class Middleware>
constexpr void check_middleware() {
  static_assert(middleware<Middleware> || is_value_provider<Middleware>,
                "asyncrest: a middleware must have `task<response> operator()(request&, next) const`, "
                "`std::optional<response> before(request&) const`, `void after(request&, response&) "
                "const` or `task<response> around_pending(request&, task<response>) const` (see "
                "asyncrest/server/middleware.hpp)");
  static_assert(is_provides_list<provides_of<Middleware>>,
                "asyncrest: a middleware's `provides` lists the types it sets in the request's context: "
                "`using provides = asyncrest::provides<principal>;` (see asyncrest/server/dependencies.hpp)");
}

/// Whether a middleware, or a route through its middleware, asks for its requests to be found
/// from their coroutines' executor (`static constexpr bool needs_request_scope = true;`, as
/// `tracing` and `handler_timeout` do; core/detail/request_scope.hpp).
template <class Type>
inline constexpr bool needs_request_scope = [] {
  if constexpr (requires { Type::needs_request_scope; }) {
    return static_cast<bool>(Type::needs_request_scope);
  } else {
    return false;
  }
}();

/// A middleware that answers some requests before routing (CORS preflights) and so belongs to
/// the app: as a route's, it would run after the router had answered them.
template <class Middleware>
concept answers_before_routing = requires {
  requires Middleware::answers_before_routing;
};

template <class Middleware>
constexpr void check_route_middleware() {
  check_middleware<Middleware>();
  static_assert(!answers_before_routing<Middleware>,
                "asyncrest: this middleware answers requests before routing (CORS preflights, which the router "
                "would answer itself) and must be given to the app, app{routes, cors{...}}, not to a route's .use()");
}

}  // namespace detail

namespace detail {

/// Innermost step of an app with middleware: exceptions become responses here, so middleware
/// (a logger, a timer) see the status the client will get.
template <class Router>
struct guarded_router {
  Router routes;

  // Through respond(): a plain handler throws while the router is called, before a task exists
  // for a guard to catch it in.
  task<response> operator()(request& req) const {
    answer out;
    respond(req, out);
    return as_task(std::move(out));
  }

  void respond(request& req, answer& out) const {
    try {
      routes.respond(req, out);
    } catch (...) {
      out.value = response_from_exception(std::current_exception(), req);
      return;
    }
    if (out.pending.valid()) out.pending = guard(std::move(out.pending), req);
  }

 private:
  static task<response> guard(task<response> pending, request& req) {
    std::exception_ptr failure;
    try {
      co_return co_await std::move(pending);
    } catch (...) {
      failure = std::current_exception();
    }
    // Cancelled by a middleware outside (handler_timeout), which answers itself: the handler's
    // operation_aborted is no error of the server's, to be logged and turned into a 500.
    const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
    if (cancellation.cancelled() != asio::cancellation_type::none) std::rethrow_exception(failure);
    co_return response_from_exception(failure, req);
  }
};

}  // namespace detail
}  // namespace asyncrest
