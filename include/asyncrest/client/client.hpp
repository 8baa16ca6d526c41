// An asynchronous HTTP/1.1 client with a connection pool, timeouts, retries, redirects and
// HTTPS, for services that call other services:
//
//     ar::client http{co_await asio::this_coro::executor};        // or ar::client http{io_context}
//     ar::client_response res = co_await http.get("http://127.0.0.1:8080/users/7");
//     std::string_view name = res.json()["name"].get_string();
//
// Threading: a client, its pool and its responses belong to one executor (one io_context thread
// or one strand); call it only from coroutines running there, so nothing needs a lock. A server
// handler runs on its worker thread's io_context, so a client made from the handler's executor
// fits. Use one client per thread and reuse it: its pool is what makes the second request fast.
//
// Every call exists in two forms: `get(...)` throws a `client_error` (see client_error.hpp) and
// `try_get(...)` returns a `result<client_response>` instead. A request can be cancelled through
// the awaiting coroutine's cancellation slot, as `co_await (http.get(url) || timer.async_wait())`
// does; its connection is then closed, never reused.
#pragma once

#include <asyncrest/client/detail/exchange.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/forms.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/client/settings.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/result.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

class websocket_connection;
struct websocket_client_options;
class event_source;  // client/events.hpp
struct event_source_settings;

namespace detail {
struct client_access;
}  // namespace detail

/// A response whose body is read piece by piece (see `client::stream`). While it lives it holds
/// its connection; the connection returns to the pool once the body has been read to the end,
/// and is closed if the stream is destroyed before that.
class response_stream {
 public:
  explicit response_stream(std::unique_ptr<detail::stream_exchange> exchange) noexcept
      : exchange_(std::move(exchange)) {}

  [[nodiscard]] asyncrest::status status() const noexcept { return exchange_->head.status; }
  /// The status line and header fields; its `body` stays empty.
  [[nodiscard]] const client_response& head() const noexcept { return exchange_->head; }
  /// The next piece of the body, empty once the body has ended. The view is valid until the next
  /// call. Throws like the client's calls (read and total timeouts apply).
  [[nodiscard]] task<std::string_view> read_some() { return detail::read_body_piece(*exchange_); }
  /// Whether the whole body has been read.
  [[nodiscard]] bool done() const noexcept { return exchange_->finished; }
  /// Replaces the client's read timeout for the body's reads from now on (zero: no limit). A
  /// body that is quiet by design, such as a stream of events, wants a limit of its own.
  void set_read_timeout(std::chrono::milliseconds limit) noexcept { exchange_->read_timeout = limit; }

 private:
  std::unique_ptr<detail::stream_exchange> exchange_;
};

/// A pooled HTTP client bound to one executor. Cheap to keep, costly to make per request.
class client {
 public:
  /// A client whose connections and timers run on `executor`.
  explicit client(asio::any_io_executor executor, client_settings settings)
      : state_(detail::client_state::make(std::move(executor), std::move(settings))) {}
  // Overloads rather than a default argument: g++ 12 fails to compile a defaulted settings
  // aggregate in a coroutine, which is where a handler makes its client.
  explicit client(asio::any_io_executor executor) : client(std::move(executor), client_settings()) {}
  /// A client on `context` (an `asio::io_context`, say).
  template <class ExecutionContext>
  requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit client(ExecutionContext& context, client_settings settings)
      : client(asio::any_io_executor(context.get_executor()), std::move(settings)) {}
  template <class ExecutionContext>
  requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit client(ExecutionContext& context)
      : client(asio::any_io_executor(context.get_executor()), client_settings()) {}

  /// Closes the idle connections. Requests still in flight finish; their connections close then.
  ~client() { state_->shut_down(); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// The executor the client was made for.
  [[nodiscard]] const asio::any_io_executor& get_executor() const noexcept { return state_->executor; }
  [[nodiscard]] const client_settings& settings() const noexcept { return state_->settings; }

  /// Sends `request` and reads the whole response (up to `max_body_bytes`).
  [[nodiscard]] task<client_response> request(client_request request) {
    return detail::perform(state_, std::move(request));
  }
  [[nodiscard]] task<client_response> get(std::string url, headers fields = {}) {
    return request({method::get, std::move(url), std::move(fields), {}});
  }
  [[nodiscard]] task<client_response> head(std::string url, headers fields = {}) {
    return request({method::head, std::move(url), std::move(fields), {}});
  }
  [[nodiscard]] task<client_response> post(std::string url, std::string body,
                                           std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::post, std::move(url), std::move(body), content_type));
  }
  /// POSTs `body` serialized as JSON with Content-Type application/json.
  [[nodiscard]] task<client_response> post_json(std::string url, const json_value& body) {
    return request(with_body(method::post, std::move(url), body.dump(), "application/json"));
  }
  /// POSTs `fields` as application/x-www-form-urlencoded (client/forms.hpp).
  [[nodiscard]] task<client_response> post_form(std::string url,
                                                const std::vector<std::pair<std::string, std::string>>& fields) {
    return request(with_body(method::post, std::move(url), url_encode_form(fields), form_content_type));
  }
  /// POSTs a multipart/form-data body (client/forms.hpp); its files are read as they are sent.
  [[nodiscard]] task<client_response> post_multipart(std::string url, multipart_body body) {
    return request(std::move(body).into_request(method::post, std::move(url)));
  }
  [[nodiscard]] task<client_response> put(std::string url, std::string body,
                                          std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::put, std::move(url), std::move(body), content_type));
  }
  [[nodiscard]] task<client_response> patch(std::string url, std::string body,
                                            std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::patch, std::move(url), std::move(body), content_type));
  }
  [[nodiscard]] task<client_response> delete_(std::string url, headers fields = {}) {
    return request({method::delete_, std::move(url), std::move(fields), {}});
  }

  /// The same calls, returning the error instead of throwing it.
  [[nodiscard]] task<result<client_response>> try_request(client_request request) {
    return detail::capture(detail::perform(state_, std::move(request)));
  }
  [[nodiscard]] task<result<client_response>> try_get(std::string url, headers fields = {}) {
    return try_request({method::get, std::move(url), std::move(fields), {}});
  }
  [[nodiscard]] task<result<client_response>> try_post(std::string url, std::string body,
                                                       std::string_view content_type = "text/plain; charset=utf-8") {
    return try_request(with_body(method::post, std::move(url), std::move(body), content_type));
  }
  [[nodiscard]] task<result<client_response>> try_post_json(std::string url, const json_value& body) {
    return try_request(with_body(method::post, std::move(url), body.dump(), "application/json"));
  }
  [[nodiscard]] task<result<client_response>> try_post_form(
      std::string url, const std::vector<std::pair<std::string, std::string>>& fields) {
    return try_request(with_body(method::post, std::move(url), url_encode_form(fields), form_content_type));
  }
  [[nodiscard]] task<result<client_response>> try_post_multipart(std::string url, multipart_body body) {
    return try_request(std::move(body).into_request(method::post, std::move(url)));
  }
  [[nodiscard]] task<result<client_response>> try_put(std::string url, std::string body,
                                                      std::string_view content_type = "text/plain; charset=utf-8") {
    return try_request(with_body(method::put, std::move(url), std::move(body), content_type));
  }
  [[nodiscard]] task<result<client_response>> try_patch(std::string url, std::string body,
                                                        std::string_view content_type = "text/plain; charset=utf-8") {
    return try_request(with_body(method::patch, std::move(url), std::move(body), content_type));
  }
  [[nodiscard]] task<result<client_response>> try_delete(std::string url, headers fields = {}) {
    return try_request({method::delete_, std::move(url), std::move(fields), {}});
  }

  /// Sends `request` and returns once the response's header block has arrived; the body is
  /// then read piece by piece with `response_stream::read_some`, so it need not fit in memory.
  /// Redirects and retries apply until the header block of the final response.
  [[nodiscard]] task<response_stream> stream(client_request request) { return open_stream(state_, std::move(request)); }

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  /// Opens a WebSocket to a ws:// or wss:// URL (defined in client/websocket.hpp, which the
  /// client umbrella includes; WebSocket needs OpenSSL's libcrypto, as asyncrest::tls links).
  [[nodiscard]] task<websocket_connection> websocket(std::string url);
  /// The same with request fields, subprotocols, an Origin and the connection's settings.
  [[nodiscard]] task<websocket_connection> websocket(std::string url, websocket_client_options options);
#endif

  /// The server-sent events at `url`, as they arrive: `while (auto event = co_await
  /// source.next()) ...`. Connects at the first `next()` and reconnects when the stream ends
  /// (see client/events.hpp). The request form sets header fields, such as Authorization.
  [[nodiscard]] event_source events(std::string url);
  [[nodiscard]] event_source events(std::string url, event_source_settings settings);
  [[nodiscard]] event_source events(client_request request);
  [[nodiscard]] event_source events(client_request request, event_source_settings settings);

  /// Connections open now (idle and in use) and, of those, idle in the pool.
  [[nodiscard]] pool_statistics statistics() const noexcept { return state_->statistics(); }
  /// Closes every idle connection now.
  void close_idle_connections() { state_->close_idle(); }

 private:
  friend struct detail::client_access;

  static task<response_stream> open_stream(std::shared_ptr<detail::client_state> state, client_request request) {
    auto exchange = co_await detail::open_stream(std::move(state), std::move(request));
    co_return response_stream(std::move(exchange));
  }
  static client_request with_body(method verb, std::string url, std::string body, std::string_view content_type) {
    client_request made{verb, std::move(url), {}, std::move(body)};
    made.headers.set("Content-Type", content_type);
    return made;
  }

  static constexpr std::string_view form_content_type = "application/x-www-form-urlencoded";

  std::shared_ptr<detail::client_state> state_;
};

namespace detail {
/// A client's state, for what observes it (client/metrics.hpp).
struct client_access {
  static client_state& state(client& http) noexcept { return *http.state_; }
};
}  // namespace detail

}  // namespace asyncrest

// What `client::events` returns; it includes this header, and defines `client::events`.
#include <asyncrest/client/events.hpp>
