// Reading JSON text straight into a C++ value with simdjson's On-Demand parser: no DOM tape is
// built, each value is parsed once, where it lands. It only says whether the document fit.
// On-Demand reads forward and stops at the first misfit, so a document that does not fit, or
// that it cannot vouch for, is read again by json_reader (json_read.hpp), which lists every
// error with its JSON Pointer: the error path costs a second parse, a fitting document one.
//
// On-Demand does not check the grammar of what it skips, so this reader skips nothing: an
// unknown member or a duplicate sends the document to json_reader, and so does text after the
// root value. What On-Demand does check (UTF-8, strings, numbers, the structure it walks) is
// what the DOM parser checks.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_output.hpp>
#include <asyncrest/core/detail/json_read.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/detail/rfc3339.hpp>
#include <asyncrest/core/json.hpp>

#include <simdjson.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// Whether the On-Demand reader reads `Value`: all but variants (whose tag may come after the
/// members it decides) and json_value (any JSON, kept), within a nesting of eight, so that a
/// recursive struct, which would never end the check, takes json_reader's path.
template <class Value, std::size_t Depth = 0>
consteval bool on_demand_readable() {
  constexpr std::size_t deepest = 8;
  if constexpr (Depth > deepest) {
    return false;
  } else if constexpr (std::is_same_v<Value, bool> || json_integer<Value> || std::is_floating_point_v<Value> ||
                       std::is_same_v<Value, std::string> || std::is_enum_v<Value> || is_json_time<Value>::value) {
    return true;
  } else if constexpr (is_optional<Value>::value) {
    return on_demand_readable<typename Value::value_type, Depth>();
  } else if constexpr (is_json_vector<Value>::value) {
    return on_demand_readable<typename Value::value_type, Depth + 1>();
  } else if constexpr (is_json_map<Value>::value) {
    return on_demand_readable<typename Value::mapped_type, Depth + 1>();
  } else if constexpr (std::is_same_v<Value, json_value> || is_std_variant<Value>::value) {
    return false;
  } else if constexpr (json_struct<Value>) {
    return []<std::size_t... Index>(std::index_sequence<Index...>) {
      return (on_demand_readable<typename json_member<Value, Index>::type, Depth + 1>() && ...);
    }
    (std::make_index_sequence<member_count<Value>>{});
  } else {
    return false;
  }
}

/// Whether the key at `raw` (its text in the document, after the opening quote, with `room`
/// bytes readable from there) is member `Index`'s JSON name as written escaped at compile time.
/// Most keys are written as the name is: they are matched without being unescaped first. A key
/// spelled with escapes the name does not need ("\u0061" for "a") does not match, and the
/// document goes to json_reader, which unescapes every key.
template <class Aggregate, std::size_t Index>
[[nodiscard]] bool is_raw_json_member_name(const char* raw, std::size_t room) noexcept {
  using quoted = quoted_json_name<json_member<Aggregate, Index>::name>;
  constexpr std::string_view escaped = quoted::without_comma.substr(1, quoted::without_comma.size() - 3);
  // A loop rather than memcmp: g++ 12 at -O3 cannot see how far `raw` reaches (simdjson hands a
  // pointer into the document) and takes it for a one-byte array (-Wstringop-overread).
  if (escaped.size() >= room || raw[escaped.size()] != '"') return false;
  for (std::size_t at = 0; at < escaped.size(); ++at) {
    if (raw[at] != escaped[at]) return false;
  }
  return true;
}

/// json_member_index (json_members.hpp) for a key as the document writes it.
template <class Aggregate>
[[nodiscard]] std::size_t raw_json_member_index(const char* raw, std::size_t room, std::size_t expected) noexcept {
  return [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    std::size_t found = sizeof...(Index);
    const bool as_expected =
        ((expected == Index && is_raw_json_member_name<Aggregate, Index>(raw, room) && (found = Index, true)) || ...);
    if (!as_expected) (void)((is_raw_json_member_name<Aggregate, Index>(raw, room) && (found = Index, true)) || ...);
    return found;
  }
  (std::make_index_sequence<member_count<Aggregate>>{});
}

/// Reads On-Demand values into C++ values; each function answers whether the value fit.
class json_on_demand_reader {
 public:
  /// `text_end`: the end of the padded text, past which no key is compared.
  explicit json_on_demand_reader(const char* text_end) noexcept : text_end_(text_end) {}

  template <class Value>
  [[nodiscard]] bool read(simdjson::ondemand::value value, Value& out);

  template <class Aggregate>
  [[nodiscard]] bool read_members(simdjson::ondemand::object object, Aggregate& out);
  template <class Vector>
  [[nodiscard]] bool read_items(simdjson::ondemand::array array, Vector& out);
  template <class Map>
  [[nodiscard]] bool read_entries(simdjson::ondemand::object object, Map& out);

 private:
  const char* text_end_;
};

template <class Value>
bool json_on_demand_reader::read(simdjson::ondemand::value value, Value& out) {
  if constexpr (std::is_same_v<Value, bool>) {
    return value.get_bool().get(out) == simdjson::SUCCESS;
  } else if constexpr (json_integer<Value>) {
    // A number outside the type's range, or one with a fraction, is json_reader's to explain.
    if constexpr (std::is_signed_v<Value>) {
      std::int64_t number = 0;
      if (value.get_int64().get(number) != simdjson::SUCCESS || !std::in_range<Value>(number)) return false;
      out = static_cast<Value>(number);
    } else {
      std::uint64_t number = 0;
      if (value.get_uint64().get(number) != simdjson::SUCCESS || !std::in_range<Value>(number)) return false;
      out = static_cast<Value>(number);
    }
    return true;
  } else if constexpr (std::is_floating_point_v<Value>) {
    double number = 0;
    if (value.get_double().get(number) != simdjson::SUCCESS) return false;
    if (std::abs(number) > static_cast<double>(std::numeric_limits<Value>::max())) return false;
    out = static_cast<Value>(number);
    return true;
  } else if constexpr (std::is_same_v<Value, std::string>) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return false;
    out.assign(text);
    return true;
  } else if constexpr (std::is_enum_v<Value>) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return false;
    const auto found = enum_from_name<Value>(text);
    if (!found) return false;
    out = *found;
    return true;
  } else if constexpr (is_json_time<Value>::value) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return false;
    const auto instant = parse_rfc3339(text);
    if (!instant) return false;
    const auto time = to_sys_time<typename Value::duration>(*instant);
    if (!time) return false;
    out = *time;
    return true;
  } else if constexpr (is_optional<Value>::value) {
    bool null = false;
    if (value.is_null().get(null) != simdjson::SUCCESS) return false;
    if (null) {
      out.reset();
      return true;
    }
    return read(value, out.emplace());
  } else if constexpr (is_json_vector<Value>::value) {
    simdjson::ondemand::array array;
    return value.get_array().get(array) == simdjson::SUCCESS && read_items(array, out);
  } else if constexpr (is_json_map<Value>::value) {
    simdjson::ondemand::object object;
    return value.get_object().get(object) == simdjson::SUCCESS && read_entries(object, out);
  } else {
    static_assert(json_struct<Value>, "on_demand_readable<T>() lets only these types through");
    simdjson::ondemand::object object;
    return value.get_object().get(object) == simdjson::SUCCESS && read_members(object, out);
  }
}

template <class Vector>
bool json_on_demand_reader::read_items(simdjson::ondemand::array array, Vector& out) {
  out.clear();
  for (auto item : array) {
    simdjson::ondemand::value value;
    if (item.get(value) != simdjson::SUCCESS) return false;
    if constexpr (std::is_same_v<typename Vector::value_type, bool>) {
      bool flag = false;  // std::vector<bool> has no bool& to read into
      if (!read(value, flag)) return false;
      out.push_back(flag);
    } else {
      if (!read(value, out.emplace_back())) return false;
    }
  }
  return true;
}

template <class Map>
bool json_on_demand_reader::read_entries(simdjson::ondemand::object object, Map& out) {
  out.clear();
  for (auto entry : object) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(entry).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS)
      return false;
    typename Map::mapped_type item{};
    if (!read(field.value(), item)) return false;
    out.insert_or_assign(std::string(key), std::move(item));
  }
  return true;
}

template <class Aggregate>
bool json_on_demand_reader::read_members(simdjson::ondemand::object object, Aggregate& out) {
  constexpr std::size_t count = member_count<Aggregate>;
  static_assert(json_members_are_distinct<Aggregate>(),
                "json_fields<T>::rules: two members have the same JSON name, or two rules name the same member");
  auto members = tie_members<count>(out);
  std::array<bool, count> seen{};
  std::size_t expected = 0;
  for (auto entry : object) {
    simdjson::ondemand::field field;
    if (std::move(entry).get(field) != simdjson::SUCCESS) return false;
    const char* key = field.key().raw();
    const std::size_t index =
        raw_json_member_index<Aggregate>(key, static_cast<std::size_t>(text_end_ - key), expected);
    if (index == count || seen[index]) return false;  // unknown or duplicate: json_reader decides
    seen[index] = true;
    expected = index + 1;
    const bool fits = [&]<std::size_t... Index>(std::index_sequence<Index...>) {
      bool read_well = false;
      (
          [&] {
            if (index != Index) return;
            auto& member = std::get<Index>(members);
            if (!read(field.value(), member)) return;
            read_well = true;
            check_member_rules<json_member<Aggregate, Index>>(member,
                                                              [&read_well](std::string_view) { read_well = false; });
          }(),
          ...);
      return read_well;
    }
    (std::make_index_sequence<count>{});
    if (!fits) return false;
  }
  return [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    return ((!json_member<Aggregate, Index>::required || seen[Index]) && ...);
  }
  (std::make_index_sequence<count>{});
}

/// A thread's On-Demand parser and the padded copy of the text it reads. Reading does not
/// suspend, so one per thread is enough.
struct on_demand_state {
  simdjson::ondemand::parser parser;
  std::string padded_text;
};

inline on_demand_state& thread_on_demand_state() {
  thread_local on_demand_state state;
  return state;
}

/// `text` read into a `Value` when it is JSON that fits `Value` with nothing to report;
/// nothing otherwise, and json_reader must read it to say why.
template <class Value>
[[nodiscard]] std::optional<Value> read_json_on_demand(std::string_view text) {
  // Larger documents go the DOM way, so that a thread does not keep a large parser: the limit
  // is the one the DOM parser pool keeps (json_parser_pool.hpp).
  constexpr std::size_t largest_text = std::size_t{1} << 20;
  if constexpr (!on_demand_readable<Value>() || !(json_struct<Value> || is_json_vector<Value>::value)) {
    return std::nullopt;
  } else {
    if (text.size() > largest_text) return std::nullopt;
    on_demand_state& state = thread_on_demand_state();
    // On-Demand reads up to SIMDJSON_PADDING bytes past the text: it gets a copy with room.
    state.padded_text.resize(text.size() + simdjson::SIMDJSON_PADDING);
    if (!text.empty()) std::memcpy(state.padded_text.data(), text.data(), text.size());
    simdjson::ondemand::document document;
    if (state.parser
            .iterate(simdjson::padded_string_view(state.padded_text.data(), text.size(), state.padded_text.size()))
            .get(document) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    std::optional<Value> value{std::in_place};
    json_on_demand_reader reader{state.padded_text.data() + state.padded_text.size()};
    bool fits = false;
    if constexpr (is_json_vector<Value>::value) {
      simdjson::ondemand::array array;
      fits = document.get_array().get(array) == simdjson::SUCCESS && reader.read_items(array, *value);
    } else {
      simdjson::ondemand::object object;
      fits = document.get_object().get(object) == simdjson::SUCCESS && reader.read_members(object, *value);
    }
    // The root value must be all there is: a location still in the text means more follows.
    const char* after_root = nullptr;
    if (!fits || document.current_location().get(after_root) == simdjson::SUCCESS) return std::nullopt;
    return value;
  }
}

}  // namespace asyncrest::detail
