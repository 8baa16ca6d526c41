// The app: routes and global middleware, composed at compile time, served by a multi-threaded
// HTTP/1.1 server with a graceful shutdown.
//
//     ar::app app{ar::routes(ar::get<"/">(hello)), timing{}};
//     app.run({.port = 8080});   // returns after SIGINT/SIGTERM and a drain
//
// Providers (`provide<T>(function)`, dependencies.hpp) are given beside the middleware; the app
// checks that every handler's `depends<T>` has a source, and hands each provider to the routes
// whose handler asks for its value.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/detail/dependency_check.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/detail/server_core.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/settings.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <tuple>
#include <utility>

namespace asyncrest {

namespace detail {
template <class Type>
inline constexpr bool is_router = false;
template <class... Routes>
inline constexpr bool is_router<router<Routes...>> = true;
struct app_access;
struct app_steps {};
}  // namespace detail

/// An application: a router and the global middleware that run, in order, around every route,
/// and the providers of the values handlers depend on. Its type is deduced; it is neither copied
/// nor moved once made (routes hold pointers to its providers).
template <class Router, class... Middleware>
class app {
  static_assert(detail::is_router<Router>, "asyncrest: an app's first argument is a table made with routes(...)");

  using providers_type = detail::steps_taken<true, Middleware...>;
  using middleware_type = detail::steps_taken<false, Middleware...>;
  using bound_router =
      decltype(detail::with_app_providers(std::declval<Router>(), std::declval<const providers_type&>()));

 public:
  explicit app(Router routes, Middleware... middleware)
      : app(detail::app_steps{}, std::move(routes), std::tuple<Middleware...>(std::move(middleware)...)) {}
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  /// Listens and serves until stopped (`stop()`, SIGINT or SIGTERM); returns once requests in
  /// flight are answered and the shutdown hooks have run.
  void run(const server_settings& settings) {
    listen(settings);
    run();
  }

  /// Opens the listening sockets and returns the port, which is useful with `.port = 0`.
  /// Call `run()` afterwards.
  std::uint16_t listen(const server_settings& settings = {}) { return server_.listen(settings); }
  /// Serves on the sockets `listen` opened, or on port 8080 of every interface when none are.
  void run() {
    if (server_.port() == 0) listen({});
    server_.run();
  }

  /// The port listened on, once `listen` or `run` has opened it.
  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }

  /// Open connections and failed accepts; safe from any thread while the server runs.
  [[nodiscard]] server_statistics statistics() const noexcept { return server_.statistics(); }

  /// Begins a graceful shutdown. Safe from any thread, from a handler and before `run()`.
  /// With `timeouts.readiness_grace`, the server serves as before for that long (readiness
  /// failing), then drains.
  void stop() { server_.stop(); }

  /// Whether a graceful shutdown has begun; safe from any thread.
  [[nodiscard]] bool stopping() const noexcept { return server_.stopping(); }

  /// Runs `hook` after the last connection has closed, before `run()` returns.
  void on_shutdown(std::function<void()> hook) { server_.on_shutdown(std::move(hook)); }

  /// Stops `service` with the server. A service that drains (a `jobs` queue, say): its drain
  /// begins with the server's, with the same deadline (`timeouts.drain`), and `run()` waits for
  /// it to end before the shutdown hooks run. A service told of the stop (`health`): told as
  /// soon as the stop begins, before the readiness grace. `service` must outlive the app. Call
  /// before `run()`.
  template <class Service>
  void attach(Service& service) {
    constexpr bool drains = requires(std::chrono::steady_clock::time_point deadline) {
      service.begin_drain(deadline);
      service.wait_drained();
    };
    constexpr bool told_of_stop = requires { service.server_stopping(); };
    static_assert(drains || told_of_stop,
                  "asyncrest: app.attach(service) takes a service with begin_drain(steady_clock::time_point) and "
                  "wait_drained(), such as asyncrest::jobs, or one with server_stopping(), such as asyncrest::health");
    if constexpr (told_of_stop) server_.on_stop([&service] { service.server_stopping(); });
    if constexpr (drains) {
      server_.on_drain({[&service](std::chrono::steady_clock::time_point deadline) { service.begin_drain(deadline); },
                        [&service] { (void)service.wait_drained(); }});
    }
  }

 private:
  friend struct detail::app_access;

  // How the server, and a test client, reach this app.
  [[nodiscard]] detail::dispatcher make_dispatcher() const noexcept {
    return {this, &dispatch, chain_.final_step().routes.has_body_settings() ? &body_settings_for : nullptr,
            detail::needs_request_scope<Router> || (detail::needs_request_scope<Middleware> || ...)};
  }

  app(detail::app_steps, Router routes, std::tuple<Middleware...> steps)
      : providers_(detail::take_steps<true>(steps)),
        chain_(detail::guarded_router<bound_router>{detail::with_app_providers(std::move(routes), providers_)},
               detail::take_steps<false>(steps)),
        server_(make_dispatcher()) {
    (detail::check_middleware<Middleware>(), ...);
    static_assert(detail::providers_are_distinct<Middleware...>(),
                  "asyncrest: the app was given two providers of the same type; give it one (a route's own, given "
                  "with .use(provide<T>(...)), is used instead of the app's)");
    // Each handler's dependencies have a source (a plain call: a failed check is one error).
    (void)detail::app_dependencies<Router, std::tuple<Middleware...>>::checked();
  }

  // A plain handler's response is left in `out.value`, so the server awaits nothing.
  void handle_request(request& req, detail::answer& out) const {
    if constexpr (std::tuple_size_v<middleware_type> == 0) {
      chain_.final_step().routes.respond(req, out);  // errors are turned into responses by the server
    } else {
      chain_.respond(req, out);
    }
  }

  static void dispatch(const void* self, request& req, detail::answer& out) {
    static_cast<const app*>(self)->handle_request(req, out);
  }

  static const route_body_settings* body_settings_for(const void* self, method verb, std::string_view raw_path,
                                                      detail::workspace& space) {
    return static_cast<const app*>(self)->chain_.final_step().routes.body_settings_for(verb, raw_path, space);
  }

  providers_type providers_;
  typename detail::chain_over<detail::guarded_router<bound_router>, middleware_type>::type chain_;
  detail::server_core server_;
};

/// What the library needs of an app besides serving it: the test client calls it as the server does.
struct detail::app_access {
  template <class Router, class... Middleware>
  [[nodiscard]] static dispatcher dispatcher_of(const app<Router, Middleware...>& target) noexcept {
    return target.make_dispatcher();
  }
};

}  // namespace asyncrest
