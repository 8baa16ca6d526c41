// Writing a C++ value as JSON by its type, through json_writer.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/detail/rfc3339.hpp>
#include <asyncrest/core/json.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace asyncrest::detail {

template <class Value>
void write_json_value(json_writer& out, const Value& value);

/// The members of a struct, without the braces (a tagged variant writes its tag first). An
/// empty optional is left out.
template <class Aggregate>
void write_json_members(json_writer& out, const Aggregate& value) {
  constexpr std::size_t count = member_count<Aggregate>;
  static_assert(json_members_are_distinct<Aggregate>(),
                "json_fields<T>::rules: two members have the same JSON name, or two rules name the same member");
  const auto members = tie_members<count>(value);
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (
        [&] {
          const auto& member = std::get<Index>(members);
          if constexpr (is_optional<std::remove_cvref_t<decltype(member)>>::value) {
            if (!member) return;
          }
          out.key(json_member<Aggregate, Index>::name);
          write_json_value(out, member);
        }(),
        ...);
  }
  (std::make_index_sequence<count>{});
}

template <class Value>
void write_json_value(json_writer& out, const Value& value) {
  if constexpr (std::is_same_v<Value, bool> || json_integer<Value> || std::is_floating_point_v<Value> ||
                std::is_same_v<Value, std::string>) {
    out.value(value);
  } else if constexpr (std::is_enum_v<Value>) {
    const std::string_view name = enum_name(value);
    if (name.empty()) {
      out.value(static_cast<std::underlying_type_t<Value>>(value));  // a value with no enumerator
    } else {
      out.value(name);
    }
  } else if constexpr (is_optional<Value>::value) {
    if (value) {
      write_json_value(out, *value);
    } else {
      out.value(nullptr);
    }
  } else if constexpr (is_json_vector<Value>::value) {
    out.begin_array();
    for (const auto& item : value) write_json_value(out, static_cast<const typename Value::value_type&>(item));
    out.end_array();
  } else if constexpr (is_json_map<Value>::value) {
    out.begin_object();
    for (const auto& [key, item] : value) {
      out.key(key);
      write_json_value(out, item);
    }
    out.end_object();
  } else if constexpr (is_json_time<Value>::value) {
    thread_local std::string text;  // kept: a time point is written without allocating
    text.clear();
    append_rfc3339(text, value);
    out.value(text);
  } else if constexpr (std::is_same_v<Value, json_value>) {
    value.write(out);
  } else if constexpr (is_std_variant<Value>::value) {
    if constexpr (!tagged_variant<Value>) {
      untagged_variant<Value> refused;
      (void)refused;
    } else {
      using tags = json_variant_tags<Value>;
      static_assert(std::size(tags::values) == std::variant_size_v<Value>,
                    "json_variant_tags<V>::values must hold one tag per alternative of V, in order");
      out.begin_object();
      out.key(tags::key);
      out.value(tags::values[value.index()]);
      std::visit(
          [&out](const auto& alternative) {
            static_assert(json_struct<std::remove_cvref_t<decltype(alternative)>>,
                          "a std::variant written as JSON holds structs (aggregates) only");
            write_json_members(out, alternative);
          },
          value);
      out.end_object();
    }
  } else if constexpr (json_struct<Value>) {
    out.begin_object();
    write_json_members(out, value);
    out.end_object();
  } else {
    unsupported_json_type<Value> refused;
    (void)refused;
  }
}

}  // namespace asyncrest::detail
