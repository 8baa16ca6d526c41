// Reflection of plain structs and enums in C++20: how many members an aggregate has, each member
// by index, each member's name, and enumerators to and from their names, all found at compile
// time with no macro and no registration.
//
//     struct point { int x; int y; };
//     static_assert(member_count<point> == 2);
//     static_assert(member_names<point>()[1] == "y");
//     for_each_member(p, [](std::string_view name, auto& value) { ... });
//
//     enum class color { red, green };
//     enum_name(color::green) == "green";  enum_from_name<color>("red") == color::red;
//
// What can be reflected: an aggregate (no constructors, no base classes, no C arrays or
// references among its members) of at most 64 members, declared outside a function; an enum's
// enumerators whose values lie in -128..127. Names are read from the compiler's
// `__PRETTY_FUNCTION__` (g++ 12 and clang 14 and later).
#pragma once

#include <asyncrest/core/detail/aggregate_members.hpp>
#include <asyncrest/core/detail/enum_names.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest {

/// A struct whose members reflection can reach: an aggregate class that is not a union, of at
/// most 64 members.
template <class Type>
concept reflectable_aggregate = requires {
  requires std::is_aggregate_v<Type>;
  requires std::is_class_v<Type>;
  requires !std::is_union_v<Type>;
  requires detail::count_members<Type>()
  <= detail::max_reflected_members;
};

/// How many members `Aggregate` has.
template <reflectable_aggregate Aggregate>
inline constexpr std::size_t member_count = detail::count_members<Aggregate>();

/// The members' names, in declaration order, as the source spells them.
template <reflectable_aggregate Aggregate>
[[nodiscard]] consteval std::array<std::string_view, member_count<Aggregate>> member_names() noexcept {
  return detail::member_names_of<Aggregate>();
}

/// The member at `Index` (a const reference for a const object).
template <std::size_t Index, class Aggregate>
requires reflectable_aggregate<std::remove_const_t<Aggregate>>
[[nodiscard]] constexpr auto& get_member(Aggregate& object) noexcept {
  static_assert(Index < member_count<std::remove_const_t<Aggregate>>, "get_member: the index is past the last member");
  return std::get<Index>(detail::tie_members<member_count<std::remove_const_t<Aggregate>>>(object));
}

/// Calls `visit(name, member)` for each member in declaration order.
template <class Aggregate, class Visitor>
requires reflectable_aggregate<std::remove_const_t<Aggregate>>
constexpr void for_each_member(Aggregate& object, Visitor&& visit) {
  using plain = std::remove_const_t<Aggregate>;
  constexpr auto names = member_names<plain>();
  auto members = detail::tie_members<member_count<plain>>(object);
  [&]<std::size_t... Index>(std::index_sequence<Index...>) { (visit(names[Index], std::get<Index>(members)), ...); }
  (std::make_index_sequence<member_count<plain>>{});
}

/// The name of `value`'s enumerator; empty when it has none (or one outside -128..127).
template <class Enum>
requires std::is_enum_v<Enum>
[[nodiscard]] constexpr std::string_view enum_name(Enum value) noexcept {
  for (const auto& entry : detail::enum_table<Enum>) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

/// The enumerator named `name` exactly, if `Enum` has one.
template <class Enum>
requires std::is_enum_v<Enum>
[[nodiscard]] constexpr std::optional<Enum> enum_from_name(std::string_view name) noexcept {
  for (const auto& entry : detail::enum_table<Enum>) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

/// Every enumerator's name, in increasing order of value.
template <class Enum>
requires std::is_enum_v<Enum>
[[nodiscard]] constexpr auto enum_names() noexcept {
  constexpr auto& table = detail::enum_table<Enum>;
  std::array<std::string_view, table.size()> names{};
  for (std::size_t at = 0; at < table.size(); ++at) names[at] = table[at].name;
  return names;
}

}  // namespace asyncrest
