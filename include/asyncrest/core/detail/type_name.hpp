// A type's name at compile time, as the compiler spells it in __PRETTY_FUNCTION__, and the same
// name made readable for documents: namespaces dropped, template arguments joined by '_'.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncrest::detail {

template <class Type>
consteval std::string_view spelled_type() noexcept {
  return __PRETTY_FUNCTION__;
}

// A probe of a name no compiler qualifies (it would leave out namespaces the function shares).
using type_name_probe = double;
inline constexpr std::string_view probe_type_name = "double";

/// Where the type's name starts and how much follows it in `spelled_type<T>()`: learnt from a
/// probe type, so the compiler's wording around the name does not matter.
consteval std::size_t type_spelling_prefix_length() noexcept {
  return spelled_type<type_name_probe>().find(probe_type_name);
}
consteval std::size_t type_spelling_suffix_length() noexcept {
  constexpr std::string_view spelled = spelled_type<type_name_probe>();
  return spelled.size() - type_spelling_prefix_length() - probe_type_name.size();
}

/// The type's full name: "app::page<app::todo>".
template <class Type>
[[nodiscard]] consteval std::string_view type_name() noexcept {
  constexpr std::string_view spelled = spelled_type<Type>();
  return spelled.substr(type_spelling_prefix_length(),
                        spelled.size() - type_spelling_prefix_length() - type_spelling_suffix_length());
}

[[nodiscard]] constexpr bool is_identifier_character(char character) noexcept {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
         (character >= '0' && character <= '9') || character == '_';
}

/// `full` without namespaces and with every run of other characters turned into one '_':
/// "app::page<app::todo>" is "page_todo", "(anonymous namespace)::todo" and "{anonymous}::todo"
/// are "todo".
[[nodiscard]] inline std::string readable_type_name(std::string_view full) {
  std::string unqualified;
  for (std::size_t at = 0; at < full.size(); ++at) {
    if (full[at] == ':' && at + 1 < full.size() && full[at + 1] == ':') {
      // Drop the qualifier written just before: a name, "{anonymous}" or "(anonymous namespace)".
      std::size_t begin = unqualified.size();
      const char closing = begin > 0 ? unqualified[begin - 1] : '\0';
      if (closing == '}' || closing == ')') {
        const char opening = closing == '}' ? '{' : '(';
        while (begin > 0 && unqualified[begin - 1] != opening) --begin;
        if (begin > 0) --begin;
      } else {
        while (begin > 0 && is_identifier_character(unqualified[begin - 1])) --begin;
      }
      unqualified.resize(begin);
      ++at;
      continue;
    }
    unqualified.push_back(full[at]);
  }
  std::string readable;
  bool separate = false;
  for (const char character : unqualified) {
    if (is_identifier_character(character)) {
      if (separate && !readable.empty()) readable.push_back('_');
      separate = false;
      readable.push_back(character);
    } else {
      separate = true;
    }
  }
  return readable;
}

}  // namespace asyncrest::detail
