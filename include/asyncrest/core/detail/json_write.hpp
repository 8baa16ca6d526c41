// Writing a C++ value as JSON by its type, through json_output (json_output.hpp).
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_output.hpp>
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
void write_json_value(json_output& out, const Value& value);

/// The members of a struct, without the braces; `AfterTag` when a tagged variant has written
/// its tag first. An empty optional is left out.
template <class Aggregate, bool AfterTag = false>
void write_json_members(json_output& out, const Aggregate& value) {
  constexpr std::size_t count = member_count<Aggregate>;
  static_assert(json_members_are_distinct<Aggregate>(),
                "json_fields<T>::rules: two members have the same JSON name, or two rules name the same member");
  const auto members = tie_members<count>(value);
  bool comma = AfterTag;
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (
        [&] {
          const auto& member = std::get<Index>(members);
          if constexpr (is_optional<std::remove_cvref_t<decltype(member)>>::value) {
            if (!member) return;
          }
          using quoted = quoted_json_name<json_member<Aggregate, Index>::name>;
          out.put(comma ? quoted::with_comma : quoted::without_comma);
          comma = true;
          write_json_value(out, member);
        }(),
        ...);
  }
  (std::make_index_sequence<count>{});
}

template <class Value>
void write_json_value(json_output& out, const Value& value) {
  if constexpr (std::is_same_v<Value, bool>) {
    out.put(value ? std::string_view("true") : std::string_view("false"));
  } else if constexpr (json_integer<Value>) {
    write_json_integer(out, value);
  } else if constexpr (std::is_floating_point_v<Value>) {
    write_json_double(out, static_cast<double>(value));
  } else if constexpr (std::is_same_v<Value, std::string>) {
    write_json_string(out, value);
  } else if constexpr (std::is_enum_v<Value>) {
    const std::string_view name = enum_name(value);
    if (name.empty()) {
      write_json_integer(out, static_cast<std::underlying_type_t<Value>>(value));  // a value with no enumerator
    } else {
      write_json_string(out, name);
    }
  } else if constexpr (is_optional<Value>::value) {
    if (value) {
      write_json_value(out, *value);
    } else {
      out.put("null");
    }
  } else if constexpr (is_json_vector<Value>::value) {
    out.put('[');
    bool comma = false;
    for (const auto& item : value) {
      if (comma) out.put(',');
      comma = true;
      write_json_value(out, static_cast<const typename Value::value_type&>(item));
    }
    out.put(']');
  } else if constexpr (is_json_map<Value>::value) {
    out.put('{');
    bool comma = false;
    for (const auto& [key, item] : value) {
      if (comma) out.put(',');
      comma = true;
      write_json_string(out, key);
      out.put(':');
      write_json_value(out, item);
    }
    out.put('}');
  } else if constexpr (is_json_time<Value>::value) {
    char* at = out.room(longest_rfc3339 + 2);
    at[0] = '"';
    const std::size_t length = write_rfc3339(at + 1, value);
    at[length + 1] = '"';
    out.advance(length + 2);
  } else if constexpr (std::is_same_v<Value, json_value>) {
    out.through_string([&value](std::string& text) {
      json_writer writer{text};
      value.write(writer);
    });
  } else if constexpr (is_std_variant<Value>::value) {
    if constexpr (!tagged_variant<Value>) {
      untagged_variant<Value> refused;
      (void)refused;
    } else {
      using tags = json_variant_tags<Value>;
      static_assert(std::size(tags::values) == std::variant_size_v<Value>,
                    "json_variant_tags<V>::values must hold one tag per alternative of V, in order");
      out.put('{');
      write_json_string(out, tags::key);
      out.put(':');
      write_json_string(out, tags::values[value.index()]);
      std::visit(
          [&out](const auto& alternative) {
            static_assert(json_struct<std::remove_cvref_t<decltype(alternative)>>,
                          "a std::variant written as JSON holds structs (aggregates) only");
            write_json_members<std::remove_cvref_t<decltype(alternative)>, true>(out, alternative);
          },
          value);
      out.put('}');
    }
  } else if constexpr (json_struct<Value>) {
    out.put('{');
    write_json_members(out, value);
    out.put('}');
  } else {
    unsupported_json_type<Value> refused;
    (void)refused;
  }
}

}  // namespace asyncrest::detail
