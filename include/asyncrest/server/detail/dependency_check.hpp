// What an app checks of its routes' dependencies when it is made, and how it hands its
// providers to the routes that need them. The app knows all that gives a route its values (its
// own middleware and providers, and the route's `.use(...)`), so the check is made there; a
// route alone cannot know what the app will give it.
#pragma once

#include <asyncrest/server/detail/dependency_resolution.hpp>
#include <asyncrest/server/detail/handler_call.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

/// A route's path as a type the compiler prints character by character in a diagnostic: clang
/// 14 prints a fixed_string template argument as numbers, while both compilers print a pack of
/// characters as characters.
template <char... Characters>
struct route_path {};

template <fixed_string Path, class Sequence = std::make_index_sequence<Path.view().size()>>
struct spelled_route_path;
template <fixed_string Path, std::size_t... Index>
struct spelled_route_path<Path, std::index_sequence<Index...>> {
  using type = route_path<Path.value[Index]...>;
};

/// False, and named after what it says: the failed assertions below show it with its arguments
/// (clang on the error's line, g++ on the line after), the route's path and the type.
template <class RoutePath, class Value>
inline constexpr bool dependency_is_provided_to_route = false;
template <class RoutePath, class Value>
inline constexpr bool dependency_has_one_source = false;

/// Instantiated for a handler's depends<T> that nothing gives its route.
template <class RoutePath, class Value>
struct unprovided_dependency {
  static_assert(dependency_is_provided_to_route<RoutePath, Value>,
                "asyncrest: a handler asks for depends<T> and nothing provides a T to its route (the route's path "
                "and T are the arguments of unprovided_dependency): give the app or the route's .use() a middleware "
                "that declares `using provides = asyncrest::provides<T>;` and sets one, or asyncrest::provide<T>("
                "function)");
};

/// Instantiated for a handler's depends<T> that a provider would make and a middleware set.
template <class RoutePath, class Value>
struct doubly_provided_dependency {
  static_assert(dependency_has_one_source<RoutePath, Value>,
                "asyncrest: a handler asks for depends<T> that a provider makes and a middleware declares it sets "
                "(the route's path and T are the arguments of doubly_provided_dependency): keep one of them, so the "
                "handler's value has one source");
};

template <class Value, class Values>
inline constexpr bool tuple_holds = false;
template <class Value, class... Values>
inline constexpr bool tuple_holds<Value, std::tuple<Values...>> = (std::is_same_v<Value, Values> || ...);

/// A route's parts, as the check needs them.
template <class Route>
struct route_parts;
template <fixed_string Path, method Method, class Handler, class... Steps>
struct route_parts<route<Path, Method, Handler, Steps...>> {
  using spelled_path = typename spelled_route_path<Path>::type;
  using dependencies = typename route_signature<Path, Handler>::dependencies;
  using steps = std::tuple<Steps...>;
};

template <class RoutePath, class Value, class RouteSteps, class AppSteps>
constexpr bool check_dependency() {
  constexpr std::size_t made = count_makers<Value, RouteSteps> + count_makers<Value, AppSteps>;
  constexpr std::size_t set = count_setters<Value, RouteSteps> + count_setters<Value, AppSteps>;
  if constexpr (made == 0 && set == 0) {
    unprovided_dependency<RoutePath, Value> refused;
    (void)refused;
  } else if constexpr (made != 0 && set != 0) {
    doubly_provided_dependency<RoutePath, Value> refused;
    (void)refused;
  }
  return true;
}

/// Checks that each of the route's dependencies has one source among its steps and the app's.
template <class Route, class AppSteps>
constexpr bool check_route_dependencies() {
  using parts = route_parts<Route>;
  using dependencies = typename parts::dependencies;
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    return (check_dependency<typename parts::spelled_path, std::tuple_element_t<Index, dependencies>,
                             typename parts::steps, AppSteps>() &&
            ... && true);
  }
  (std::make_index_sequence<std::tuple_size_v<dependencies>>{});
}

template <class Router, class AppSteps>
struct app_dependencies;
template <class... Routes, class AppSteps>
struct app_dependencies<router<Routes...>, AppSteps> {
  static constexpr bool checked() { return (check_route_dependencies<Routes, AppSteps>() && ... && true); }
};

/// Whether `Route`'s handler asks for a `Value` of which the route has no provider of its own,
/// so that the app's is used.
template <class Route, class Value>
inline constexpr bool needs_app_provider = tuple_holds<Value, typename route_parts<Route>::dependencies>&&
                                               count_makers<Value, typename route_parts<Route>::steps> == 0;

template <class Route, class Providers>
inline constexpr bool needs_an_app_provider = []<std::size_t... Index>(std::index_sequence<Index...>) {
  return (needs_app_provider<Route, typename std::tuple_element_t<Index, Providers>::value_type> || ... || false);
}
(std::make_index_sequence<std::tuple_size_v<Providers>>{});

/// `route` with a reference to each of the app's providers (from `Index` on) it needs, added as
/// route steps, where its handler finds them as it finds the route's own.
template <std::size_t Index, class Route, class Providers>
auto with_app_providers_from(Route route, const Providers& providers) {
  if constexpr (Index == std::tuple_size_v<Providers>) {
    return route;
  } else {
    using provider_type = std::tuple_element_t<Index, Providers>;
    if constexpr (needs_app_provider<Route, typename provider_type::value_type>) {
      return with_app_providers_from<Index + 1>(
          std::move(route).use(provider_reference<provider_type>{&std::get<Index>(providers)}), providers);
    } else {
      return with_app_providers_from<Index + 1>(std::move(route), providers);
    }
  }
}

/// The table with the app's providers handed to the routes that need them; the same table (not
/// built again) when none does.
template <class Providers, class... Routes>
auto with_app_providers(router<Routes...> table, const Providers& providers) {
  if constexpr (!(needs_an_app_provider<Routes, Providers> || ...)) {
    return table;
  } else {
    return std::apply(
        [&](Routes&&... each) { return asyncrest::routes(with_app_providers_from<0>(std::move(each), providers)...); },
        router_access::take_routes(std::move(table)));
  }
}

/// The app's steps split: its providers, and its middleware in their order.
template <bool TakeProviders, class Step>
auto step_if(Step& step) {
  if constexpr (is_value_provider<Step> == TakeProviders) {
    return std::tuple<Step>(std::move(step));
  } else {
    return std::tuple<>{};
  }
}
template <bool TakeProviders, class... Steps>
auto take_steps(std::tuple<Steps...>& steps) {
  return std::apply([](Steps&... each) { return std::tuple_cat(step_if<TakeProviders>(each)...); }, steps);
}
template <bool TakeProviders, class... Steps>
using steps_taken = decltype(take_steps<TakeProviders>(std::declval<std::tuple<Steps...>&>()));

template <class Final, class Middleware>
struct chain_over;
template <class Final, class... Middleware>
struct chain_over<Final, std::tuple<Middleware...>> {
  using type = middleware_chain<Final, Middleware...>;
};

}  // namespace asyncrest::detail
