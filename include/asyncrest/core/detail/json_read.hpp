// Reading a simdjson DOM value into a C++ value by its type, collecting every misfit with a JSON
// Pointer to it instead of stopping at the first.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/detail/rfc3339.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_errors.hpp>

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace asyncrest::detail {

/// Defined by <asyncrest/core/json_pattern.hpp>: a member's `.pattern`, compiled once.
template <class Member>
struct json_pattern_matcher;

/// A number as a reason shows it: integers without a fraction.
inline std::string json_number_text(double number) {
  char digits[32];
  const auto written = (std::abs(number) < 1e15 && number == std::floor(number))
                           ? std::to_chars(digits, digits + sizeof digits, static_cast<long long>(number))
                           : std::to_chars(digits, digits + sizeof digits, number);
  return std::string(digits, written.ptr);
}

/// Unicode code points in UTF-8 text (simdjson has checked that it is UTF-8).
inline std::size_t code_point_count(std::string_view text) noexcept {
  std::size_t count = 0;
  for (const char byte : text) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

/// Checks `value` against the rules of `Member` (a json_member), calling `fail(reason)` for each
/// broken one: shared by the JSON reader and the query parameters of typed handlers.
template <class Member, class Value, class Fail>
void check_member_rules(const Value& value, Fail&& fail) {
  constexpr auto& rules = Member::rules;
  if constexpr (is_optional<Value>::value) {
    if (value) check_member_rules<Member>(*value, fail);
  } else {
    if constexpr (rules.minimum.has_value() || rules.maximum.has_value()) {
      static_assert(std::is_arithmetic_v<Value> && !std::is_same_v<Value, bool>,
                    "field<...>{.minimum, .maximum} apply to number members only");
      if constexpr (rules.minimum.has_value()) {
        if (static_cast<double>(value) < *rules.minimum) fail("must be at least " + json_number_text(*rules.minimum));
      }
      if constexpr (rules.maximum.has_value()) {
        if (static_cast<double>(value) > *rules.maximum) fail("must be at most " + json_number_text(*rules.maximum));
      }
    }
    if constexpr (rules.length.limited()) {
      constexpr bool text = std::is_same_v<Value, std::string>;
      static_assert(text || is_json_vector<Value>::value || is_json_map<Value>::value,
                    "field<...>{.length} applies to strings, vectors and maps only");
      std::size_t length = 0;
      if constexpr (text) {
        length = code_point_count(value);
      } else {
        length = value.size();
      }
      const char* unit = text ? " characters" : (is_json_vector<Value>::value ? " items" : " members");
      if (length < rules.length.minimum) {
        fail("must have at least " + std::to_string(rules.length.minimum) + unit);
      } else if (length > rules.length.maximum) {
        fail("must have at most " + std::to_string(rules.length.maximum) + unit);
      }
    }
    if constexpr (!rules.pattern.empty()) {
      static_assert(std::is_same_v<Value, std::string>, "field<...>{.pattern} applies to string members only");
      static_assert(
          requires { json_pattern_matcher<Member>::matches(std::string_view{}); },
          "field<...>{.pattern} needs #include <asyncrest/core/json_pattern.hpp>");
      if (!json_pattern_matcher<Member>::matches(value)) fail("must match the pattern " + std::string(rules.pattern));
    }
    if constexpr (!rules.one_of.empty()) {
      bool allowed = false;
      if constexpr (std::is_same_v<Value, std::string>) {
        static_assert(rules.one_of.holds_texts(), "field<...>{.one_of} of a string member lists strings");
        for (std::size_t index = 0; index < rules.one_of.size(); ++index) allowed |= rules.one_of.text(index) == value;
      } else {
        static_assert(std::is_arithmetic_v<Value> && !std::is_same_v<Value, bool> && !rules.one_of.holds_texts(),
                      "field<...>{.one_of} applies to strings (listing strings) and numbers (listing numbers) only");
        for (std::size_t index = 0; index < rules.one_of.size(); ++index) {
          allowed |= rules.one_of.number(index) == static_cast<double>(value);
        }
      }
      if (!allowed) {
        std::string reason = "must be one of: ";
        for (std::size_t index = 0; index < rules.one_of.size(); ++index) {
          if (index > 0) reason.append(", ");
          if constexpr (std::is_same_v<Value, std::string>) {
            reason.append(rules.one_of.text(index));
          } else {
            reason.append(json_number_text(rules.one_of.number(index)));
          }
        }
        fail(reason);
      }
    }
  }
}

/// One step of the path to the value being read: a member's name or an item's index. Steps
/// live on the reader's stack, each pointing to the one before, so descending costs nothing and
/// a JSON Pointer is spelled only for an error.
struct json_path_step {
  const json_path_step* parent;
  std::string_view name;
  std::size_t index;
  bool is_index;
};

/// The state of one read: where it is, what it found wrong, and how strict it is.
class json_reader {
 public:
  json_reader(std::vector<json_field_error>& errors, bool refuse_unknown_fields, std::size_t max_errors) noexcept
      : errors_(errors), refuse_unknown_fields_(refuse_unknown_fields), max_errors_(max_errors) {}

  /// Reads `element` into `out`; misfits are added to the errors.
  template <class Value>
  void read(simdjson::dom::element element, Value& out);

 private:
  using element_type = simdjson::dom::element_type;

  /// The JSON Pointer to where the read is.
  [[nodiscard]] std::string pointer() const {
    std::vector<const json_path_step*> steps;
    for (const json_path_step* step = path_; step != nullptr; step = step->parent) steps.push_back(step);
    std::string text;
    for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
      if ((*step)->is_index) {
        text.push_back('/');
        text.append(std::to_string((*step)->index));
      } else {
        append_json_pointer_token(text, (*step)->name);
      }
    }
    return text;
  }
  void fail(std::string_view detail) {
    if (errors_.size() < max_errors_) errors_.push_back({pointer(), std::string(detail)});
  }
  void fail_at(std::string_view token, std::string_view detail) {
    const json_path_step step{path_, token, 0, false};
    path_ = &step;
    fail(detail);
    path_ = step.parent;
  }
  [[nodiscard]] bool stopped() const noexcept { return errors_.size() >= max_errors_; }

  template <class Integer>
  void read_integer(simdjson::dom::element element, Integer& out);
  template <class Floating>
  void read_floating(simdjson::dom::element element, Floating& out);
  template <class Enum>
  void read_enum(simdjson::dom::element element, Enum& out);
  template <class Duration>
  void read_time(simdjson::dom::element element, std::chrono::sys_time<Duration>& out);
  template <class Vector>
  void read_array(simdjson::dom::element element, Vector& out);
  template <class Map>
  void read_map(simdjson::dom::element element, Map& out);
  template <class Variant>
  void read_variant(simdjson::dom::element element, Variant& out);
  template <class Aggregate>
  void read_members(simdjson::dom::object object, Aggregate& out, std::string_view tag_key);
  template <class Member, class Value>
  void check_rules(const Value& value);
  static json_value to_json_value(simdjson::dom::element element);

  std::vector<json_field_error>& errors_;
  const json_path_step* path_ = nullptr;
  bool refuse_unknown_fields_;
  std::size_t max_errors_;
};

template <class Value>
void json_reader::read(simdjson::dom::element element, Value& out) {
  if (stopped()) return;
  const element_type type = element.type();
  if constexpr (std::is_same_v<Value, bool>) {
    if (type == element_type::BOOL) {
      out = element.get_bool().value_unsafe();
    } else {
      fail("expected a boolean");
    }
  } else if constexpr (json_integer<Value>) {
    read_integer(element, out);
  } else if constexpr (std::is_floating_point_v<Value>) {
    read_floating(element, out);
  } else if constexpr (std::is_same_v<Value, std::string>) {
    if (type == element_type::STRING) {
      out.assign(element.get_string().value_unsafe());
    } else {
      fail("expected a string");
    }
  } else if constexpr (std::is_enum_v<Value>) {
    read_enum(element, out);
  } else if constexpr (is_optional<Value>::value) {
    if (type == element_type::NULL_VALUE) {
      out.reset();
    } else {
      read(element, out.emplace());
    }
  } else if constexpr (is_json_vector<Value>::value) {
    read_array(element, out);
  } else if constexpr (is_json_map<Value>::value) {
    read_map(element, out);
  } else if constexpr (is_json_time<Value>::value) {
    read_time(element, out);
  } else if constexpr (std::is_same_v<Value, json_value>) {
    out = to_json_value(element);
  } else if constexpr (is_std_variant<Value>::value) {
    read_variant(element, out);
  } else if constexpr (json_struct<Value>) {
    if (type == element_type::OBJECT) {
      read_members(element.get_object().value_unsafe(), out, {});
    } else {
      fail("expected an object");
    }
  } else {
    unsupported_json_type<Value> refused;
    (void)refused;
  }
}

template <class Integer>
void json_reader::read_integer(simdjson::dom::element element, Integer& out) {
  bool in_range = false;
  switch (element.type()) {
    case element_type::INT64: {
      const std::int64_t number = element.get_int64().value_unsafe();
      in_range = std::in_range<Integer>(number);
      if (in_range) out = static_cast<Integer>(number);
      break;
    }
    case element_type::UINT64: {
      const std::uint64_t number = element.get_uint64().value_unsafe();
      in_range = std::in_range<Integer>(number);
      if (in_range) out = static_cast<Integer>(number);
      break;
    }
    default: fail("expected an integer"); return;
  }
  if (!in_range) {
    fail("must be an integer from " + std::to_string(std::numeric_limits<Integer>::min()) + " to " +
         std::to_string(std::numeric_limits<Integer>::max()));
  }
}

template <class Floating>
void json_reader::read_floating(simdjson::dom::element element, Floating& out) {
  double number = 0;
  switch (element.type()) {
    case element_type::INT64: number = static_cast<double>(element.get_int64().value_unsafe()); break;
    case element_type::UINT64: number = static_cast<double>(element.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: number = element.get_double().value_unsafe(); break;
    default: fail("expected a number"); return;
  }
  if (std::abs(number) > static_cast<double>(std::numeric_limits<Floating>::max())) {
    fail("is too large for a " + std::string(sizeof(Floating) == sizeof(float) ? "32" : "64") + "-bit number");
    return;
  }
  out = static_cast<Floating>(number);
}

template <class Enum>
void json_reader::read_enum(simdjson::dom::element element, Enum& out) {
  if (element.type() == element_type::STRING) {
    if (const auto value = enum_from_name<Enum>(element.get_string().value_unsafe())) {
      out = *value;
      return;
    }
  }
  std::string reason = "must be one of: ";
  bool first = true;
  for (const std::string_view name : enum_names<Enum>()) {
    if (!first) reason.append(", ");
    reason.append(name);
    first = false;
  }
  fail(reason);
}

template <class Duration>
void json_reader::read_time(simdjson::dom::element element, std::chrono::sys_time<Duration>& out) {
  if (element.type() == element_type::STRING) {
    if (const auto instant = parse_rfc3339(element.get_string().value_unsafe())) {
      if (const auto time = to_sys_time<Duration>(*instant)) {
        out = *time;
      } else {
        fail("is out of the range of dates this field holds");
      }
      return;
    }
  }
  fail("expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z");
}

template <class Vector>
void json_reader::read_array(simdjson::dom::element element, Vector& out) {
  if (element.type() != element_type::ARRAY) {
    fail("expected an array");
    return;
  }
  out.clear();
  // A copy: value_unsafe() is a reference into the temporary result, which a range-for outlives.
  const simdjson::dom::array items = element.get_array().value_unsafe();
  out.reserve(items.size());
  json_path_step step{path_, {}, 0, true};
  path_ = &step;
  for (const simdjson::dom::element item : items) {
    if constexpr (std::is_same_v<typename Vector::value_type, bool>) {
      bool value = false;  // std::vector<bool> has no bool& to read into
      read(item, value);
      out.push_back(value);
    } else {
      read(item, out.emplace_back());  // in place: a string or struct item is not moved
    }
    ++step.index;
    if (stopped()) break;
  }
  path_ = step.parent;
}

template <class Map>
void json_reader::read_map(simdjson::dom::element element, Map& out) {
  if (element.type() != element_type::OBJECT) {
    fail("expected an object");
    return;
  }
  out.clear();
  const simdjson::dom::object members = element.get_object().value_unsafe();
  for (const simdjson::dom::key_value_pair member : members) {
    const json_path_step step{path_, member.key, 0, false};
    path_ = &step;
    typename Map::mapped_type value{};
    read(member.value, value);
    out.insert_or_assign(std::string(member.key), std::move(value));
    path_ = step.parent;
    if (stopped()) return;
  }
}

template <class Variant>
void json_reader::read_variant(simdjson::dom::element element, Variant& out) {
  if constexpr (!tagged_variant<Variant>) {
    untagged_variant<Variant> refused;
    (void)refused;
  } else {
    using tags = json_variant_tags<Variant>;
    static_assert(std::size(tags::values) == std::variant_size_v<Variant>,
                  "json_variant_tags<V>::values must hold one tag per alternative of V, in order");
    if (element.type() != element_type::OBJECT) {
      fail("expected an object");
      return;
    }
    const simdjson::dom::object object = element.get_object().value_unsafe();
    simdjson::dom::element tag;
    if (object.at_key(tags::key).get(tag) != simdjson::SUCCESS) {
      fail_at(tags::key, "required");
      return;
    }
    std::string_view tag_value;
    std::size_t chosen = std::variant_size_v<Variant>;
    if (tag.get(tag_value) == simdjson::SUCCESS) {
      for (std::size_t index = 0; index < std::size(tags::values); ++index) {
        if (tags::values[index] == tag_value) chosen = index;
      }
    }
    if (chosen == std::variant_size_v<Variant>) {
      std::string reason = "must be one of: ";
      for (std::size_t index = 0; index < std::size(tags::values); ++index) {
        if (index > 0) reason.append(", ");
        reason.append(tags::values[index]);
      }
      fail_at(tags::key, reason);
      return;
    }
    [&]<std::size_t... Index>(std::index_sequence<Index...>) {
      ((chosen == Index ? (read_members(object, out.template emplace<Index>(), tags::key), 0) : 0), ...);
    }
    (std::make_index_sequence<std::variant_size_v<Variant>>{});
  }
}

template <class Aggregate>
void json_reader::read_members(simdjson::dom::object object, Aggregate& out, std::string_view tag_key) {
  static_assert(json_struct<Aggregate>, "a std::variant read as JSON holds structs (aggregates) only");
  constexpr std::size_t count = member_count<Aggregate>;
  static constexpr auto names = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<std::string_view, count>{json_member<Aggregate, Index>::name...};
  }
  (std::make_index_sequence<count>{});
  static_assert(json_members_are_distinct<Aggregate>(),
                "json_fields<T>::rules: two members have the same JSON name, or two rules name the same member");
  auto members = tie_members<count>(out);
  std::array<bool, count> seen{};
  std::size_t expected = 0;
  for (const simdjson::dom::key_value_pair member : object) {
    if (stopped()) return;
    const std::string_view key = member.key;
    const std::size_t index = json_member_index<Aggregate>(key, expected);
    expected = index + 1;
    if (index == count) {
      if (refuse_unknown_fields_ && key != tag_key) fail_at(key, "unknown field");
      continue;
    }
    if (seen[index]) {
      fail_at(key, "duplicate field");
      continue;
    }
    seen[index] = true;
    const json_path_step step{path_, key, 0, false};
    path_ = &step;
    [&]<std::size_t... Index>(std::index_sequence<Index...>) {
      (
          [&] {
            if (index != Index) return;
            const std::size_t errors_before = errors_.size();
            read(member.value, std::get<Index>(members));
            if (errors_.size() == errors_before) check_rules<json_member<Aggregate, Index>>(std::get<Index>(members));
          }(),
          ...);
    }
    (std::make_index_sequence<count>{});
    path_ = step.parent;
  }
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    ((json_member<Aggregate, Index>::required && !seen[Index] ? fail_at(names[Index], "required") : void()), ...);
  }
  (std::make_index_sequence<count>{});
}

template <class Member, class Value>
void json_reader::check_rules(const Value& value) {
  check_member_rules<Member>(value, [this](std::string_view reason) { fail(reason); });
}

inline json_value json_reader::to_json_value(simdjson::dom::element element) {
  switch (element.type()) {
    case element_type::ARRAY: {
      json_value::array_type items;
      const simdjson::dom::array array = element.get_array().value_unsafe();
      for (const simdjson::dom::element item : array) items.push_back(to_json_value(item));
      return json_value(std::move(items));
    }
    case element_type::OBJECT: {
      json_value::object_type members;
      const simdjson::dom::object object = element.get_object().value_unsafe();
      for (const simdjson::dom::key_value_pair member : object) {
        members.emplace_back(std::string(member.key), to_json_value(member.value));
      }
      return json_value(std::move(members));
    }
    case element_type::INT64: return json_value(element.get_int64().value_unsafe());
    case element_type::UINT64: return json_value(element.get_uint64().value_unsafe());
    case element_type::DOUBLE: return json_value(element.get_double().value_unsafe());
    case element_type::STRING: return json_value(element.get_string().value_unsafe());
    case element_type::BOOL: return json_value(element.get_bool().value_unsafe());
    case element_type::NULL_VALUE: break;
  }
  return json_value(nullptr);
}

}  // namespace asyncrest::detail
