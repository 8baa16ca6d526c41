// The route table: `routes(get<"/">(...), post<"/items">(...), ...)`. Checked at compile time,
// matched through a segment tree, dispatched without virtual calls.
#pragma once

#include <asyncrest/core/method.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/detail/route_table.hpp>
#include <asyncrest/server/detail/route_tree.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/settings.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

namespace asyncrest {

/// The routes of an app, in a table built once. Use `routes(...)` to make one.
template <class... Routes>
class router {
  static_assert((detail::is_route<Routes> && ...),
                "asyncrest: routes(...) takes routes made with get<\"/path\">(handler), post<...>, put<...>, "
                "patch<...>, delete_<...> or options<...>");
  static_assert(sizeof...(Routes) < detail::route_match::no_route, "asyncrest: too many routes");
  static_assert(!detail::has_duplicate_route<Routes...>(),
                "asyncrest: two routes have the same method and the same path (parameter names aside)");

 public:
  /// Whether a route's middleware asks the app for request scopes.
  static constexpr bool needs_request_scope = (detail::needs_request_scope<Routes> || ...);

  explicit router(Routes... routes) : routes_(std::move(routes)...) {
    [this]<std::size_t... Index>(std::index_sequence<Index...>) {
      (tree_.add(Routes::pattern, Routes::route_method, static_cast<std::uint16_t>(Index)), ...);
    }
    (std::index_sequence_for<Routes...>{});
    tree_.prepare();
    routes_with_body_settings_ =
        routes_.apply([](const Routes&... each) { return (std::size_t{0} + ... + (each.body_settings() ? 1 : 0)); });
  }

  /// Whether any route has body settings of its own: only then must a request's route be found
  /// before its body is read.
  [[nodiscard]] bool has_body_settings() const noexcept { return routes_with_body_settings_ != 0; }

  /// The body settings of the route `verb` and `raw_path` lead to, or nullptr when it has none
  /// (or there is no such route).
  [[nodiscard]] const route_body_settings* body_settings_for(method verb, std::string_view raw_path,
                                                             detail::workspace& space) const {
    if (routes_with_body_settings_ == 0 || verb == method::other) return nullptr;
    const detail::route_match match = tree_.match(raw_path, verb, space);
    if (!match.found()) return nullptr;
    return body_settings_table[match.route](*this);
  }

  /// Calls `visit(route)` for each route, in the order given: for code that describes the
  /// table, such as the OpenAPI document (openapi.hpp).
  template <class Visitor>
  void for_each_route(Visitor&& visit) const {
    routes_.apply([&](const Routes&... each) { (visit(each), ...); });
  }

  /// Answers `req`: its route's response, or 404, 405 with Allow, 501, or the automatic OPTIONS.
  [[nodiscard]] task<response> operator()(request& req) const {
    detail::answer out;
    respond(req, out);
    return detail::as_task(std::move(out));
  }

  /// The same, with a response made without waiting left in `out.value` (see detail::answer):
  /// how the server calls it, so that a plain handler needs no coroutine frame.
  void respond(request& req, detail::answer& out) const {
    if (req.method() == method::other) {
      out.value = problem(status::not_implemented, "this server does not implement that method");
      return;
    }
    if (req.method() == method::options && req.target() == "*") {
      out.value = options_answer(tree_.all_methods());
      return;
    }
    detail::workspace& space = detail::request_access::space(req);
    detail::route_match match = tree_.match(req.raw_path(), req.method(), space);
    if (match.found()) {
      invoke_table[match.route](*this, req, match, out);
    } else if (match.allowed == 0) {
      out.value = problem(status::not_found, "no route matches this path");
    } else if (req.method() == method::options) {
      out.value = options_answer(match.allowed);
    } else {
      out.value = problem(status::method_not_allowed, "the path does not support that method");
      out.value.headers.set("Allow", detail::allow_header(match.allowed));
    }
  }

 private:
  using invoker = void (*)(const router&, request&, const detail::route_match&, detail::answer&);

  template <std::size_t Index>
  static void invoke(const router& self, request& req, const detail::route_match& match, detail::answer& out) {
    const auto& chosen = detail::route_at<Index>(self.routes_);
    using route_type = std::remove_cvref_t<decltype(chosen)>;
    detail::workspace& space = detail::request_access::space(req);
    space.parameters.clear();
    for (std::size_t position = 0; position < match.parameter_count; ++position) {
      space.parameters.push_back({route_type::pattern.parameter(position).text, match.values[position]});
    }
    detail::request_access::set_parameters(req, space.parameters);
    detail::request_access::set_route_template(req, route_type::path);
    chosen.respond(req, out);
  }

  template <std::size_t Index>
  static const route_body_settings* body_settings_of(const router& self) noexcept {
    const auto& settings = detail::route_at<Index>(self.routes_).body_settings();
    return settings ? &*settings : nullptr;
  }

  static response options_answer(detail::method_mask methods) {
    response answer = empty(status::no_content);
    answer.headers.set("Allow", detail::allow_header(methods));
    return answer;
  }

  static constexpr std::array<invoker, sizeof...(Routes)> invoke_table =
      []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<invoker, sizeof...(Routes)>{&invoke<Index>...};
  }
  (std::index_sequence_for<Routes...>{});

  static constexpr std::array<const route_body_settings* (*)(const router&) noexcept, sizeof...(Routes)>
      body_settings_table = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<const route_body_settings* (*)(const router&) noexcept, sizeof...(Routes)>{
        &body_settings_of<Index>...};
  }
  (std::index_sequence_for<Routes...>{});

  friend struct detail::router_access;

  detail::route_slots<std::index_sequence_for<Routes...>, Routes...> routes_;
  detail::route_tree tree_;
  std::size_t routes_with_body_settings_ = 0;
};

/// Routes made together by a feature (`job_routes<"/jobs">(queue)`, say); `routes(...)` takes
/// them as if each had been listed on its own.
template <class... Routes>
struct route_group {
  explicit route_group(Routes... grouped) : routes(std::move(grouped)...) {}
  std::tuple<Routes...> routes;
};

namespace detail {
/// Lets `routes(...)` take a whole router's routes, as it takes a group's.
struct router_access {
  template <class... Routes>
  static std::tuple<Routes...> take_routes(router<Routes...>&& table) {
    return std::move(table.routes_).apply([](Routes&... each) { return std::tuple<Routes...>(std::move(each)...); });
  }
};
template <class... Routes>
std::tuple<Routes...> as_route_tuple(router<Routes...>&& table) {
  return router_access::take_routes(std::move(table));
}
}  // namespace detail

/// Collects routes, route groups and the routes of other routers into a router (so a table can
/// be described, then served with more routes: openapi.hpp). Two routes with the same method
/// and path do not compile.
template <class... Routes>
[[nodiscard]] auto routes(Routes... all) {
  if constexpr ((detail::is_route<Routes> && ...)) {
    return router<Routes...>(std::move(all)...);
  } else {
    auto flat = std::tuple_cat(detail::as_route_tuple(std::move(all))...);
    using router_type = typename detail::router_for<decltype(flat)>::type;
    return std::apply([](auto&&... each) { return router_type(std::move(each)...); }, std::move(flat));
  }
}

}  // namespace asyncrest
