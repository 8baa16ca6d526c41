// A client for an app's own tests: it sends requests through the whole app (its middleware,
// routing, handlers, error responses and after-hooks) in the test's process, without a socket or
// a thread, and returns what an HTTP client would have read.
//
//     ar::app app{ar::routes(ar::get<"/users/{id}">(get_user)), auth{}};
//     ar::test_client client{app};
//     ar::headers fields;
//     fields.set("Authorization", ar::bearer_authorization("x"));
//     ar::client_response res = client.get("/users/42", fields);
//     CHECK(res.status == ar::status::ok);
//     CHECK(res.json()["name"].get_string().value() == "Ann");
//
// Its calls are those of `asyncrest::client` that return a whole response (`request`, `get`,
// `post`, `post_json`, ..., and `stream`), with the same arguments, the same `client_request`
// and the same `client_response`: a test moves between the two by changing the client. Each call
// runs an event loop of its own until the response is complete, so it returns the response
// rather than a task; `async_request` is the awaitable form, for a test that already runs in a
// coroutine. A call that cannot complete because nothing is left to run (a handler waiting for
// an operation nobody finishes) throws `timeout_error` instead of hanging.
//
// What the app sees is what the server would hand it: a real `request` with its method, target,
// headers (Host, User-Agent and the body's framing fields as the client sends them), cookies,
// path parameters, typed context and remote endpoint (`test_client_settings::remote`). A body
// is checked against the server's limits and the route's (`.body({.max_bytes})`): past them,
// 413, as the server answers. A route that streams its body reads the request's pieces with
// `read_body()` in the order the client wrote them. A response's body may be in memory, a file
// or a stream (whose producer runs to its end); a HEAD request gets the head alone.
//
// An endless stream (an event stream) never ends: read it with `stream()`, which returns once
// the head is known and runs the producer only as far as the pieces asked for; closing or
// destroying the stream cancels the producer. A response that switches protocols (WebSocket)
// cannot be carried without a connection: it throws `client_error`; test those routes with a
// server on a port and `client::websocket`.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/client/forms.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/detail/dispatcher.hpp>
#include <asyncrest/server/detail/test_exchange.hpp>
#include <asyncrest/server/settings.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// How a test client stands in for the server and its client; an aggregate, like the server's.
struct test_client_settings {
  /// The server's limits a request is held to (`server_settings::limits`): a larger body is
  /// answered with 413, unless its route sets its own limit.
  request_limits limits{};
  /// The client's address and port, as `request::remote_endpoint()` gives them.
  asio::ip::tcp::endpoint remote{asio::ip::address_v4::loopback(), 50000};
  /// Sent as Host when a request's URL is a path ("/users/42"); an absolute URL's own host is
  /// sent instead.
  std::string host = "localhost";
  /// Sent as User-Agent unless a request sets its own.
  std::string user_agent = "asyncrest-test-client";
  /// Sent with every request, unless the request sets a field of the same name.
  asyncrest::headers default_headers{};
  /// The largest body `request()` and the calls made of it collect; a larger one throws
  /// `protocol_error` (`client_errc::response_too_large`), as the client does.
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  /// Throw `http_status_error` for a 4xx or 5xx response, as `client_settings` asks.
  bool raise_for_status = false;
};

/// A response whose body is read piece by piece as the app produces it (`test_client::stream`).
/// The producer runs only while `read_some` waits for a piece; closing or destroying the stream
/// cancels it. Must not outlive the app.
class test_response_stream {
 public:
  test_response_stream(test_response_stream&& other) noexcept = default;
  test_response_stream& operator=(test_response_stream&& other) noexcept {
    if (this != &other) {
      close();
      context_ = std::move(other.context_);
      channel_ = std::move(other.channel_);
      piece_ = std::move(other.piece_);
    }
    return *this;
  }
  test_response_stream(const test_response_stream&) = delete;
  test_response_stream& operator=(const test_response_stream&) = delete;
  ~test_response_stream() { close(); }

  [[nodiscard]] asyncrest::status status() const noexcept { return channel_->head.status; }
  /// The status and header fields; its body is empty.
  [[nodiscard]] const client_response& head() const noexcept { return channel_->head; }

  /// The next piece of the body, as the app wrote it (a stream's write, a block of a file, the
  /// whole of a body in memory); empty at the end of the body. The view is valid until the next
  /// call. Throws what the client would see when the body is cut short (`connection_error`).
  [[nodiscard]] std::string_view read_some();

  /// Whether the body has been read to its end (or the stream closed).
  [[nodiscard]] bool done() const noexcept { return !context_ || (channel_->finished && channel_->pieces.empty()); }

  /// Cancels the producer, if it still runs, and ends the stream.
  void close() noexcept { context_.reset(); }

 private:
  friend class test_client;
  test_response_stream(std::unique_ptr<detail::exchange_channel> channel, std::unique_ptr<asio::io_context> context)
      : channel_(std::move(channel)), context_(std::move(context)) {}

  std::unique_ptr<detail::exchange_channel> channel_;  // what the exchange's coroutines write to
  std::unique_ptr<asio::io_context> context_;          // destroyed first: it holds those coroutines
  std::string piece_;
};

/// Sends requests to an app without a socket. The app must outlive the client and its streams.
class test_client {
 public:
  template <class Router, class... Middleware>
  explicit test_client(const app<Router, Middleware...>& target, test_client_settings settings = {})
      : dispatch_(detail::app_access::dispatcher_of(target)), settings_(std::move(settings)) {}

  [[nodiscard]] const test_client_settings& settings() const noexcept { return settings_; }

  /// Sends `request` (its URL a path, "/users/42?full=1", or an absolute http:// URL) and returns
  /// the whole response.
  client_response request(client_request request);

  client_response get(std::string url, headers fields = {}) {
    return request({method::get, std::move(url), std::move(fields), {}});
  }
  client_response head(std::string url, headers fields = {}) {
    return request({method::head, std::move(url), std::move(fields), {}});
  }
  client_response post(std::string url, std::string body, std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::post, std::move(url), std::move(body), content_type));
  }
  client_response post_json(std::string url, const json_value& body) {
    return request(with_body(method::post, std::move(url), body.dump(), "application/json"));
  }
  client_response post_form(std::string url, const std::vector<std::pair<std::string, std::string>>& fields) {
    return request(
        with_body(method::post, std::move(url), url_encode_form(fields), "application/x-www-form-urlencoded"));
  }
  client_response post_multipart(std::string url, multipart_body body) {
    return request(std::move(body).into_request(method::post, std::move(url)));
  }
  client_response put(std::string url, std::string body, std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::put, std::move(url), std::move(body), content_type));
  }
  client_response patch(std::string url, std::string body,
                        std::string_view content_type = "text/plain; charset=utf-8") {
    return request(with_body(method::patch, std::move(url), std::move(body), content_type));
  }
  client_response delete_(std::string url, headers fields = {}) {
    return request({method::delete_, std::move(url), std::move(fields), {}});
  }

  /// Sends `request` and returns once the response's head is known; the body is then read with
  /// `read_some()`, the producer of a stream running only as far as the pieces read. For event
  /// streams and other bodies that never end.
  test_response_stream stream(client_request request);

  /// `request` as a task, run on the awaiting coroutine's event loop rather than one of its own.
  [[nodiscard]] task<client_response> async_request(client_request request);

 private:
  static client_request with_body(method verb, std::string url, std::string body, std::string_view content_type) {
    client_request made{verb, std::move(url), {}, std::move(body)};
    made.headers.set("Content-Type", content_type);
    return made;
  }

  detail::dispatcher dispatch_;
  test_client_settings settings_;
};

}  // namespace asyncrest

#include <asyncrest/server/detail/impl/test_client.ipp>
