// How a handler's dependencies are found at run time: what a middleware declares it provides,
// which steps of a route's chain are providers (steps the chain passes over, which the handler
// calls), and the value of a `depends<T>` made by its provider or found in the request's context.
#pragma once

#include <asyncrest/core/detail/type_name.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/request.hpp>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

struct dependency_access {
  template <class Value>
  static void bind(depends<Value>& parameter, Value& value) noexcept {
    parameter.value_ = &value;
  }
};

template <class List>
inline constexpr bool is_provides_list = false;
template <class... Values>
inline constexpr bool is_provides_list<provides<Values...>> = true;

/// What a middleware declares it sets in the context: its `provides` list, or an empty one.
template <class Middleware>
consteval auto declared_provides() {
  if constexpr (requires { typename Middleware::provides; }) {
    return std::type_identity<typename Middleware::provides>{};
  } else {
    return std::type_identity<provides<>>{};
  }
}
template <class Middleware>
using provides_of = typename decltype(declared_provides<Middleware>())::type;

template <class Value, class List>
inline constexpr bool lists_value = false;
template <class Value, class... Values>
inline constexpr bool lists_value<Value, provides<Values...>> = (std::is_same_v<Value, Values> || ...);

/// Whether the step `Step` is a middleware that declares it sets a `Value`.
template <class Value, class Step>
inline constexpr bool sets_value = lists_value<Value, provides_of<Step>>;

/// An app's provider as the routes that need it hold it: a pointer, since an app is neither
/// copied nor moved, and one provider serves every route.
template <class Provider>
struct provider_reference {
  using value_type = typename Provider::value_type;
  const Provider* target;

  decltype(auto) operator()(request& req) const { return (*target)(req); }
};

template <class Step>
inline constexpr bool is_value_provider = false;
template <class Value, class Function>
inline constexpr bool is_value_provider<provider<Value, Function>> = true;
template <class Provider>
inline constexpr bool is_value_provider<provider_reference<Provider>> = true;

/// Whether the step `Step` is a provider of `Value`.
template <class Value, class Step>
inline constexpr bool makes_value = [] {
  if constexpr (is_value_provider<Step>) {
    return std::is_same_v<typename Step::value_type, Value>;
  } else {
    return false;
  }
}();

/// How many of `Steps` (a std::tuple) make a `Value`, and how many declare they set one.
template <class Value, class Steps>
inline constexpr std::size_t count_makers = 0;
template <class Value, class... Steps>
inline constexpr std::size_t count_makers<Value, std::tuple<Steps...>> = (std::size_t{0} + ... +
                                                                          (makes_value<Value, Steps> ? 1 : 0));
template <class Value, class Steps>
inline constexpr std::size_t count_setters = 0;
template <class Value, class... Steps>
inline constexpr std::size_t count_setters<Value, std::tuple<Steps...>> = (std::size_t{0} + ... +
                                                                           (sets_value<Value, Steps> ? 1 : 0));

/// Whether `Step` is no provider, or the only one of its value among `Steps`.
template <class Step, class Steps>
inline constexpr bool only_maker_of_its_value = [] {
  if constexpr (is_value_provider<Step>) {
    return count_makers<typename Step::value_type, Steps> == 1;
  } else {
    return true;
  }
}();

/// Whether no two of `Steps` make the same value.
template <class... Steps>
consteval bool providers_are_distinct() {
  return (only_maker_of_its_value<Steps, std::tuple<Steps...>> && ... && true);
}

/// The index in `Steps` (a std::tuple) of the provider of `Value`; the tuple's size when none.
template <class Value, class Steps>
consteval std::size_t provider_index() {
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    std::size_t found = sizeof...(Index);
    const bool makes[] = {false, makes_value<Value, std::tuple_element_t<Index, Steps>>...};
    for (std::size_t index = sizeof...(Index); index > 0; --index) {
      if (makes[index]) found = index - 1;
    }
    return found;
  }
  (std::make_index_sequence<std::tuple_size_v<Steps>>{});
}

/// Whether `Steps` hold a provider of `Value` whose function waits (returns a task).
template <class Value, class Steps>
inline constexpr bool provider_waits = [] {
  constexpr std::size_t index = provider_index<Value, Steps>();
  if constexpr (index < std::tuple_size_v<Steps>) {
    using result = decltype(std::declval<const std::tuple_element_t<index, Steps>&>()(std::declval<request&>()));
    return is_task_result<result>;
  } else {
    return false;
  }
}();

/// The request's `Value` for a `depends<Value>` made at once: by the route's provider, kept in
/// the context, or as a middleware set it; nullptr when a middleware promised one and did not.
template <class Value, class Steps>
Value* ready_dependency(request& req, const Steps& steps) {
  constexpr std::size_t index = provider_index<Value, Steps>();
  if constexpr (index < std::tuple_size_v<Steps>) {
    return &req.context().emplace<Value>(std::get<index>(steps)(req));
  } else {
    return req.context().find<Value>();
  }
}

/// What a broken promise is logged as (the line of an unhandled exception, error_response.hpp).
template <class Value>
std::string missing_dependency_reason() {
  return "no " + std::string(type_name<Value>()) + " in the request's context for the handler's depends<" +
         std::string(type_name<Value>()) + ">: a middleware that declares it provides one let the request " +
         "through without setting it";
}

}  // namespace asyncrest::detail
