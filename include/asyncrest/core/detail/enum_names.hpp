// Enumerators' names at compile time: each value of a bounded range is spelled by the compiler in
// __PRETTY_FUNCTION__, which names the enumerator when the value has one and a cast otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

/// The values scanned for enumerators: -128..127, within what the underlying type holds.
template <class Enum>
struct enum_scan_range {
  using underlying = std::underlying_type_t<Enum>;
  static constexpr long long first = std::is_signed_v<underlying> ? -128 : 0;
  static constexpr long long last = static_cast<long long>(std::numeric_limits<underlying>::max()) < 127
                                        ? static_cast<long long>(std::numeric_limits<underlying>::max())
                                        : 127;
  static constexpr std::size_t size = static_cast<std::size_t>(last - first + 1);
};

template <auto Value>
consteval std::string_view spelled_enum_value() noexcept {
  return __PRETTY_FUNCTION__;
}

enum class enum_name_probe { asyncrest_probe_enumerator };

inline constexpr std::string_view probe_enumerator_name = "asyncrest_probe_enumerator";

consteval std::size_t enum_spelling_suffix_length() noexcept {
  constexpr std::string_view spelled = spelled_enum_value<enum_name_probe::asyncrest_probe_enumerator>();
  return spelled.size() - (spelled.rfind(probe_enumerator_name) + probe_enumerator_name.size());
}

/// The enumerator's name, or empty when the compiler wrote a cast such as `(color)3`.
consteval std::string_view enumerator_name_in(std::string_view spelled) noexcept {
  const std::size_t end = spelled.size() - enum_spelling_suffix_length();
  std::size_t begin = end;
  while (begin > 0) {
    const char before = spelled[begin - 1];
    const bool identifier = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                            (before >= '0' && before <= '9') || before == '_';
    if (!identifier) break;
    --begin;
  }
  if (begin == end) return {};
  const char first = spelled[begin];
  if (first >= '0' && first <= '9') return {};  // a number: no enumerator has this value
  if (begin > 0 && spelled[begin - 1] == ')') return {};
  return spelled.substr(begin, end - begin);
}

template <class Enum, long long Value>
inline constexpr std::string_view enum_value_name = enumerator_name_in(spelled_enum_value<static_cast<Enum>(Value)>());

/// One named value: its name copied out of the compiler's spelling.
template <class Enum>
struct enum_entry {
  Enum value;
  std::string_view name;
};

template <class Enum, long long Value>
struct enumerator_storage {
  static constexpr std::string_view spelled = enum_value_name<Enum, Value>;
  static constexpr auto characters = [] {
    std::array<char, spelled.size() + 1> copy{};
    for (std::size_t at = 0; at < spelled.size(); ++at) copy[at] = spelled[at];
    return copy;
  }();
  static constexpr std::string_view name{characters.data(), spelled.size()};
};

/// The enumerators of `Enum` within the scanned range, in increasing order of value.
template <class Enum>
consteval auto enum_entries() noexcept {
  using range = enum_scan_range<Enum>;
  return []<std::size_t... Offset>(std::index_sequence<Offset...>) {
    constexpr std::size_t count =
        (std::size_t{0} + ... + (enum_value_name<Enum, range::first + static_cast<long long>(Offset)>.empty() ? 0 : 1));
    std::array<enum_entry<Enum>, count> entries{};
    std::size_t next = 0;
    (
        [&] {
          constexpr long long value = range::first + static_cast<long long>(Offset);
          if constexpr (!enum_value_name<Enum, value>.empty()) {
            entries[next++] = {static_cast<Enum>(value), enumerator_storage<Enum, value>::name};
          }
        }(),
        ...);
    return entries;
  }
  (std::make_index_sequence<range::size>{});
}

template <class Enum>
inline constexpr auto enum_table = enum_entries<Enum>();

}  // namespace asyncrest::detail
