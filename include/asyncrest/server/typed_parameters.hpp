// Handler parameters read from the request by their type: a struct from the JSON body, a struct
// of query parameters, typed header fields. They follow the path parameters, in any order:
//
//     struct paging { int limit = 20; std::optional<std::string> after; std::vector<std::string> tag; };
//     struct new_todo { std::string title; int priority; };
//
//     ar::post<"/lists/{list:int}/todos">([](std::int64_t list, ar::json_body<new_todo> todo,
//                                            ar::query<paging> page, ar::header<"X-Tenant", std::string> tenant) {
//       return ar::typed_response<todo_view>{.body = add(list, *todo, *tenant), .status = ar::status::created};
//     })
//
// Each is read before the handler runs, and every misfit of the request (body, query and
// headers together) is answered at once with 422 and a problem+json body listing them:
//
//     {"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"...","errors":[
//       {"pointer":"/items/2/name","detail":"required"},
//       {"in":"query","name":"limit","detail":"expected an integer"},
//       {"in":"header","name":"X-Tenant","detail":"required"}]}
//
// A body error has a JSON Pointer (RFC 6901) into the body, as `read_json_body` reports it; a
// query or header error has `in` and the parameter's `name` instead, so a client tells them apart
// by which members an error has. A body without a JSON Content-Type is 415 and one that is not
// JSON 400, before anything is listed.
//
// - `json_body<T>`: any type typed JSON reads (typed_json.hpp), with its json_fields rules.
//   Refused on a GET route at compile time: a GET's body has no meaning (RFC 9110 §9.3.1), and
//   caches and proxies may drop it.
// - `query<T>`: T's members are the query parameters, by name (or the name json_fields gives
//   them). A member may be bool (true, false, 1 or 0), an integer, a floating-point number,
//   std::string or an enum (by its enumerators' names), a std::optional of one (absent or not),
//   or a std::vector of one (the key repeated: ?tag=a&tag=b). An absent parameter keeps its
//   member's initializer, so no query parameter is required; a key given twice for a member that
//   is no vector is an error; unknown keys are ignored. json_fields rules (minimum, maximum,
//   length, one_of, pattern) apply to the values given.
// - `header<"Name", T>`: the first field of that name, as one of the same scalar types;
//   required unless T is a std::optional.
//
// Reach the value with `*`, `->` or `.value`. Pass them by value or by const reference. Among
// them may also be the values a handler depends on, `depends<T>` (dependencies.hpp), which are
// not read from the request.
#pragma once

#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/response.hpp>

#include <span>
#include <string>

namespace asyncrest {

/// A handler parameter holding the request's JSON body read as a `Body`.
template <class Body>
struct json_body {
  Body value;

  Body& operator*() noexcept { return value; }
  const Body& operator*() const noexcept { return value; }
  Body* operator->() noexcept { return &value; }
  const Body* operator->() const noexcept { return &value; }
};

/// A handler parameter holding the query parameters read into the members of `Parameters`.
template <class Parameters>
struct query {
  Parameters value;

  Parameters& operator*() noexcept { return value; }
  const Parameters& operator*() const noexcept { return value; }
  Parameters* operator->() noexcept { return &value; }
  const Parameters* operator->() const noexcept { return &value; }
};

/// A handler parameter holding the header field `Name` read as a `Value`; a
/// `std::optional<Value>` for a field the client may leave out.
template <fixed_string Name, class Value>
struct header {
  static constexpr std::string_view name = Name.view();
  Value value;

  Value& operator*() noexcept { return value; }
  const Value& operator*() const noexcept { return value; }
  Value* operator->() noexcept { return &value; }
  const Value* operator->() const noexcept { return &value; }
};

/// Where a query or header error was found.
enum class parameter_source { query, header };

/// A query parameter or header field that does not fit its type or its rules.
struct parameter_error {
  parameter_source in = parameter_source::query;
  /// The parameter's name as the client sends it: "limit", "X-Tenant".
  std::string name;
  /// Why: "expected an integer", "required", "must be at most 100".
  std::string detail;

  friend bool operator==(const parameter_error&, const parameter_error&) = default;
};

/// 422 Unprocessable Content listing body errors (each with its JSON Pointer) and query and
/// header errors (each with `in` and `name`), as typed handler parameters answer.
[[nodiscard]] inline response validation_problem(std::span<const json_field_error> body_errors,
                                                 std::span<const parameter_error> parameter_errors) {
  if (parameter_errors.empty()) return validation_problem(body_errors);
  return detail::validation_problem_with("the request does not fit what this resource accepts", body_errors,
                                         [&](json_writer& out) {
                                           for (const parameter_error& error : parameter_errors) {
                                             out.begin_object();
                                             out.key("in");
                                             out.value(error.in == parameter_source::query ? "query" : "header");
                                             out.key("name");
                                             out.value(error.name);
                                             out.key("detail");
                                             out.value(error.detail);
                                             out.end_object();
                                           }
                                         });
}

}  // namespace asyncrest
