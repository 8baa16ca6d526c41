// How a struct's members appear in JSON, said once next to the struct: renames and constraints,
// which reading checks (typed_json.hpp) and a schema can show.
//
//     struct new_todo { std::string title; std::optional<std::chrono::sys_seconds> due; int priority; };
//
//     template <>
//     struct asyncrest::json_fields<new_todo> {
//       static constexpr auto rules = asyncrest::fields(
//           asyncrest::field<&new_todo::title>{.length = {1, 200}},
//           asyncrest::field<&new_todo::priority>{.name = "prio", .minimum = 0, .maximum = 5});
//     };
//
// A member with no rule keeps its own name and accepts any value of its type. A constraint on a
// `std::optional` member applies to the value when there is one.
//
// A tagged union is a `std::variant` of structs whose JSON objects carry a tag member naming the
// alternative:
//
//     using shape = std::variant<circle, square>;
//     template <>
//     struct asyncrest::json_variant_tags<shape> {
//       static constexpr std::string_view key = "kind";
//       static constexpr std::array<std::string_view, 2> values = {"circle", "square"};
//     };
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace asyncrest {

/// The primary template has no rules: every member by its own name, unconstrained.
template <class Aggregate>
struct json_fields {};

/// The tag of a `std::variant` of structs: the member `key` names the alternative, `values[i]`
/// being the tag of alternative i. Specialize it for each variant read or written as JSON.
template <class Variant>
struct json_variant_tags;

/// The name a struct's schema has in a document that describes it (an OpenAPI document's
/// `components/schemas`). Without a specialization, the type's own name without namespaces
/// ("page_todo" for `app::page<app::todo>`); specialize it to choose another, or when two types
/// of the same name in different namespaces would share one:
///
///     template <>
///     struct asyncrest::json_schema_name<app::todo> {
///       static constexpr std::string_view name = "Todo";
///     };
template <class Aggregate>
struct json_schema_name {};

/// The least and most characters of a string (Unicode code points), items of an array or
/// members of a map.
struct length_limits {
  std::size_t minimum = 0;
  std::size_t maximum = std::numeric_limits<std::size_t>::max();

  [[nodiscard]] constexpr bool limited() const noexcept {
    return minimum != 0 || maximum != std::numeric_limits<std::size_t>::max();
  }
};

/// The values a string or number member may take: `.one_of = {"low", "high"}` or `{1, 2, 4}`.
class allowed_values {
 public:
  static constexpr std::size_t capacity = 32;

  constexpr allowed_values() noexcept = default;
  constexpr allowed_values(std::initializer_list<std::string_view> texts) : count_(texts.size()), texts_(true) {
    if (texts.size() > capacity) throw std::length_error("one_of lists at most 32 values");
    std::size_t at = 0;
    for (const std::string_view text : texts) text_values_[at++] = text;
  }
  constexpr allowed_values(std::initializer_list<double> numbers) : count_(numbers.size()), texts_(false) {
    if (numbers.size() > capacity) throw std::length_error("one_of lists at most 32 values");
    std::size_t at = 0;
    for (const double number : numbers) number_values_[at++] = number;
  }

  [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
  /// Whether the values are strings (otherwise numbers).
  [[nodiscard]] constexpr bool holds_texts() const noexcept { return texts_; }
  [[nodiscard]] constexpr std::string_view text(std::size_t index) const noexcept { return text_values_[index]; }
  [[nodiscard]] constexpr double number(std::size_t index) const noexcept { return number_values_[index]; }

 private:
  std::size_t count_ = 0;
  bool texts_ = false;
  std::array<std::string_view, capacity> text_values_{};
  std::array<double, capacity> number_values_{};
};

/// The rules of the member `Member` (a pointer to a data member, `&todo::title`). Each rule is
/// optional; set the ones that apply with designated initializers.
template <auto Member>
struct field {
  static_assert(std::is_member_object_pointer_v<decltype(Member)> || std::is_null_pointer_v<decltype(Member)>,
                "field<&type::member>: the argument must point to a data member");
  static constexpr auto member = Member;

  /// The JSON name, when it differs from the member's.
  std::string_view name{};
  /// Numbers: the least and greatest value allowed.
  std::optional<double> minimum{};
  std::optional<double> maximum{};
  /// Strings, arrays, maps: how long (`{1, 200}`, `{.maximum = 10}`).
  length_limits length{};
  /// Strings: an ECMAScript regular expression that must match somewhere in the value (anchor it
  /// with ^ and $ for the whole value); compiled once. Include <asyncrest/core/json_pattern.hpp>.
  std::string_view pattern{};
  /// Strings and numbers: the only values allowed.
  allowed_values one_of{};
};

/// The rules of a member that has none.
using no_field_rules = field<nullptr>;

/// The rules of a struct's members, in any order, one `field` per member at most.
template <class... Fields>
[[nodiscard]] constexpr std::tuple<Fields...> fields(Fields... rules) {
  return std::tuple<Fields...>{rules...};
}

}  // namespace asyncrest
