// Which C++ types typed JSON reads and writes, and the compile error for the others.
#pragma once

#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/core/reflection.hpp>

#include <chrono>
#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

namespace asyncrest::detail {

template <class Type>
concept json_integer =
    std::integral<Type> && !std::same_as<Type, bool> && !std::same_as<Type, char> && !std::same_as<Type, wchar_t> &&
    !std::same_as<Type, char8_t> && !std::same_as<Type, char16_t> && !std::same_as<Type, char32_t>;

template <class Type>
struct is_json_vector : std::false_type {};
template <class Item, class Allocator>
struct is_json_vector<std::vector<Item, Allocator>> : std::true_type {};

template <class Type>
struct is_json_map : std::false_type {};
template <class Value, class Compare, class Allocator>
struct is_json_map<std::map<std::string, Value, Compare, Allocator>> : std::true_type {};
template <class Value, class Hash, class Equal, class Allocator>
struct is_json_map<std::unordered_map<std::string, Value, Hash, Equal, Allocator>> : std::true_type {};

template <class Type>
struct is_json_time : std::false_type {};
template <class Duration>
struct is_json_time<std::chrono::sys_time<Duration>> : std::true_type {};

template <class Type>
struct is_std_variant : std::false_type {};
template <class... Alternatives>
struct is_std_variant<std::variant<Alternatives...>> : std::true_type {};

template <class Variant>
concept tagged_variant = is_std_variant<Variant>::value && requires {
  json_variant_tags<Variant>::key;
  json_variant_tags<Variant>::values;
};

template <class Type>
inline constexpr bool dependent_false = false;

/// Instantiated for a type typed JSON cannot read or write: the compiler names the type in the
/// instantiation above the message.
template <class Type>
struct unsupported_json_type {
  static_assert(dependent_false<Type>,
                "typed JSON cannot read or write this type (named in the instantiation above). Supported: bool, "
                "integer types (not char), float, double, std::string, enums (as their names), structs that are "
                "aggregates, std::optional, std::vector, std::map and std::unordered_map with std::string keys, "
                "std::variant of structs with asyncrest::json_variant_tags, std::chrono::sys_time, "
                "asyncrest::json_value");
};

template <class Variant>
struct untagged_variant {
  static_assert(dependent_false<Variant>,
                "a std::variant read or written as JSON needs asyncrest::json_variant_tags<std::variant<...>> with "
                "`key` (the tag member's name) and `values` (each alternative's tag, in order)");
};

/// A struct read and written member by member.
template <class Type>
concept json_struct = reflectable_aggregate<Type> && !is_json_vector<Type>::value && !is_json_map<Type>::value;

}  // namespace asyncrest::detail
