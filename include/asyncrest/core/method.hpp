// HTTP request methods: the ones routes can be declared for, and a name for every other one.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace asyncrest {

/// The methods asyncrest routes. HEAD is answered from GET and OPTIONS from the route table when
/// no route declares them. Every other method the parser knows is `other` and answered with 501.
enum class method : std::uint8_t { get, head, post, put, patch, delete_, options, other };

/// How many values `method` has; used to size per-method tables.
inline constexpr std::size_t method_count = 8;

/// The method's name as it appears on the wire ("DELETE" for `method::delete_`).
[[nodiscard]] constexpr std::string_view to_string(method value) noexcept {
  constexpr std::array<std::string_view, method_count> names{"GET",   "HEAD",   "POST",    "PUT",
                                                             "PATCH", "DELETE", "OPTIONS", "OTHER"};
  return names[static_cast<std::size_t>(value)];
}

/// The method named `name` (case-sensitive, as RFC 9110 requires), or `method::other`.
[[nodiscard]] constexpr method method_from_name(std::string_view name) noexcept {
  for (std::size_t index = 0; index + 1 < method_count; ++index) {
    if (to_string(static_cast<method>(index)) == name) return static_cast<method>(index);
  }
  return method::other;
}

}  // namespace asyncrest
