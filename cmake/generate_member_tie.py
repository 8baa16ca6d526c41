#!/usr/bin/env python3
"""Writes include/asyncrest/core/detail/member_tie.hpp: an aggregate's members as a tuple of
references, through structured bindings, for aggregates of up to MAX_MEMBERS members.

    python3 cmake/generate_member_tie.py > include/asyncrest/core/detail/member_tie.hpp
    bash cmake/format.sh
"""

MAX_MEMBERS = 64

print("""// An aggregate's members as a tuple of references, by structured bindings: one branch per
// member count. Written by cmake/generate_member_tie.py; change the script, not this file.
#pragma once

#include <cstddef>
#include <tuple>

namespace asyncrest::detail {

/// The most members an aggregate read by reflection may have.
inline constexpr std::size_t max_reflected_members = %d;

/// `object`'s `Count` members as `std::tuple<Member&...>` (const references for a const object).
template <std::size_t Count, class Aggregate>
constexpr auto tie_members(Aggregate& object) noexcept {
  static_assert(Count <= max_reflected_members, "an aggregate read by reflection has at most 64 members");
  if constexpr (Count == 0) {
    (void)object;
    return std::tuple<>{};""" % MAX_MEMBERS)
for count in range(1, MAX_MEMBERS + 1):
    names = ", ".join("m%d" % index for index in range(count))
    print("  } else if constexpr (Count == %d) {" % count)
    print("    auto& [%s] = object;" % names)
    print("    return std::tie(%s);" % names)
print("""  }
}

}  // namespace asyncrest::detail""")
