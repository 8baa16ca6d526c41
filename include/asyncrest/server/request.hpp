// The request a handler receives: method, target, headers, body and path parameters, viewing the
// bytes the connection received rather than copying them.
#pragma once

#include <asyncrest/core/detail/json_parser_pool.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/context.hpp>
#include <asyncrest/server/cookies.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <simdjson.h>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest {

namespace detail {
struct request_access;

/// Where a streamed body's pieces come from: the connection, through one function pointer.
struct body_reader {
  void* source = nullptr;
  task<std::string_view> (*next)(void* source) = nullptr;
};

/// How `cancel_on_disconnect` learns that the client has gone while the handler waits: the
/// connection, through one function pointer. `until_gone` completes when the client is gone, and
/// ends with `operation_aborted` when it is cancelled first.
struct disconnect_watch {
  void* source = nullptr;
  task<void> (*until_gone)(void* source) = nullptr;
};
}  // namespace detail

/// An HTTP request. Every view it hands out stays valid until the handler's response is
/// returned; copy what must live longer.
class request {
 public:
  request() = default;
  request(const request&) = delete;
  request& operator=(const request&) = delete;

  /// The method; `method::other` for one that routes cannot declare (see `method_name()`).
  [[nodiscard]] asyncrest::method method() const noexcept { return method_; }
  [[nodiscard]] std::string_view method_name() const noexcept { return method_name_; }
  /// The request target as sent: path and query, still percent-encoded.
  [[nodiscard]] std::string_view target() const noexcept { return target_; }
  /// The path, percent-decoded.
  [[nodiscard]] std::string_view path() const noexcept { return path_; }
  /// The path as sent, still percent-encoded.
  [[nodiscard]] std::string_view raw_path() const noexcept { return raw_path_; }
  /// What follows '?' in the target, still encoded; empty when there is none.
  [[nodiscard]] std::string_view query_string() const noexcept { return query_string_; }

  /// The decoded value of the first query parameter named `name` (after decoding it too);
  /// an empty view for `?name` or `?name=`; nothing when absent. A malformed escape in the
  /// parameter is answered with 400.
  [[nodiscard]] std::optional<std::string_view> query(std::string_view name) const;

  [[nodiscard]] const request_headers& headers() const noexcept { return headers_; }
  /// The first header field named `name`, looked up without regard to case.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return headers_.get(name);
  }

  /// The value of the cookie `name` (cookies.hpp), read from the Cookie field when asked for.
  [[nodiscard]] std::optional<std::string_view> cookie(std::string_view name) const noexcept {
    return request_cookies(headers_).get(name);
  }
  /// Every cookie the request carries, in the order sent.
  [[nodiscard]] request_cookies cookies() const noexcept { return request_cookies(headers_); }

  /// Sets header `name` to `value` for the middleware and handler that run after this call,
  /// replacing any fields of that name (a proxy-header middleware, say).
  void set_header(std::string_view name, std::string_view value);

  /// Attaches a value for the middleware and handler that run after this call: an
  /// authentication middleware records who the client is, the handler reads it. Replaces an
  /// attribute of the same name; lives as long as the request.
  void set_attribute(std::string_view name, std::string_view value);
  /// The attribute named `name`, if a middleware set one.
  [[nodiscard]] std::optional<std::string_view> attribute(std::string_view name) const noexcept;

  /// Typed values a middleware attached for the handler (context.hpp): who the client is, a
  /// tracing span, a deadline. They live as long as the request.
  [[nodiscard]] request_context context() const noexcept { return request_context(workspace_->context); }

  /// The body, whole (chunked bodies are joined). Empty on a route that streams its body
  /// (`.body({.streamed = true})`), which reads it with `read_body()`.
  [[nodiscard]] std::string_view body() const noexcept { return body_; }

  /// The next piece of the body, as it arrives; empty at its end. The piece stays valid until
  /// the next call. On a route that streams its body the pieces come from the socket, one read's
  /// worth at a time; elsewhere the first call gives the whole body. A body that breaks the
  /// route's limit, stops arriving or is cut short throws `http_error` (413, 408, 400), and the
  /// connection closes after the response.
  [[nodiscard]] task<std::string_view> read_body();

  /// The body parsed as JSON. The document lives as long as the request. Invalid JSON is
  /// answered with 400 and a problem body; so is a handler's later access to a member that is
  /// missing or of another type (`simdjson::simdjson_error`), once the body was read this way.
  /// A handler that never read its body as JSON gets 500 for such an error: it came from
  /// another document, which is the server's business, not the client's.
  [[nodiscard]] simdjson::dom::element json() const;

  /// The value of path parameter `name`, percent-decoded, as the route matched it.
  [[nodiscard]] std::optional<std::string_view> path_parameter(std::string_view name) const noexcept {
    for (const auto& parameter : parameters_) {
      if (parameter.name == name) return parameter.value;
    }
    return std::nullopt;
  }
  [[nodiscard]] std::span<const asyncrest::path_parameter> path_parameters() const noexcept { return parameters_; }

  /// The path of the route that matched, as written in its declaration ("/users/{id:int}");
  /// empty when no route matched (404, 405, 501, the automatic OPTIONS). Metrics and logs
  /// label requests with it: it has as few values as the table has routes, where the path has
  /// as many as clients care to send. A global middleware sees it after `co_await rest(req)` or
  /// in its `after` hook.
  [[nodiscard]] std::string_view route_template() const noexcept { return route_template_; }

  [[nodiscard]] const asio::ip::tcp::endpoint& remote_endpoint() const noexcept { return remote_; }
  [[nodiscard]] unsigned version_major() const noexcept { return version_major_; }
  [[nodiscard]] unsigned version_minor() const noexcept { return version_minor_; }
  /// Whether the client asked to keep the connection open after this request.
  [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
  /// When the server read the request's last bytes (the read that completed it, or brought it
  /// with others pipelined before it), at the resolution of the kernel's tick (a few
  /// milliseconds); the epoch for a request the server did not read.
  [[nodiscard]] std::chrono::steady_clock::time_point received_at() const noexcept { return received_at_; }

 private:
  friend struct detail::request_access;

  asyncrest::method method_ = asyncrest::method::get;
  std::string_view method_name_;
  std::string_view target_;
  std::string_view path_;
  std::string_view raw_path_;
  std::string_view query_string_;
  std::string_view body_;
  request_headers headers_;
  detail::body_reader body_reader_{};
  detail::disconnect_watch disconnect_watch_{};
  bool body_given_ = false;
  std::size_t body_limit_ = 0;
  std::span<const asyncrest::path_parameter> parameters_;
  std::string_view route_template_;
  asio::ip::tcp::endpoint remote_;
  std::chrono::steady_clock::time_point received_at_{};
  detail::workspace* workspace_ = nullptr;
  mutable detail::pooled_json_parser json_parser_;
  unsigned version_major_ = 1;
  unsigned version_minor_ = 1;
  bool keep_alive_ = true;
};

/// What the library itself needs to fill in a request; not for applications.
struct detail::request_access {
  static void reset(request& target, workspace* space) noexcept {
    target.workspace_ = space;
    target.json_parser_.reset();
    target.parameters_ = {};
    target.route_template_ = {};
    target.headers_ = {};
    target.body_ = {};
    target.body_reader_ = {};
    target.disconnect_watch_ = {};
    target.body_given_ = false;
  }
  static void set_body_reader(request& target, body_reader reader) noexcept { target.body_reader_ = reader; }
  /// The reader of a body the route streams; none (null `next`) for a body read whole.
  static body_reader streamed_body_reader(const request& target) noexcept { return target.body_reader_; }
  /// Set by a connection that can tell when its client goes away; none for the test client.
  static void set_disconnect_watch(request& target, disconnect_watch watch) noexcept {
    target.disconnect_watch_ = watch;
  }
  static disconnect_watch disconnect_watch_of(const request& target) noexcept { return target.disconnect_watch_; }
  /// Replaces the whole body (decompressed, say); the view must live as long as the request.
  static void set_body(request& target, std::string_view body) noexcept {
    target.body_ = body;
    target.body_given_ = false;
  }
  /// The largest body the request's route accepts (its `.body({.max_bytes})` or the server's).
  static void set_body_limit(request& target, std::size_t limit) noexcept { target.body_limit_ = limit; }
  static std::size_t body_limit(const request& target) noexcept { return target.body_limit_; }
  /// Removes every header field named `name`.
  static void erase_header(request& target, std::string_view name) {
    auto& fields = target.workspace_->headers;
    std::erase_if(fields, [&](const header_view& field) { return iequals(field.name, name); });
    target.headers_ = request_headers(fields);
  }
  static request& fill(request& target, asyncrest::method verb, std::string_view verb_name,
                       std::string_view request_target, std::string_view decoded_path, std::string_view raw_path,
                       std::string_view query, std::string_view body, unsigned major, unsigned minor,
                       bool keep_alive) noexcept {
    target.method_ = verb;
    target.method_name_ = verb_name;
    target.target_ = request_target;
    target.path_ = decoded_path;
    target.raw_path_ = raw_path;
    target.query_string_ = query;
    target.body_ = body;
    target.version_major_ = major;
    target.version_minor_ = minor;
    target.keep_alive_ = keep_alive;
    target.headers_ = request_headers(target.workspace_->headers);
    return target;
  }
  static void set_remote(request& target, const asio::ip::tcp::endpoint& remote) noexcept { target.remote_ = remote; }
  static void set_received(request& target, std::chrono::steady_clock::time_point when) noexcept {
    target.received_at_ = when;
  }
  static void set_method(request& target, asyncrest::method verb) noexcept { target.method_ = verb; }
  static void set_parameters(request& target, std::span<const asyncrest::path_parameter> parameters) noexcept {
    target.parameters_ = parameters;
  }
  /// The matched route's path: a view of a constant of the route's type, valid for the program.
  static void set_route_template(request& target, std::string_view path) noexcept { target.route_template_ = path; }
  static workspace& space(const request& target) noexcept { return *target.workspace_; }
  /// Whether the handler read the body as JSON: only then can a JSON shape error be the client's.
  static bool body_read_as_json(const request& target) noexcept { return static_cast<bool>(target.json_parser_); }
};

inline std::optional<std::string_view> request::query(std::string_view name) const {
  std::string_view rest = query_string_;
  while (!rest.empty()) {
    const std::size_t end = rest.find('&');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    const std::string_view raw_name = pair.substr(0, equals);
    const std::string_view raw_value = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);

    const bool name_is_plain = raw_name.find_first_of("%+") == std::string_view::npos;
    if (name_is_plain) {
      if (raw_name != name) continue;
    } else {
      const auto decoded_name = percent_decode(raw_name, true);
      if (!decoded_name) throw http_error(status::bad_request, "malformed percent-encoding in the query string");
      if (*decoded_name != name) continue;
    }
    if (raw_value.find_first_of("%+") == std::string_view::npos) return raw_value;
    auto decoded_value = percent_decode(raw_value, true);
    if (!decoded_value) throw http_error(status::bad_request, "malformed percent-encoding in the query string");
    return workspace_->keep(std::move(*decoded_value));
  }
  return std::nullopt;
}

inline void request::set_header(std::string_view name, std::string_view value) {
  auto& fields = workspace_->headers;
  std::erase_if(fields, [&](const header_view& field) { return iequals(field.name, name); });
  fields.push_back({workspace_->keep(std::string(name)), workspace_->keep(std::string(value))});
  headers_ = request_headers(fields);
}

inline void request::set_attribute(std::string_view name, std::string_view value) {
  auto& attributes = workspace_->attributes;
  std::erase_if(attributes, [&](const header_view& attribute) { return attribute.name == name; });
  attributes.push_back({workspace_->keep(std::string(name)), workspace_->keep(std::string(value))});
}

inline std::optional<std::string_view> request::attribute(std::string_view name) const noexcept {
  for (const header_view& entry : workspace_->attributes) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

inline task<std::string_view> request::read_body() {
  if (body_reader_.next != nullptr) co_return co_await body_reader_.next(body_reader_.source);
  if (body_given_) co_return std::string_view{};
  body_given_ = true;
  co_return body_;
}

inline simdjson::dom::element request::json() const {
  if (!json_parser_) json_parser_ = detail::acquire_json_parser();
  auto parsed = json_parser_->parse(body_.data(), body_.size());
  if (parsed.error() != simdjson::SUCCESS) {
    throw http_error(status::bad_request,
                     std::string("the request body is not valid JSON: ") + simdjson::error_message(parsed.error()));
  }
  return parsed.value_unsafe();
}

}  // namespace asyncrest
