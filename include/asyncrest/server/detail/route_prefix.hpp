// Route paths made from a feature's prefix: `job_routes<"/jobs">`, `static_files<"/static">`.
#pragma once

#include <asyncrest/server/fixed_string.hpp>

#include <cstddef>
#include <string_view>

namespace asyncrest::detail {

/// `Prefix` followed by `Suffix`, as a path a route can take.
template <fixed_string Prefix, fixed_string Suffix>
consteval auto join_paths() {
  constexpr std::size_t prefix_length = Prefix.view().size();
  constexpr std::size_t suffix_length = Suffix.view().size();
  char joined[prefix_length + suffix_length + 1]{};
  for (std::size_t index = 0; index < prefix_length; ++index) joined[index] = Prefix.value[index];
  for (std::size_t index = 0; index < suffix_length; ++index) joined[prefix_length + index] = Suffix.value[index];
  return fixed_string<prefix_length + suffix_length + 1>(joined);
}

template <fixed_string Prefix>
consteval bool is_plain_prefix() {
  const std::string_view text = Prefix.view();
  if (text.size() < 2 || text.front() != '/' || text.back() == '/') return false;
  for (const char each : text) {
    if (each == '{' || each == '}') return false;
  }
  return true;
}

}  // namespace asyncrest::detail
