// What the route table is checked and assembled with at compile time: which types are routes,
// duplicates refused, route groups flattened, and the Allow header of a set of methods.
#pragma once

#include <asyncrest/core/method.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_tree.hpp>
#include <asyncrest/server/fixed_string.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

namespace asyncrest {

template <fixed_string Path, method Method, class Handler, class... Middleware>
class route;
template <class... Routes>
class router;
template <class... Routes>
struct route_group;

namespace detail {

struct router_access;

template <class Type>
inline constexpr bool is_route = false;
template <fixed_string Path, method Method, class Handler, class... Middleware>
inline constexpr bool is_route<route<Path, Method, Handler, Middleware...>> = true;

template <class... Routes>
constexpr bool has_duplicate_route() {
  constexpr std::size_t count = sizeof...(Routes);
  if constexpr (count < 2) {
    return false;
  } else {
    constexpr std::array<path_pattern, count> patterns{Routes::pattern...};
    constexpr std::array<method, count> methods{Routes::route_method...};
    for (std::size_t left = 0; left < count; ++left) {
      for (std::size_t right = left + 1; right < count; ++right) {
        if (methods[left] == methods[right] && same_shape(patterns[left], patterns[right])) return true;
      }
    }
    return false;
  }
}

/// A router's routes, each in a base class of its own rather than in a std::tuple: a std::tuple
/// of N routes is N nested classes of up to N arguments each, and each std::get picks among them
/// by overload resolution, which made a 200-route table's front end quadratic. Here a route is
/// found by its index in one deduction against flat bases.
template <std::size_t Index, class Route>
struct route_slot {
  Route route;
};

template <class Indices, class... Routes>
struct route_slots;
template <std::size_t... Index, class... Routes>
struct route_slots<std::index_sequence<Index...>, Routes...> : route_slot<Index, Routes>... {
  explicit route_slots(Routes&&... routes) : route_slot<Index, Routes>{std::move(routes)}... {}

  /// `function(route...)`, the routes in order.
  template <class Function>
  decltype(auto) apply(Function&& function) const& {
    return std::forward<Function>(function)(static_cast<const route_slot<Index, Routes>&>(*this).route...);
  }
  template <class Function>
  decltype(auto) apply(Function&& function) && {
    return std::forward<Function>(function)(static_cast<route_slot<Index, Routes>&>(*this).route...);
  }
};

/// The route at `Index`.
template <std::size_t Index, class Route>
const Route& route_at(const route_slot<Index, Route>& slot) noexcept {
  return slot.route;
}

/// The Allow header for a set of methods: HEAD with GET, and OPTIONS always.
inline std::string allow_header(method_mask methods) {
  std::string allowed;
  const auto add = [&](method verb) {
    if (!allowed.empty()) allowed.append(", ");
    allowed.append(to_string(verb));
  };
  for (method verb : {method::get, method::head, method::post, method::put, method::patch, method::delete_}) {
    const bool declared = (methods & mask_of(verb)) != 0 || (verb == method::head && (methods & mask_of(method::get)));
    if (declared) add(verb);
  }
  add(method::options);
  return allowed;
}

template <class Item>
std::tuple<Item> as_route_tuple(Item&& item) {
  return std::tuple<Item>(std::move(item));
}
template <class... Routes>
std::tuple<Routes...> as_route_tuple(route_group<Routes...>&& group) {
  return std::move(group.routes);
}
template <class Tuple>
struct router_for;
template <class... Routes>
struct router_for<std::tuple<Routes...>> {
  using type = router<Routes...>;
};

}  // namespace detail
}  // namespace asyncrest
