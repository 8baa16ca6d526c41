// What a handler may return, and how a typed result becomes a response: a value written as JSON,
// with the status of a std::pair or the status and fields of a typed_response.
#pragma once

#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/typed_body.hpp>
#include <asyncrest/server/typed_results.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

template <class Result>
struct task_traits {
  static constexpr bool is_task = false;
  using value_type = Result;
};
template <class Value>
struct task_traits<task<Value>> {
  static constexpr bool is_task = true;
  using value_type = Value;
};

template <class Value>
struct is_typed_response : std::false_type {};
template <class Body>
struct is_typed_response<typed_response<Body>> : std::true_type {};

/// A value a handler may return to have it written as JSON: a struct, a vector or a map.
template <class Value>
concept json_result_value = requires {
  requires !std::same_as<Value, response>;
  requires !is_typed_response<Value>::value;
  requires json_struct<Value> || is_json_vector<Value>::value || is_json_map<Value>::value;
};

/// How each kind of handler value becomes a response; `body` is the type written as JSON (void
/// for a response the handler made itself).
template <class Value>
struct result_traits {
  static constexpr bool known = false;
};
template <>
struct result_traits<response> {
  static constexpr bool known = true;
  using body = void;
};
template <json_result_value Value>
struct result_traits<Value> {
  static constexpr bool known = true;
  using body = Value;
};
template <class Value>
struct result_traits<std::pair<status, Value>> {
  static constexpr bool known = json_result_value<Value>;
  using body = Value;
};
template <class Value>
struct result_traits<typed_response<Value>> {
  static constexpr bool known = json_result_value<Value>;
  using body = Value;
};

/// Whether a handler may return `Result`: one of the values above, or a task of one.
template <class Result>
inline constexpr bool is_handler_result = result_traits<typename task_traits<Result>::value_type>::known;

/// A typed handler value as the response it stands for.
template <class Value>
response to_response(Value&& value) {
  using plain = std::remove_cvref_t<Value>;
  if constexpr (std::same_as<plain, response>) {
    return std::forward<Value>(value);
  } else if constexpr (json_result_value<plain>) {
    return json_response(value);
  } else if constexpr (requires { value.first; }) {
    return json_response(value.second, value.first);
  } else {
    response result = json_response(value.body, value.status);
    for (const auto& [name, field] : value.headers) {
      if (iequals(name, "Content-Type")) {
        result.headers.set(name, field);
      } else {
        result.headers.add(name, field);
      }
    }
    return result;
  }
}

/// A coroutine handler's typed value, awaited and turned into its response.
template <class Value>
task<response> to_response_task(task<Value> pending) {
  co_return to_response(co_await std::move(pending));
}

}  // namespace asyncrest::detail
