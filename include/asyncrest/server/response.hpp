// The response a handler returns, and the helpers that build the common ones.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/cookies.hpp>
#include <asyncrest/server/detail/body_source.hpp>
#include <asyncrest/server/detail/set_cookie.hpp>

#include <simdjson.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

/// A body that does not sit in `response::body`: a file, a stream written by a coroutine, or
/// the takeover of the connection after a 101. Made by `file()`, `stream()` and `upgrade()`
/// (body.hpp, upgrade.hpp); empty in an ordinary response. Copies share it: a file is sent from
/// the same descriptor, a stream's producer is called once per response sent.
class body_source {
 public:
  body_source() noexcept = default;
  body_source(const body_source& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->owners.fetch_add(1, std::memory_order_relaxed);
  }
  body_source(body_source&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  body_source& operator=(body_source other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~body_source() { release(); }

  /// Whether there is one: the response's body is then not `response::body`.
  [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }

 private:
  friend struct detail::body_source_access;
  void release() noexcept {
    if (state_ != nullptr && state_->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) state_->destroy(state_);
  }
  detail::body_source_state* state_ = nullptr;
};

/// An HTTP response. The server adds Content-Length (or Transfer-Encoding), Date and Connection
/// itself.
struct response {
  asyncrest::status status = status::ok;
  asyncrest::headers headers;
  /// The body, in memory: the common case, and the fastest.
  std::string body;
  /// Set instead of `body` for a file, a stream or an upgrade.
  body_source source{};

  /// Adds a Set-Cookie field (cookies.hpp). Throws std::invalid_argument for a name, value or
  /// option that could break the field or that browsers would drop; nothing is added then.
  response& set_cookie(std::string_view name, std::string_view value, const cookie_options& options = {}) {
    headers.add("Set-Cookie", detail::set_cookie_value(name, value, options));
    return *this;
  }
  /// Tells the browser to remove the cookie `name`. Give the path and domain it was set with:
  /// a cookie is only replaced by one with the same name, path and domain.
  response& delete_cookie(std::string_view name, const cookie_options& options = {}) {
    headers.add("Set-Cookie", detail::deleted_cookie_value(name, options));
    return *this;
  }
};

/// `body` as text/plain; charset=utf-8.
[[nodiscard]] inline response text(std::string body, status code = status::ok) {
  response result{code, {}, std::move(body)};
  detail::headers_access::set(result.headers, {"Content-Type", "text/plain; charset=utf-8"});
  return result;
}

/// A JSON object response from name/value pairs, written straight into the body:
///
///     co_return json({{"message", "Hello World"}, {"count", 3}});
///
/// A braced list of pairs picks this overload; any other braced list is a `json_value`
/// (so `json({1, 2})` is an array, and `json({})` an empty object).
[[nodiscard]] inline response json(std::initializer_list<json_member> members, status code = status::ok) {
  response result{code, {}, {}};
  json_writer out{result.body};
  detail::write_json_object(out, members);
  detail::headers_access::set(result.headers, {"Content-Type", "application/json"});
  return result;
}

/// A JSON response from a value built in code: `json(user)`, `json(json_value::array({1, 2}))`.
[[nodiscard]] inline response json(const json_value& value, status code = status::ok) {
  response result{code, {}, {}};
  json_writer out{result.body};
  value.write(out);
  detail::headers_access::set(result.headers, {"Content-Type", "application/json"});
  return result;
}

/// A JSON response from an element of a parsed document (echoing part of a request, say).
[[nodiscard]] inline response json(simdjson::dom::element element, status code = status::ok) {
  response result{code, {}, simdjson::minify(element)};
  detail::headers_access::set(result.headers, {"Content-Type", "application/json"});
  return result;
}

/// A JSON response whose text is already serialized, as by `json_writer`.
[[nodiscard]] inline response raw_json(std::string serialized, status code = status::ok) {
  response result{code, {}, std::move(serialized)};
  detail::headers_access::set(result.headers, {"Content-Type", "application/json"});
  return result;
}

/// A response with no body.
[[nodiscard]] inline response empty(status code = status::no_content) { return response{code, {}, {}}; }

/// A redirect to `location`; 303 See Other by default, so a POST is followed by a GET.
[[nodiscard]] inline response redirect(std::string_view location, status code = status::see_other) {
  response result{code, {}, {}};
  result.headers.set("Location", location);
  return result;
}

/// An `application/problem+json` body (RFC 9457): type, title, status and `detail`.
[[nodiscard]] inline response problem(status code, std::string_view detail) {
  response result{code, {}, {}};
  json_writer out{result.body};
  out.begin_object();
  out.key("type");
  out.value("about:blank");
  out.key("title");
  out.value(reason_phrase(code));
  out.key("status");
  out.value(to_number(code));
  out.key("detail");
  out.value(detail);
  out.end_object();
  detail::headers_access::set(result.headers, {"Content-Type", "application/problem+json"});
  return result;
}

namespace detail {
/// A 422 problem body with `detail` and the list of `errors`, to which `write_more(out)` may add
/// entries of its own (typed_parameters.hpp adds query and header errors).
template <class WriteMore>
[[nodiscard]] response validation_problem_with(std::string_view detail, std::span<const json_field_error> errors,
                                               WriteMore&& write_more) {
  constexpr status code = status::unprocessable_content;
  response result{code, {}, {}};
  json_writer out{result.body};
  out.begin_object();
  out.key("type");
  out.value("about:blank");
  out.key("title");
  out.value(reason_phrase(code));
  out.key("status");
  out.value(to_number(code));
  out.key("detail");
  out.value(detail);
  out.key("errors");
  out.begin_array();
  for (const json_field_error& error : errors) {
    out.begin_object();
    out.key("pointer");
    out.value(error.pointer);
    out.key("detail");
    out.value(error.detail);
    out.end_object();
  }
  write_more(out);
  out.end_array();
  out.end_object();
  headers_access::set(result.headers, {"Content-Type", "application/problem+json"});
  return result;
}
}  // namespace detail

/// 422 Unprocessable Content with an `application/problem+json` body that lists each error as a
/// JSON Pointer and a reason: what `read_json_body` answers for a body that does not fit.
///
///     {"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"...",
///      "errors":[{"pointer":"/title","detail":"expected a string"}]}
[[nodiscard]] inline response validation_problem(std::span<const json_field_error> errors) {
  return detail::validation_problem_with("the JSON body does not fit what this resource accepts", errors,
                                         [](json_writer&) {});
}

}  // namespace asyncrest
