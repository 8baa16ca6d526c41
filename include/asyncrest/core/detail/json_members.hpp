// A struct's members as JSON sees them, at compile time: index, JSON name (after renames), type,
// rules, whether required. Reading, writing and schema generation all walk this one description.
//
//     detail::visit_json_members<todo>([]<class Member>(Member) {
//       Member::index; Member::name; typename Member::type; Member::rules; Member::required;
//     });
#pragma once

#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/core/reflection.hpp>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

template <class Type>
struct is_optional : std::false_type {};
template <class Type>
struct is_optional<std::optional<Type>> : std::true_type {};

template <class Pointer>
struct member_pointer_parts;
template <class Owner, class Member>
struct member_pointer_parts<Member Owner::*> {
  using owner = Owner;
  using member = Member;
};

template <class Aggregate>
consteval auto json_rules_of() {
  if constexpr (requires { json_fields<Aggregate>::rules; }) {
    return json_fields<Aggregate>::rules;
  } else {
    return std::tuple<>{};
  }
}

/// The index of the member `Pointer` points to: the one at the same address in an object.
template <class Aggregate, auto Pointer, std::size_t... Index>
consteval std::size_t member_index_of(std::index_sequence<Index...>) {
  const void* wanted = &(declared_object<Aggregate>().*Pointer);
  std::size_t found = sizeof...(Index);
  ((static_cast<const void*>(address_of_member<Aggregate, Index>().pointer) == wanted ? (found = Index) : 0), ...);
  return found;
}

template <class Aggregate, class Rule>
consteval bool rule_belongs_to() {
  using pointer = std::remove_cv_t<decltype(Rule::member)>;
  if constexpr (std::is_member_object_pointer_v<pointer>) {
    return std::is_same_v<typename member_pointer_parts<pointer>::owner, Aggregate>;
  } else {
    return false;
  }
}

template <class Aggregate, class Rule, std::size_t Index>
consteval bool rule_is_for_member() {
  static_assert(rule_belongs_to<Aggregate, Rule>(),
                "json_fields<T>::rules: each field<&T::member> must point to a member of T itself");
  if constexpr (rule_belongs_to<Aggregate, Rule>()) {
    return member_index_of<Aggregate, Rule::member>(std::make_index_sequence<member_count<Aggregate>>{}) == Index;
  } else {
    return false;
  }
}

template <class Aggregate>
using json_rules_type = std::remove_cvref_t<decltype(json_rules_of<Aggregate>())>;

/// Where member `Index`'s rule is in the rules tuple; the tuple's size when it has none.
template <class Aggregate, std::size_t Index, std::size_t... Position>
consteval std::size_t rule_position(std::index_sequence<Position...>) {
  std::size_t found = sizeof...(Position);
  ((rule_is_for_member<Aggregate, std::tuple_element_t<Position, json_rules_type<Aggregate>>, Index>()
        ? (found = Position)
        : 0),
   ...);
  return found;
}

template <class Aggregate, std::size_t Index>
inline constexpr std::size_t rule_position_of =
    rule_position<Aggregate, Index>(std::make_index_sequence<std::tuple_size_v<json_rules_type<Aggregate>>>{});

template <class Aggregate, std::size_t Index>
consteval auto rules_of_member() {
  if constexpr (rule_position_of<Aggregate, Index> < std::tuple_size_v<json_rules_type<Aggregate>>) {
    return std::get<rule_position_of<Aggregate, Index>>(json_rules_of<Aggregate>());
  } else {
    return no_field_rules{};
  }
}

/// One member as JSON sees it.
template <class Aggregate, std::size_t Index>
struct json_member {
  static constexpr std::size_t index = Index;
  using type = std::remove_cvref_t<decltype(get_member<Index>(std::declval<Aggregate&>()))>;
  static constexpr auto rules = rules_of_member<Aggregate, Index>();
  static constexpr std::string_view name = rules.name.empty() ? member_names<Aggregate>()[Index] : rules.name;
  /// A member that is not a `std::optional` must be present in what is read.
  static constexpr bool required = !is_optional<type>::value;
};

/// Whether no two members share a JSON name and no two rules name the same member.
template <class Aggregate>
consteval bool json_members_are_distinct() {
  constexpr std::size_t count = member_count<Aggregate>;
  constexpr auto names = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<std::string_view, count>{json_member<Aggregate, Index>::name...};
  }
  (std::make_index_sequence<count>{});
  for (std::size_t first = 0; first < count; ++first) {
    for (std::size_t second = first + 1; second < count; ++second) {
      if (names[first] == names[second]) return false;
    }
  }
  constexpr std::size_t rule_count = std::tuple_size_v<json_rules_type<Aggregate>>;
  const std::size_t matched = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return (std::size_t{0} + ... + (rule_position_of<Aggregate, Index> < rule_count ? 1 : 0));
  }
  (std::make_index_sequence<count>{});
  return matched == rule_count;
}

/// Whether `key` is member `Index`'s JSON name: a comparison of a known length, which compilers
/// make a few loads rather than a call.
template <class Aggregate, std::size_t Index>
[[nodiscard]] bool is_json_member_name(std::string_view key) noexcept {
  constexpr std::string_view name = json_member<Aggregate, Index>::name;
  if constexpr (name.empty()) {
    return key.empty();
  } else {
    return key.size() == name.size() && std::memcmp(key.data(), name.data(), name.size()) == 0;
  }
}

/// The index of the member whose JSON name is `key`; member_count<Aggregate> when none is.
/// Documents mostly list members in the struct's order, so `expected` (the member after the
/// last one found) is tried first and a key usually costs one comparison.
template <class Aggregate>
[[nodiscard]] std::size_t json_member_index(std::string_view key, std::size_t expected) noexcept {
  return [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    std::size_t found = sizeof...(Index);
    const bool as_expected =
        ((expected == Index && is_json_member_name<Aggregate, Index>(key) && (found = Index, true)) || ...);
    if (!as_expected) (void)((is_json_member_name<Aggregate, Index>(key) && (found = Index, true)) || ...);
    return found;
  }
  (std::make_index_sequence<member_count<Aggregate>>{});
}

/// Calls `visit(json_member<Aggregate, I>{})` for each member in declaration order.
template <class Aggregate, class Visitor>
constexpr void visit_json_members(Visitor&& visit) {
  static_assert(json_members_are_distinct<Aggregate>(),
                "json_fields<T>::rules: two members have the same JSON name, or two rules name the same member");
  [&]<std::size_t... Index>(std::index_sequence<Index...>) { (visit(json_member<Aggregate, Index>{}), ...); }
  (std::make_index_sequence<member_count<Aggregate>>{});
}

}  // namespace asyncrest::detail
