// The parameter and result types of a handler, for checking it against its route.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace asyncrest::detail {

template <class Result, class... Arguments>
struct signature {
  using result = Result;
  using arguments = std::tuple<Arguments...>;
  static constexpr std::size_t arity = sizeof...(Arguments);
};

template <class Callable, class = void>
struct callable_traits {
  static constexpr bool known = false;
};

template <class Result, class... Arguments>
struct callable_traits<Result (*)(Arguments...), void> : signature<Result, Arguments...> {
  static constexpr bool known = true;
};
template <class Result, class... Arguments>
struct callable_traits<Result (*)(Arguments...) noexcept, void> : signature<Result, Arguments...> {
  static constexpr bool known = true;
};
template <class Result, class... Arguments>
struct callable_traits<Result(Arguments...), void> : signature<Result, Arguments...> {
  static constexpr bool known = true;
};

// Member function pointers, as the call operator of a lambda or of a handler object.
// QUALIFIERS are cv- and noexcept-qualifiers, which cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASYNCREST_MEMBER_TRAITS(QUALIFIERS)                                                                    \
  template <class Class, class Result, class... Arguments>                                                     \
  struct callable_traits<Result (Class::*)(Arguments...) QUALIFIERS, void> : signature<Result, Arguments...> { \
    static constexpr bool known = true;                                                                        \
    using object = Class;                                                                                      \
  };
// NOLINTEND(bugprone-macro-parentheses)
ASYNCREST_MEMBER_TRAITS()
ASYNCREST_MEMBER_TRAITS(const)
ASYNCREST_MEMBER_TRAITS(noexcept)
ASYNCREST_MEMBER_TRAITS(const noexcept)
ASYNCREST_MEMBER_TRAITS(&)
ASYNCREST_MEMBER_TRAITS(const&)
#undef ASYNCREST_MEMBER_TRAITS

// Lambdas and function objects with one, non-template call operator.
template <class Callable>
struct callable_traits<Callable, std::void_t<decltype(&Callable::operator())>>
    : callable_traits<decltype(&Callable::operator())> {};

}  // namespace asyncrest::detail
