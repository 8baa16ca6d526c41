// Dependencies: values a handler asks for by type, set by a middleware or made by a provider
// function, and checked when the app is put together.
//
//     struct principal { std::string user; };
//     struct authenticate {                            // a middleware that provides a principal
//       using provides = ar::provides<principal>;
//       std::optional<ar::response> before(ar::request& req) const {
//         ...                                          // 401 for a bad token, or:
//         req.context().emplace<principal>(user);
//         return std::nullopt;
//       }
//     };
//
//     ar::app app{ar::routes(ar::get<"/orders">([](ar::depends<principal> who, ar::depends<db_session> db) {
//                   return db->orders_of(who->user);
//                 })),
//                 authenticate{},
//                 ar::provide<db_session>([&pool](ar::request&) { return pool.session(); })};
//
// A handler parameter `depends<T>` (after the path parameters, among json_body, query and header)
// gets the request's `T` from one of:
// - a middleware that declares `using provides = asyncrest::provides<T>;` and sets the `T` in the
//   request's context (context.hpp) before the rest of the chain runs; an app's or the route's
//   own (`.use(...)`);
// - a provider, `provide<T>(function)`, given to the app beside its middleware or to a route with
//   `.use(...)`. Its function takes `request&` (or nothing) and returns a `T` or a `task<T>`; it
//   runs after every middleware, only for requests whose handler asks for a `T`, once per request,
//   and its `T` lives in the request's context until the response is sent. A route's own provider
//   is used instead of the app's. The function is called on every server thread at once.
//
// The check is made when the app is made: a handler that asks for a `T` nothing gives its route is
// a compile error naming the route's path (a character at a time, the spelling both g++ and clang
// print) and `T`; so is a `T` both made by a provider and set by a middleware (which value would
// the handler get?). Dependencies are not part of the wire: they appear in no OpenAPI document.
//
// `depends<T>` rather than `const T&`: a plain parameter type after the path parameters is a
// mistake the route reports today (a `std::vector<int>` where a query<T> was meant); taking every
// unknown type as a dependency would turn that message into "nobody provides std::vector<int>",
// and a reader could not tell a dependency from a path parameter (`const std::string&`).
//
// A middleware that declares a `T` but lets a request through without setting one breaks its
// promise at run time, where no compiler sees it: the handler is not called, the request is
// answered 500 (problem+json, no internals) and the type is logged to standard error, as an
// unhandled exception is. A middleware that answers early (a 401) needs set nothing: the handler
// does not run.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/request.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace asyncrest {

namespace detail {
struct dependency_access;

template <class Result>
inline constexpr bool is_task_result = false;
template <class Value>
inline constexpr bool is_task_result<task<Value>> = true;
}  // namespace detail

/// What a middleware declares it sets in the request's context, for the handlers that ask with
/// `depends<T>`: `using provides = asyncrest::provides<principal, tenant>;`.
template <class... Values>
struct provides {};

/// A handler parameter: the request's `Value`, set by a middleware that provides it or made by
/// a provider. Reach it with `*` or `->`; take it by value (it is a pointer) or const reference.
template <class Value>
class depends {
  static_assert(std::is_object_v<Value> && !std::is_const_v<Value>,
                "asyncrest: depends<T> names the type of the value, not a reference or a const type");

 public:
  [[nodiscard]] Value& operator*() const noexcept { return *value_; }
  [[nodiscard]] Value* operator->() const noexcept { return value_; }

 private:
  friend struct detail::dependency_access;
  Value* value_ = nullptr;
};

/// Makes `Value`s for the handlers that ask for one: made with `provide<Value>(function)`.
template <class Value, class Function>
class provider {
 public:
  using value_type = Value;

  explicit provider(Function function) : function_(std::move(function)) {}

  /// A `Value`, or a `task<Value>` when the function waits.
  decltype(auto) operator()(request& req) const {
    if constexpr (std::is_invocable_v<const Function&, request&>) {
      return function_(req);
    } else {
      return function_();
    }
  }

 private:
  Function function_;
};

/// A provider of `Value`: `function` takes `request&` (or nothing) and returns a `Value` or a
/// `task<Value>`. Give it to the app (`app{routes, provide<T>(...)}`) or to a route (`.use(...)`).
template <class Value, class Function>
[[nodiscard]] provider<Value, Function> provide(Function function) {
  static_assert(std::is_object_v<Value> && !std::is_const_v<Value>,
                "asyncrest: provide<T>(function) names the type of the value, not a reference or a const type");
  static_assert(std::is_move_constructible_v<Value>,
                "asyncrest: provide<T>(function) keeps the T it returns in the request's context, so T must be "
                "movable; for a resource that is not, provide a handle or a pointer to it");
  constexpr bool takes_request = std::is_invocable_v<const Function&, request&>;
  constexpr bool takes_nothing = std::is_invocable_v<const Function&>;
  static_assert(takes_request || takes_nothing,
                "asyncrest: provide<T>(function) takes a function called as `function(request&)` or `function()`, "
                "and callable as const (no mutable lambda): it runs on every server thread at once");
  if constexpr (takes_request || takes_nothing) {
    using result = decltype(std::declval<provider<Value, Function>&>()(std::declval<request&>()));
    static_assert(std::is_same_v<result, task<Value>> ||
                      (!detail::is_task_result<std::remove_cvref_t<result>> && std::is_convertible_v<result, Value>),
                  "asyncrest: provide<T>(function): the function returns a T, or a task<T> when it waits");
  }
  return provider<Value, Function>(std::move(function));
}

}  // namespace asyncrest
