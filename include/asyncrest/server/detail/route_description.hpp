// What a route reads and returns, as types, for code that walks the route table at compile time
// (an OpenAPI document, a typed client): its path and method, its path parameters, its body
// type, its query struct, its header parameters and the type its result writes as JSON.
//
//     using described = detail::route_description<decltype(ar::post<"/todos">(add_todo))>;
//     described::body          // new_todo, or void when the route reads no json_body
//     described::query         // the struct of query<T>, or void
//     described::headers       // std::tuple<header<"X-Tenant", std::string>, ...>
//     described::result_body   // the type written as JSON, or void for a response
#pragma once

#include <asyncrest/core/method.hpp>
#include <asyncrest/server/detail/handler_call.hpp>
#include <asyncrest/server/detail/handler_results.hpp>
#include <asyncrest/server/detail/parameter_reading.hpp>
#include <asyncrest/server/route.hpp>

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

/// The value type of the first of `Arguments` of kind `Kind` (in a std::type_identity), or void.
template <typed_parameter_kind Kind, class Arguments, std::size_t Index = 0>
consteval auto first_typed_value() {
  if constexpr (Index == std::tuple_size_v<Arguments>) {
    return std::type_identity<void>{};
  } else {
    using parameter = std::remove_cvref_t<std::tuple_element_t<Index, Arguments>>;
    if constexpr (typed_kind_of<parameter> == Kind) {
      return std::type_identity<typename typed_parameter_traits<parameter>::value_type>{};
    } else {
      return first_typed_value<Kind, Arguments, Index + 1>();
    }
  }
}

/// The `header<...>` parameters among `Arguments`, references and const removed.
template <class Arguments, class Sequence = std::make_index_sequence<std::tuple_size_v<Arguments>>>
struct header_parameters;
template <class Arguments, std::size_t... Index>
struct header_parameters<Arguments, std::index_sequence<Index...>> {
  template <class Parameter>
  using kept = std::conditional_t<typed_kind_of<Parameter> == typed_parameter_kind::header,
                                  std::tuple<std::remove_cvref_t<Parameter>>, std::tuple<>>;
  using type = decltype(std::tuple_cat(std::declval<kept<std::tuple_element_t<Index, Arguments>>>()...));
};

template <class Tuple>
struct without_references;
template <class... Types>
struct without_references<std::tuple<Types...>> {
  using type = std::tuple<std::remove_cvref_t<Types>...>;
};

template <class Route>
struct route_description;

template <fixed_string Path, method Method, class Handler, class... Middleware>
struct route_description<route<Path, Method, Handler, Middleware...>> {
  using signature = route_signature<Path, Handler>;

  static constexpr std::string_view path = Path.view();
  static constexpr asyncrest::method route_method = Method;
  /// Whether the handler takes the request itself (what it reads from it then is not described).
  static constexpr bool takes_request = signature::takes_request;
  /// The handler's path parameter types, in the order of the path.
  using path_parameters = typename without_references<typename signature::path_arguments>::type;
  /// The type read from the JSON body, or void.
  using body =
      typename decltype(first_typed_value<typed_parameter_kind::body, typename signature::typed_arguments>())::type;
  /// The struct whose members are the query parameters, or void.
  using query =
      typename decltype(first_typed_value<typed_parameter_kind::query, typename signature::typed_arguments>())::type;
  /// Each `header<"Name", T>` the handler takes; `std::tuple_element_t<I, headers>::name` is its name.
  using headers = typename header_parameters<typename signature::typed_arguments>::type;
  /// What the handler returns, a task's value type when it is a coroutine.
  using result = typename task_traits<typename signature::result>::value_type;
  /// The type the result writes as JSON, or void for a `response` the handler makes itself.
  using result_body = typename result_traits<result>::body;
  /// Whether the result carries its own status (a std::pair or a typed_response).
  static constexpr bool result_sets_status = !std::is_same_v<result, response> && !json_result_value<result>;
};

}  // namespace asyncrest::detail
