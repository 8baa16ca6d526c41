// WebSocket connections from the client: `co_await http.websocket("wss://host/chat")` opens one
// (ws:// or wss://, verified like the client's HTTPS) and returns the same
// `websocket_connection` the server's routes get, which masks every frame it sends with a fresh
// random key, as a client must.
//
//     ar::websocket_connection socket = co_await http.websocket("ws://127.0.0.1:8080/echo");
//     co_await socket.send_text("hello");
//     ar::websocket_message reply = co_await socket.receive();
//     co_await socket.close();
//     while (!(co_await socket.receive()).closed()) {}   // the server's close ends it
//
// A WebSocket has a connection of its own, outside the client's pool; the client's connect
// timeout and total timeout bound the handshake. The 101 is checked: Sec-WebSocket-Accept,
// Upgrade and Connection, and a subprotocol only if it was offered.
#pragma once

#include <asyncrest/client/client.hpp>
#include <asyncrest/client/detail/exchange.hpp>
#include <asyncrest/client/detail/pool.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/websocket/connection.hpp>
#include <asyncrest/websocket/settings.hpp>

#include <asio/buffer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// What a WebSocket handshake sends besides the URL, and the connection's settings.
struct websocket_client_options {
  /// More request fields: Authorization, Cookie, ...
  headers fields;
  /// Subprotocols offered, most preferred first; the server picks one or none.
  std::vector<std::string> subprotocols;
  /// Sent as Origin when not empty (a server may check it, as browsers always send one).
  std::string origin;
  websocket_settings settings;
};

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

/// The client's end of a WebSocket: its own connection, never pooled.
struct client_websocket_stream {
  explicit client_websocket_stream(const asio::any_io_executor& executor) : connection(executor, unpooled) {}
  origin_pool unpooled;  // the connection's pool as client_connection knows it; only a name here
  client_connection connection;
};

template <class Stream>
task<std::size_t> websocket_client_read(void* stream, std::span<char> into) {
  asio::error_code error;
  const std::size_t received = co_await static_cast<Stream*>(stream)->async_read_some(
      asio::buffer(into.data(), into.size()), asio::redirect_error(asio::use_awaitable, error));
  co_return error ? 0 : received;
}

template <class Stream>
task<bool> websocket_client_write(void* stream, std::string_view head, std::string_view body) {
  asio::error_code error;
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head.data(), head.size()),
                                                 asio::buffer(body.data(), body.size())};
  co_await asio::async_write(*static_cast<Stream*>(stream), pieces, asio::redirect_error(asio::use_awaitable, error));
  co_return !error;
}

template <class Stream>
websocket_transport client_websocket_transport(std::shared_ptr<client_websocket_stream> owner, Stream& stream) {
  websocket_transport transport;
  transport.stream = &stream;
  transport.read_some = &websocket_client_read<Stream>;
  transport.write = &websocket_client_write<Stream>;
  transport.shut_down = [](void* opened) noexcept {
    asio::error_code ignored;
    auto& layer = static_cast<Stream*>(opened)->lowest_layer();
    layer.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  };
  transport.stop_requested = [](const void*) noexcept { return false; };
  transport.executor = owner->connection.socket.get_executor();
  transport.owner = std::move(owner);
  return transport;
}

/// ws:// and wss:// as the http:// and https:// URLs the connection code knows.
inline parsed_url parse_websocket_url(std::string_view url) {
  const auto starts_with = [&](std::string_view scheme) {
    return url.size() >= scheme.size() && iequals(url.substr(0, scheme.size()), scheme);
  };
  if (starts_with("ws://")) return parse_url("http://" + std::string(url.substr(5)));
  if (starts_with("wss://")) return parse_url("https://" + std::string(url.substr(6)));
  throw client_error(client_errc::invalid_url, "a WebSocket URL starts with ws:// or wss://: " + std::string(url));
}

inline std::string websocket_request_head(const parsed_url& url, const std::string& key,
                                          const websocket_client_options& options, const client_settings& settings) {
  std::string head = "GET " + url.target + " HTTP/1.1\r\n";
  append_field(head, "Host", url.authority());
  append_field(head, "Upgrade", "websocket");
  append_field(head, "Connection", "Upgrade");
  append_field(head, "Sec-WebSocket-Key", key);
  append_field(head, "Sec-WebSocket-Version", "13");
  if (!options.subprotocols.empty()) {
    std::string offered;
    for (const std::string& each : options.subprotocols) {
      if (!offered.empty()) offered += ", ";
      offered += each;
    }
    append_field(head, "Sec-WebSocket-Protocol", offered);
  }
  if (!options.origin.empty()) append_field(head, "Origin", options.origin);
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  if (const std::string offer = deflate_offer(options.settings.deflate); !offer.empty()) {
    append_field(head, "Sec-WebSocket-Extensions", offer);
  }
#endif
  bool has_agent = false;
  for (const auto& [name, value] : options.fields) {
    has_agent = has_agent || iequals(name, "User-Agent");
    append_field(head, name, value);
  }
  if (!has_agent && !settings.user_agent.empty()) append_field(head, "User-Agent", settings.user_agent);
  head += "\r\n";
  return head;
}

[[noreturn]] inline void throw_bad_handshake(const std::string& why) {
  throw protocol_error(client_errc::malformed_response, "the WebSocket handshake failed: " + why);
}

/// Checks the server's answer (`head`: status line and fields, without the blank line); returns
/// the chosen subprotocol, and sets `extensions` to what the server agreed to.
inline std::string check_websocket_answer(std::string_view head, const std::string& key,
                                          const websocket_client_options& options, std::string& extensions) {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.1 ") ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    throw_bad_handshake("no HTTP/1.1 status line");
  }
  unsigned code = 0;
  const auto [end, error] = std::from_chars(status_line.data() + 9, status_line.data() + 12, code);
  if (error != std::errc{} || end != status_line.data() + 12) throw_bad_handshake("a malformed status line");
  if (code != 101) {
    throw http_status_error(static_cast<status>(code), "the server answered " + std::to_string(code) +
                                                           " to a WebSocket handshake, not 101 Switching Protocols");
  }
  std::string upgrade, connection, accept, protocol;
  extensions.clear();
  std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t next = rest.find("\r\n");
    const std::string_view line = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 2);
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) throw_bad_handshake("a malformed header field");
    const std::string_view name = line.substr(0, colon);
    for (const char character : name) {
      if (!is_token_character(character)) throw_bad_handshake("a malformed header field name");
    }
    const std::string_view value = trim_spaces(line.substr(colon + 1));
    const auto join = [&](std::string& into) {
      if (!into.empty()) into += ", ";
      into += value;
    };
    if (iequals(name, "Upgrade")) join(upgrade);
    if (iequals(name, "Connection")) join(connection);
    if (iequals(name, "Sec-WebSocket-Accept")) join(accept);
    if (iequals(name, "Sec-WebSocket-Protocol")) join(protocol);
    if (iequals(name, "Sec-WebSocket-Extensions")) join(extensions);
  }
  if (!list_contains_token(upgrade, "websocket")) throw_bad_handshake("the 101 lacks \"Upgrade: websocket\"");
  if (!list_contains_token(connection, "upgrade")) throw_bad_handshake("the 101 lacks \"Connection: Upgrade\"");
  if (accept != websocket_accept_value(key)) throw_bad_handshake("Sec-WebSocket-Accept does not match the key");
  if (!extensions.empty() && !options.settings.deflate.enabled) {
    throw_bad_handshake("the server chose an extension that was not offered");
  }
  if (!protocol.empty()) {
    bool offered = false;
    for (const std::string& each : options.subprotocols) offered = offered || each == protocol;
    if (!offered) throw_bad_handshake("the server chose a subprotocol that was not offered: " + protocol);
  }
  return protocol;
}

/// Writes the handshake and reads the answer's head on `stream`; what followed the head in the
/// same read is left in `leftover`: the server's first frames.
template <class Stream>
task<std::string> websocket_handshake_on(Stream& stream, client_connection& connection, const std::string& request,
                                         pending_operation& operation, const client_settings& settings,
                                         std::string& leftover) {
  operation.begin_step(timeout_kind::read, settings.timeouts.read);
  asio::error_code error;
  co_await asio::async_write(stream, asio::buffer(request), asio::redirect_error(asio::use_awaitable, error));
  operation.end_step();
  if (error) throw_read_failure(operation, connection, error, false);
  std::string received;
  for (;;) {
    const std::size_t head_end = received.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      leftover = received.substr(head_end + 4);
      received.resize(head_end);
      co_return received;
    }
    if (received.size() > settings.max_header_bytes) {
      throw protocol_error(client_errc::response_too_large, "the WebSocket handshake's answer is too large");
    }
    operation.begin_step(timeout_kind::read, settings.timeouts.read);
    const std::size_t count =
        co_await stream.async_read_some(asio::buffer(connection.buffer.get(), client_connection::buffer_size),
                                        asio::redirect_error(asio::use_awaitable, error));
    operation.end_step();
    if (error) throw_read_failure(operation, connection, error, false);
    received.append(connection.buffer.get(), count);
  }
}

inline task<websocket_connection> open_websocket(std::shared_ptr<client_state> state, std::string url,
                                                 websocket_client_options options) {
  check_executor(*state, co_await asio::this_coro::executor);
  check_websocket_settings(options.settings);
  check_fields(options.fields);
  for (const std::string& each : options.subprotocols) {
    if (each.empty() || !std::all_of(each.begin(), each.end(), is_token_character)) {
      throw client_error(client_errc::invalid_request, "a subprotocol must be a token: \"" + each + "\"");
    }
  }
  if (options.origin.find_first_of("\r\n") != std::string::npos) {
    throw client_error(client_errc::invalid_request, "an Origin must not contain CR or LF");
  }
  const parsed_url address = parse_websocket_url(url);
  auto owner = std::make_shared<client_websocket_stream>(state->executor);
  client_connection& connection = owner->connection;
  const std::string key = new_websocket_key();
  const std::string request = websocket_request_head(address, key, options, state->settings);
  std::string leftover;
  std::string head;
  websocket_transport transport;
  {
    pending_registration registration(*state, state->settings.timeouts.total);
    pending_operation& operation = registration.operation;
    operation_detach detach{operation};
    co_await connect(*state, connection, address, operation);
    operation.connection = &connection;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    if (connection.tls) {
      head =
          co_await websocket_handshake_on(*connection.tls, connection, request, operation, state->settings, leftover);
      transport = client_websocket_transport(owner, *connection.tls);
    } else
#endif
    {
      head =
          co_await websocket_handshake_on(connection.socket, connection, request, operation, state->settings, leftover);
      transport = client_websocket_transport(owner, connection.socket);
    }
  }
  std::string extensions;
  std::string chosen = check_websocket_answer(head, key, options, extensions);
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  const deflate_answer_check compression = check_deflate_answer(extensions, options.settings.deflate);
  if (compression.failed()) throw_bad_handshake(std::string(compression.error));
#endif
  if (leftover.size() > websocket_state::read_buffer_size) throw_bad_handshake("too much data behind the 101");
  auto socket_state = std::make_shared<websocket_state>(std::move(transport), websocket_role::client, options.settings);
  socket_state->subprotocol = std::move(chosen);
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  if (compression.agreement) socket_state->enable_deflate(*compression.agreement);
#endif
  std::memcpy(socket_state->read_buffer.get(), leftover.data(), leftover.size());  // both 16 KiB at most
  socket_state->read_end = leftover.size();
  socket_state->begin_keep_alive();
  co_return websocket_access::make(std::move(socket_state));
}

}  // namespace asyncrest::detail

// The members are declared where OpenSSL is (client.hpp): WebSocket needs its libcrypto.
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
namespace asyncrest {

inline task<websocket_connection> client::websocket(std::string url) {
  return detail::open_websocket(state_, std::move(url), websocket_client_options());
}

inline task<websocket_connection> client::websocket(std::string url, websocket_client_options options) {
  return detail::open_websocket(state_, std::move(url), std::move(options));
}

}  // namespace asyncrest
#endif
