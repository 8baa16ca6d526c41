// How reflection finds an aggregate's members: their count by brace-initialisation probing, the
// members themselves by structured bindings (member_tie.hpp), and their names at compile time
// from the compiler's own spelling of a pointer to each member in __PRETTY_FUNCTION__.
#pragma once

#include <asyncrest/core/detail/member_tie.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

/// Converts to any member type, so that `Aggregate{any_member{}, ...}` compiles exactly when the
/// aggregate has at least that many members. Only probed, never called; defined all the same,
/// because a member's own templates (std::optional's constructors) may instantiate the call.
struct any_member {
  template <class Member>
  operator Member() const noexcept {
    __builtin_unreachable();
  }
};

template <class Aggregate, std::size_t Count>
constexpr bool initializable_with_members() noexcept {
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    return requires { Aggregate{(void(Index), any_member{})...}; };
  }
  (std::make_index_sequence<Count>{});
}

/// The largest count that initializes `Aggregate`, counted up from `Count`: as deep as the
/// aggregate has members, no deeper.
template <class Aggregate, std::size_t Count = 0>
constexpr std::size_t count_members() noexcept {
  if constexpr (Count > max_reflected_members) {
    return Count;  // reflectable_aggregate refuses it
  } else if constexpr (initializable_with_members<Aggregate, Count + 1>()) {
    return count_members<Aggregate, Count + 1>();
  } else {
    return Count;
  }
}

/// An object whose members' addresses are taken at compile time, so that the compiler spells
/// each member's name in a template argument; it is never read.
/// - g++: declared and never defined. (g++ refuses this for a type local to a function.)
/// - clang: a union that holds the aggregate unconstructed, because clang refuses a declared-only
///   variable of a type in an anonymous namespace, and clang 14 takes no constexpr union with a
///   member that is not a literal type. The union is initialized as a constant (no code runs).
#if defined(__clang__)
template <class Aggregate>
union unconstructed {
  char nothing;
  Aggregate object;

  constexpr unconstructed() noexcept : nothing() {}
  ~unconstructed() {}
};

template <class Aggregate>
inline const unconstructed<Aggregate> unconstructed_object{};

template <class Aggregate>
constexpr const Aggregate& declared_object() noexcept {
  return unconstructed_object<Aggregate>.object;
}
#else
template <class Aggregate>
extern const Aggregate declared_object_storage;

template <class Aggregate>
constexpr const Aggregate& declared_object() noexcept {
  return declared_object_storage<Aggregate>;
}
#endif

/// A pointer wrapped in a class: a template argument that both compilers accept for a pointer to
/// a subobject.
template <class Pointer>
struct member_address {
  Pointer pointer;
};

template <class Aggregate, std::size_t Index>
consteval auto address_of_member() noexcept {
  constexpr std::size_t count = count_members<Aggregate>();
  const auto& member = std::get<Index>(tie_members<count>(declared_object<Aggregate>()));
  return member_address<const std::remove_cvref_t<decltype(member)>*>{&member};
}

template <auto Address>
consteval std::string_view spelled_member() noexcept {
  return __PRETTY_FUNCTION__;
}

/// A member whose name is known, to learn how much each compiler writes after the name.
struct member_name_probe {
  int asyncrest_probe_member;
};

inline constexpr std::string_view probe_member_name = "asyncrest_probe_member";

consteval std::size_t spelling_suffix_length() noexcept {
  constexpr std::string_view spelled = spelled_member<address_of_member<member_name_probe, 0>()>();
  return spelled.size() - (spelled.rfind(probe_member_name) + probe_member_name.size());
}

/// The identifier that ends where the compiler's suffix begins.
consteval std::string_view member_name_in(std::string_view spelled) noexcept {
  const std::size_t end = spelled.size() - spelling_suffix_length();
  std::size_t begin = end;
  while (begin > 0) {
    const char before = spelled[begin - 1];
    const bool identifier = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                            (before >= '0' && before <= '9') || before == '_';
    if (!identifier) break;
    --begin;
  }
  return spelled.substr(begin, end - begin);
}

/// The name copied into an array of its own, so that the program keeps only the names and not
/// every function signature they were read from.
template <class Aggregate, std::size_t Index>
struct member_name_storage {
  static constexpr std::string_view spelled = member_name_in(spelled_member<address_of_member<Aggregate, Index>()>());
  static constexpr auto characters = [] {
    std::array<char, spelled.size() + 1> copy{};
    for (std::size_t at = 0; at < spelled.size(); ++at) copy[at] = spelled[at];
    return copy;
  }();
  static constexpr std::string_view name{characters.data(), spelled.size()};
};

template <class Aggregate>
consteval auto member_names_of() noexcept {
  constexpr std::size_t count = count_members<Aggregate>();
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<std::string_view, count>{member_name_storage<Aggregate, Index>::name...};
  }
  (std::make_index_sequence<count>{});
}

}  // namespace asyncrest::detail
