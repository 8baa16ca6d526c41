// The type of a route's path as a template argument: `get<"/users/{id:int}">(handler)`.
#pragma once

#include <cstddef>
#include <string_view>

namespace asyncrest {

/// A string literal usable as a template argument: the path of a route, `get<"/users/{id}">`.
template <std::size_t Size>
struct fixed_string {
  char value[Size]{};

  consteval fixed_string(const char (&text)[Size]) noexcept {  // NOLINT: implicit on purpose
    for (std::size_t index = 0; index < Size; ++index) value[index] = text[index];
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {value, Size - 1}; }
};

}  // namespace asyncrest
