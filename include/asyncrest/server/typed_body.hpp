// Request bodies read into structs, and structs written as responses:
//
//     ar::post<"/todos">([](ar::request& req) -> ar::response {
//       new_todo todo = ar::read_json_body<new_todo>(req);   // 400 if not JSON, 422 if it does not fit
//       return ar::json_response(store(todo), ar::status::created);
//     })
//
// The 422 body lists every error as a JSON Pointer and a reason (validation_problem, response.hpp).
// Nothing here runs for a route that does not call it.
#pragma once

#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <optional>
#include <string>
#include <utility>

namespace asyncrest {

/// The request's body read as a `Value`. A body that is not JSON throws `http_error` 400 (as
/// `request::json()` does); one that does not fit `Value` throws `json_validation_error`, which
/// the server answers with 422 and every error found.
template <class Value>
[[nodiscard]] Value read_json_body(const request& req, json_read_settings settings = {}) {
  // A body that fits is read as it is parsed; any other is parsed whole, to answer 400 or list
  // every error (typed_json.hpp).
  if (std::optional<Value> value = detail::read_json_on_demand<Value>(req.body())) return std::move(*value);
  json_read_result<Value> result = read_json<Value>(req.json(), settings);
  if (!result) throw json_validation_error(std::move(result).errors());
  return std::move(result).value();
}

/// A JSON response holding `value` written by its type (typed_json.hpp).
template <class Value>
[[nodiscard]] response json_response(const Value& value, status code = status::ok) {
  response result{code, {}, {}};
  write_json(value, result.body);
  detail::headers_access::set(result.headers, {"Content-Type", "application/json"});
  return result;
}

}  // namespace asyncrest
