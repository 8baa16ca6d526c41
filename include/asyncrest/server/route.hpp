// A route: a method, a path known at compile time and the handler it calls.
//
//     get<"/users/{id:int}">([](request&, std::int64_t id) -> task<response> { ... })
//
// A path holds literal segments, parameters `{name}` whose type comes from the handler's
// parameter, typed parameters `{name:int}`, `{name:float}`, `{name:str}`, `{name:uuid}`, and a
// last catch-all `{name:path}` that takes the rest of the path. A handler takes `request&`
// (optional) and then one parameter per path parameter, in order; integers and floating-point
// types, `std::string_view` and `std::string` may be used. After them come, in any order, the
// parameters read from the request by type: `json_body<T>`, `query<T>`, `header<"Name", T>`
// (typed_parameters.hpp), and the values it depends on, `depends<T>` (dependencies.hpp). It returns `task<response>`,
// or a `response` for a handler that never waits, or a value written as JSON (typed_results.hpp). A handler that does
// not fit its path is a compile error whose message is followed by the route's path.
#pragma once

#include <asyncrest/core/detail/callable_traits.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/detail/dependency_resolution.hpp>
#include <asyncrest/server/detail/handler_call.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route_metadata.hpp>
#include <asyncrest/server/settings.hpp>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest {

/// One route. Build it with `get`, `post`, `put`, `patch`, `delete_` or `options`, add
/// per-route middleware with `.use(...)` and documentation with `.summary(...)`, `.tags(...)`
/// and the others (route_metadata.hpp).
template <fixed_string Path, method Method, class Handler, class... Middleware>
class route {
 public:
  static constexpr std::string_view path = Path.view();
  static constexpr asyncrest::method route_method = Method;
  /// The parsed path, with each parameter's type settled from the handler.
  static constexpr detail::path_pattern pattern = detail::checked_pattern<Path, Handler>();
  /// Whether a middleware of this route asks the app for request scopes (see app.hpp).
  static constexpr bool needs_request_scope = (detail::needs_request_scope<Middleware> || ...);

  explicit route(Handler handler, std::tuple<Middleware...> middleware = {},
                 std::optional<route_body_settings> body_settings = std::nullopt, route_metadata metadata = {})
      : chain_(detail::handler_call<Path, Handler>{std::move(handler)}, std::move(middleware)),
        body_settings_(body_settings),
        metadata_(std::move(metadata)) {
    [[maybe_unused]] constexpr const auto& checked = pattern;  // runs the route's checks even outside routes(...)
    static_assert(Method != method::get || !detail::route_signature<Path, Handler>::reads_body,
                  "asyncrest: a GET route cannot take a json_body: a GET's body has no meaning (RFC 9110 "
                  "section 9.3.1) and proxies may drop it; declare a POST, PUT or PATCH route, or read query<T>");
    (detail::check_route_middleware<Middleware>(), ...);
    static_assert(detail::providers_are_distinct<Middleware...>(),
                  "asyncrest: a route was given two providers of the same type with .use(provide<T>(...)); give it "
                  "one");
  }

  /// This route with `added` run after its other middleware, just before the handler; or with a
  /// provider of the values its handler depends on, `provide<T>(function)` (dependencies.hpp).
  template <class Added>
  [[nodiscard]] route<Path, Method, Handler, Middleware..., Added> use(Added added) && {
    detail::check_route_middleware<Added>();
    return route<Path, Method, Handler, Middleware..., Added>(
        std::move(chain_.final_step().handler),
        std::tuple_cat(std::move(chain_.middleware()), std::tuple<Added>(std::move(added))), body_settings_,
        std::move(metadata_));
  }

  /// This route with its own body limit, idle timeout, or a body read as it arrives (see
  /// `route_body_settings`).
  [[nodiscard]] route body(const route_body_settings& settings) && {
    if (settings.streamed && detail::route_signature<Path, Handler>::reads_body)
      throw std::invalid_argument("asyncrest: route " + std::string(Path.view()) +
                                  ": a json_body is read whole, so its route cannot stream its body");
    body_settings_ = settings;
    return std::move(*this);
  }

  /// The route's own body settings, if it has any.
  [[nodiscard]] const std::optional<route_body_settings>& body_settings() const noexcept { return body_settings_; }

  /// This route with a one-line summary of what it does, for documentation.
  [[nodiscard]] route summary(std::string text) && {
    metadata_.summary = std::move(text);
    return std::move(*this);
  }
  /// This route with a longer description (CommonMark), for documentation.
  [[nodiscard]] route description(std::string text) && {
    metadata_.description = std::move(text);
    return std::move(*this);
  }
  /// This route with documentation tags added: `.tags("todos", "public")`.
  template <class... Names>
  [[nodiscard]] route tags(const Names&... names) && {
    static_assert((std::is_convertible_v<const Names&, std::string_view> && ...),
                  "asyncrest: .tags(...) takes strings: .tags(\"todos\", \"public\")");
    (metadata_.tags.emplace_back(std::string_view(names)), ...);
    return std::move(*this);
  }
  /// This route with the name client generators give its operation (unique in the app).
  [[nodiscard]] route operation_id(std::string name) && {
    metadata_.operation_id = std::move(name);
    return std::move(*this);
  }
  /// This route documented as answering `code` when it succeeds (201 for a POST that creates).
  [[nodiscard]] route success_status(status code) && {
    metadata_.success_status = code;
    return std::move(*this);
  }
  /// This route documented as one clients should stop using.
  [[nodiscard]] route deprecated() && {
    metadata_.deprecated = true;
    return std::move(*this);
  }

  /// What the route says about itself for documentation.
  [[nodiscard]] const route_metadata& metadata() const noexcept { return metadata_; }

  /// Runs the route's middleware and handler; `req` carries the matched path parameters.
  [[nodiscard]] task<response> operator()(request& req) const { return chain_(req); }

  /// The same, with a response made without waiting left in `out.value` (see detail::answer).
  void respond(request& req, detail::answer& out) const { chain_.respond(req, out); }

 private:
  detail::middleware_chain<detail::handler_call<Path, Handler>, Middleware...> chain_;
  std::optional<route_body_settings> body_settings_;
  route_metadata metadata_;
};

namespace detail {
template <fixed_string Path, method Method, class Handler>
auto make_route(Handler handler) {
  static_assert(Method != method::head, "asyncrest: HEAD is answered from the GET route; declare a GET route instead");
  return route<Path, Method, Handler>(std::move(handler));
}
template <fixed_string Path, method Method, class Object, class MemberFunction>
auto make_route(MemberFunction function, Object* object) {
  static_assert(std::is_member_function_pointer_v<MemberFunction>,
                "asyncrest: pass a member function pointer and the object to call it on");
  return route<Path, Method, bound_member<Object, MemberFunction>>(
      bound_member<Object, MemberFunction>{object, function});
}
}  // namespace detail

/// A GET route; HEAD requests to the same path are answered from it, without the body.
template <fixed_string Path, class Handler>
[[nodiscard]] auto get(Handler handler) {
  return detail::make_route<Path, method::get>(std::move(handler));
}
template <fixed_string Path, class Handler>
[[nodiscard]] auto post(Handler handler) {
  return detail::make_route<Path, method::post>(std::move(handler));
}
template <fixed_string Path, class Handler>
[[nodiscard]] auto put(Handler handler) {
  return detail::make_route<Path, method::put>(std::move(handler));
}
template <fixed_string Path, class Handler>
[[nodiscard]] auto patch(Handler handler) {
  return detail::make_route<Path, method::patch>(std::move(handler));
}
template <fixed_string Path, class Handler>
[[nodiscard]] auto delete_(Handler handler) {
  return detail::make_route<Path, method::delete_>(std::move(handler));
}
/// An OPTIONS route, for when the automatic answer (204 with Allow) is not enough.
template <fixed_string Path, class Handler>
[[nodiscard]] auto options(Handler handler) {
  return detail::make_route<Path, method::options>(std::move(handler));
}

/// Routes to a member function called on `object`, which must outlive the app:
/// `get<"/items">(&catalog::list, &my_catalog)`.
template <fixed_string Path, class MemberFunction, class Object>
[[nodiscard]] auto get(MemberFunction function, Object* object) {
  return detail::make_route<Path, method::get>(function, object);
}
template <fixed_string Path, class MemberFunction, class Object>
[[nodiscard]] auto post(MemberFunction function, Object* object) {
  return detail::make_route<Path, method::post>(function, object);
}
template <fixed_string Path, class MemberFunction, class Object>
[[nodiscard]] auto put(MemberFunction function, Object* object) {
  return detail::make_route<Path, method::put>(function, object);
}
template <fixed_string Path, class MemberFunction, class Object>
[[nodiscard]] auto patch(MemberFunction function, Object* object) {
  return detail::make_route<Path, method::patch>(function, object);
}
template <fixed_string Path, class MemberFunction, class Object>
[[nodiscard]] auto delete_(MemberFunction function, Object* object) {
  return detail::make_route<Path, method::delete_>(function, object);
}

}  // namespace asyncrest
