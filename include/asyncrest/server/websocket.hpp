// WebSocket routes: the handshake checked, middleware run before the 101, then a handler that
// holds the connection for as long as it lasts.
//
//     websocket<"/rooms/{room}/ws">([](websocket_connection& socket, std::string room) -> task<void> {
//       for (websocket_message message; !(message = co_await socket.receive()).closed();)
//         co_await socket.send_text(message.data);
//     })
//
// The simple form above takes the connection and the path parameters, as owning copies (a
// `std::string_view` parameter views a string the session owns). When the handler needs the
// handshake request (a query parameter, a header, what a middleware put in the context), the
// two-step form reads it while the request exists and returns the session, capturing what it
// keeps:
//
//     websocket<"/chat">([](request& req) {
//       std::string name(req.query("name").value_or("guest"));
//       return accept_websocket([name](websocket_connection& socket) -> task<void> { ... });
//     })
//
// A route's and the app's middleware run before the handshake is answered, so an
// authentication middleware refuses it with its own status. The connection is then the
// server's like any upgraded one: counted against `max_connections`, and at a drain each open
// WebSocket is sent 1001 Going Away and given until the drain deadline to answer.
//
// Origin: a browser sends a page's cookies with a WebSocket handshake to any site, whichever
// site the page came from, and the same-origin policy does not apply to WebSockets. Without an
// Origin check, a page on another site can open an authenticated WebSocket in its visitor's
// name (cross-site WebSocket hijacking). So, unless told otherwise, a handshake whose Origin is
// not the server's own (its Host) is refused with 403; `allowed_origins` or `allow_origin` open
// it to others. A handshake without Origin (not from a browser) is accepted.
#pragma once

#include <asyncrest/core/detail/callable_traits.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/upgrade.hpp>
#include <asyncrest/websocket/connection.hpp>
#include <asyncrest/websocket/settings.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// A WebSocket route's handshake policy and its connections' settings.
struct websocket_route_settings {
  websocket_settings connection;
  /// Subprotocols the route speaks, most preferred first. The first the client also offers is
  /// chosen (`websocket_connection::subprotocol()`); none in common: no Sec-WebSocket-Protocol in
  /// the answer, and the client decides whether to go on.
  std::vector<std::string> subprotocols;
  /// Origins accepted besides the server's own, as browsers send them ("https://example.com");
  /// "*" accepts any.
  std::vector<std::string> allowed_origins;
  /// Decides instead of the list, when set: true accepts the handshake's Origin.
  std::function<bool(std::string_view origin)> allow_origin;
};

/// What the two-step form's handler returns: the session to run on the connection.
template <class Session>
struct websocket_acceptance {
  Session session;
};

/// The shape of a session: `task<void>(websocket_connection&)`, called once the 101 is sent.
template <class Session>
concept websocket_session = std::move_constructible<Session> && requires(Session& run, websocket_connection& socket) {
  { run(socket) } -> std::same_as<task<void>>;
};

/// Accepts the handshake; `session` runs on the connection. Capture by value what it needs:
/// the request is gone by the time it runs.
template <class Session>
[[nodiscard]] websocket_acceptance<Session> accept_websocket(Session session) {
  static_assert(websocket_session<Session>,
                "asyncrest::accept_websocket(session): the session must be callable as "
                "`task<void>(websocket_connection&)`, for example "
                "[captured](asyncrest::websocket_connection& socket) -> asyncrest::task<void> { ... }");
  return {std::move(session)};
}

/// A WebSocket route at `Path`: a GET route whose handler is either
/// `task<void>(websocket_connection&, path parameters...)` or
/// `websocket_acceptance<S>(request&, path parameters...)` (or a `task` of it), made by
/// `accept_websocket`. Add middleware with `.use(...)`, as on any route.
template <fixed_string Path, class Handler>
[[nodiscard]] auto websocket(Handler handler, websocket_route_settings settings = {});

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

/// What an accepted handshake settled, for the 101 and the connection.
struct websocket_handshake {
  std::string accept;      // Sec-WebSocket-Accept
  std::string protocol;    // Sec-WebSocket-Protocol, empty when none was chosen
  std::string extensions;  // Sec-WebSocket-Extensions, empty when none was agreed
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  std::optional<deflate_agreement> deflate;
#endif
};

/// Checks a handshake (RFC 6455 §4.2.1) and settles the answer's fields; an error response
/// when it is refused.
inline std::optional<response> check_websocket_handshake(const request& req, const websocket_route_settings& settings,
                                                         websocket_handshake& out) {
  if (req.method() != method::get) return problem(status::bad_request, "a WebSocket handshake is a GET request");
  if (req.version_major() != 1 || req.version_minor() != 1) {
    return problem(status::bad_request, "a WebSocket handshake needs HTTP/1.1");
  }
  const auto upgrade_field = req.header("Upgrade");
  if (!upgrade_field) {
    response refused = problem(status::upgrade_required, "this resource is a WebSocket endpoint");
    refused.headers.set("Upgrade", "websocket");
    refused.headers.set("Sec-WebSocket-Version", "13");
    return refused;
  }
  if (!list_contains_token(*upgrade_field, "websocket")) {
    return problem(status::bad_request, "a WebSocket handshake needs \"Upgrade: websocket\"");
  }
  const auto connection_field = req.header("Connection");
  if (!connection_field || !list_contains_token(*connection_field, "upgrade")) {
    return problem(status::bad_request, "a WebSocket handshake needs \"Connection: Upgrade\"");
  }
  const auto version = req.header("Sec-WebSocket-Version");
  if (!version || trim_spaces(*version) != "13" || req.headers().count("Sec-WebSocket-Version") != 1) {
    response refused = problem(status::upgrade_required, "this server speaks WebSocket version 13 only");
    refused.headers.set("Sec-WebSocket-Version", "13");
    return refused;
  }
  const auto key = req.header("Sec-WebSocket-Key");
  if (!key || req.headers().count("Sec-WebSocket-Key") != 1 || !is_valid_websocket_key(trim_spaces(*key))) {
    return problem(status::bad_request, "Sec-WebSocket-Key must be the base64 of 16 bytes");
  }
  if (const auto origin = req.header("Origin")) {
    bool allowed = false;
    if (settings.allow_origin) {
      allowed = settings.allow_origin(*origin);
    } else {
      for (const std::string& each : settings.allowed_origins)
        allowed = allowed || each == "*" || iequals(each, *origin);
      if (!allowed) {  // the server's own origin: what follows the scheme is the Host
        const std::size_t scheme_end = origin->find("://");
        const auto host = req.header("Host");
        allowed = scheme_end != std::string_view::npos && host && iequals(origin->substr(scheme_end + 3), *host);
      }
    }
    if (!allowed) return problem(status::forbidden, "WebSocket connections from this Origin are not accepted");
  }
  std::string& chosen_protocol = out.protocol;
  chosen_protocol.clear();
  for (const std::string& supported : settings.subprotocols) {
    for (const header_view& field : req.headers()) {
      if (!iequals(field.name, "Sec-WebSocket-Protocol")) continue;
      if (for_each_list_item(field.value, [&](std::string_view offered) { return offered == supported; })) {
        chosen_protocol = supported;
        break;
      }
    }
    if (!chosen_protocol.empty()) break;
  }
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  if (settings.connection.deflate.enabled) {
    std::string offers;  // every Sec-WebSocket-Extensions field, as one list
    for (const header_view& field : req.headers()) {
      if (!iequals(field.name, "Sec-WebSocket-Extensions")) continue;
      if (!offers.empty()) offers += ", ";
      offers += field.value;
    }
    if (std::optional<deflate_acceptance> accepted = accept_deflate_offer(offers, settings.connection.deflate)) {
      out.deflate = accepted->agreement;
      out.extensions = std::move(accepted->answer);
    }
  }
#endif
  out.accept = websocket_accept_value(trim_spaces(*key));
  return std::nullopt;
}

/// The answer to an accepted handshake, whose session runs `session`.
template <class Session>
response websocket_upgrade_response(const websocket_handshake& handshake, Session session) {
  response result = upgrade("websocket", std::move(session));
  result.headers.set("Sec-WebSocket-Accept", handshake.accept);
  if (!handshake.protocol.empty()) result.headers.set("Sec-WebSocket-Protocol", handshake.protocol);
  if (!handshake.extensions.empty()) result.headers.set("Sec-WebSocket-Extensions", handshake.extensions);
  return result;
}

inline websocket_transport server_transport(upgraded_connection& peer) {
  websocket_transport transport;
  transport.stream = &peer;
  transport.read_some = [](void* stream, std::span<char> into) {
    return static_cast<upgraded_connection*>(stream)->read_some(into);
  };
  transport.write = [](void* stream, std::string_view head, std::string_view body) {
    return static_cast<upgraded_connection*>(stream)->write(head, body);
  };
  transport.shut_down = [](void* stream) noexcept { static_cast<upgraded_connection*>(stream)->shut_down(); };
  transport.stop_requested = [](const void* stream) noexcept {
    return static_cast<const upgraded_connection*>(stream)->stop_requested();
  };
  transport.wait_readable = [](void* stream) { return static_cast<upgraded_connection*>(stream)->wait_readable(); };
  transport.read_available = [](void* stream, std::span<char> into) noexcept {
    return static_cast<upgraded_connection*>(stream)->read_available(into);
  };
  transport.write_available = [](void* stream, std::string_view head, std::string_view body) noexcept {
    return static_cast<upgraded_connection*>(stream)->write_available(head, body);
  };
  transport.executor = peer.get_executor();
  return transport;
}

/// Runs a route's session on an upgraded connection, then finishes the closing handshake the
/// handler left open (1000, or 1011 when it threw) and waits for the peer's close.
template <class Run>
task<void> run_websocket_session(upgraded_connection& peer, const websocket_route_settings& settings,
                                 const websocket_handshake& handshake, Run run) {
  auto state = std::make_shared<websocket_state>(server_transport(peer), websocket_role::server, settings.connection);
  state->subprotocol = handshake.protocol;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  if (handshake.deflate) state->enable_deflate(*handshake.deflate);
#endif
  websocket_connection socket = websocket_access::make(state);
  state->begin_keep_alive();
  bool failed = false;
  try {
    co_await run(socket);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "asyncrest: a WebSocket handler failed: %s\n", error.what());
    failed = true;
  } catch (...) {
    std::fprintf(stderr, "asyncrest: a WebSocket handler failed\n");
    failed = true;
  }
  try {
    if (!state->ended && !state->close_sent) {
      co_await state->send_close(failed ? websocket_close_code::internal_error : websocket_close_code::normal, {});
    }
    while (!state->ended) {
      const websocket_message discarded = co_await state->receive();
      (void)discarded;
    }
  } catch (const std::exception&) {
    state->end_now(websocket_close_code::abnormal, {});  // the close could not be sent or read
  }
  // Always: the keep-alive timer, pings and a relay's sends use the stream, which goes with
  // this session.
  co_await state->stop_timer();
}

template <class Parameter>
using stored_parameter = std::conditional_t<std::is_same_v<std::remove_cvref_t<Parameter>, std::string_view>,
                                            std::string, std::remove_cvref_t<Parameter>>;

template <class Handler>
struct websocket_handler_traits {
  static_assert(callable_traits<Handler>::known,
                "asyncrest: a WebSocket handler must be a function, a lambda or a function object with one call "
                "operator whose parameters are spelled out (not `auto`)");
  using traits = callable_traits<Handler>;
  using arguments = typename traits::arguments;
  using result = typename traits::result;
  static_assert(traits::arity >= 1,
                "asyncrest: a WebSocket handler takes `websocket_connection&` or `request&` first, then the path "
                "parameters");
  using first = std::tuple_element_t<0, arguments>;
  static constexpr bool simple = std::is_same_v<first, websocket_connection&>;
  static_assert(simple || std::is_same_v<first, request&>,
                "asyncrest: a WebSocket handler takes `websocket_connection&` (and returns task<void>) or "
                "`request&` (and returns accept_websocket(...)) first, then the path parameters");
  using path_arguments = typename tail_arguments<arguments, 1, std::make_index_sequence<traits::arity - 1>>::type;
};

template <class Result>
inline constexpr bool is_acceptance = false;
template <class Session>
inline constexpr bool is_acceptance<websocket_acceptance<Session>> = true;

template <class Result>
inline constexpr bool is_acceptance_task = false;
template <class Session>
inline constexpr bool is_acceptance_task<task<websocket_acceptance<Session>>> = true;

/// What the route calls: a handler of the route machinery's shape (request&, path parameters),
/// so the path is checked and converted as for any route.
template <class Handler, class Result, class Parameters>
struct websocket_endpoint;

template <class Handler, class Result, class... Parameters>
struct websocket_endpoint<Handler, Result, std::tuple<Parameters...>> {
  using traits = websocket_handler_traits<Handler>;
  std::shared_ptr<const Handler> handler;
  std::shared_ptr<const websocket_route_settings> settings;

  Result operator()(request& req, Parameters... parameters) const {
    websocket_handshake handshake;
    if constexpr (traits::simple) {
      static_assert(std::is_same_v<typename traits::result, task<void>>,
                    "asyncrest: a WebSocket handler taking `websocket_connection&` returns task<void>");
      if (auto refused = check_websocket_handshake(req, *settings, handshake)) return std::move(*refused);
      return websocket_upgrade_response(
          handshake, simple_session<std::tuple<stored_parameter<Parameters>...>>{
                         handler, settings, handshake,
                         std::tuple<stored_parameter<Parameters>...>(std::forward<Parameters>(parameters)...)});
    } else if constexpr (is_acceptance<typename traits::result>) {
      if (auto refused = check_websocket_handshake(req, *settings, handshake)) return std::move(*refused);
      auto accepted = (*handler)(req, std::forward<Parameters>(parameters)...);
      return websocket_upgrade_response(
          handshake, accepted_session<decltype(accepted.session)>{settings, handshake, std::move(accepted.session)});
    } else {
      static_assert(is_acceptance_task<typename traits::result>,
                    "asyncrest: a WebSocket handler taking `request&` returns accept_websocket(session) (or a "
                    "task<> of it)");
      return two_step(req, std::forward<Parameters>(parameters)...);
    }
  }

 private:
  template <class Values>
  struct simple_session {
    std::shared_ptr<const Handler> handler;
    std::shared_ptr<const websocket_route_settings> settings;
    websocket_handshake handshake;
    Values values;
    task<void> operator()(upgraded_connection& peer) {
      return run_websocket_session(peer, *settings, handshake, [this](websocket_connection& socket) {
        return std::apply([&](auto&... value) { return (*handler)(socket, value...); }, values);
      });
    }
  };

  template <class Session>
  struct accepted_session {
    std::shared_ptr<const websocket_route_settings> settings;
    websocket_handshake handshake;
    Session session;
    task<void> operator()(upgraded_connection& peer) {
      return run_websocket_session(peer, *settings, handshake,
                                   [this](websocket_connection& socket) { return session(socket); });
    }
  };

  task<response> two_step(request& req, Parameters... parameters) const {
    websocket_handshake handshake;
    if (auto refused = check_websocket_handshake(req, *settings, handshake)) co_return std::move(*refused);
    auto accepted = co_await (*handler)(req, std::forward<Parameters>(parameters)...);
    co_return websocket_upgrade_response(
        handshake, accepted_session<decltype(accepted.session)>{settings, handshake, std::move(accepted.session)});
  }
};

template <class Handler>
using websocket_endpoint_for =
    websocket_endpoint<Handler,
                       std::conditional_t<is_acceptance_task<typename websocket_handler_traits<Handler>::result>,
                                          task<response>, response>,
                       typename websocket_handler_traits<Handler>::path_arguments>;

}  // namespace asyncrest::detail

namespace asyncrest {

template <fixed_string Path, class Handler>
auto websocket(Handler handler, websocket_route_settings settings) {
  using endpoint = detail::websocket_endpoint_for<Handler>;
  detail::check_websocket_settings(settings.connection);
  return route<Path, method::get, endpoint>(
      endpoint{std::make_shared<const Handler>(std::move(handler)),
               std::make_shared<const websocket_route_settings>(std::move(settings))});
}

}  // namespace asyncrest
