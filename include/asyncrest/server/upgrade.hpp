// Taking over a connection: a handler answers 101 Switching Protocols and gives the connection,
// with any bytes the client sent past the request, to a coroutine of its own. WebSocket is built
// on this; so is any protocol that starts as HTTP.
//
//     app.get<"/echo">([](request& req) {
//       if (req.header("Upgrade") != "line-echo") throw http_error(status::upgrade_required, "...");
//       return upgrade("line-echo", [](upgraded_connection& peer) -> task<void> {
//         std::array<char, 1024> bytes;
//         while (std::size_t received = co_await peer.read_some(bytes)) {
//           if (!co_await peer.write({bytes.data(), received})) break;
//         }
//       });
//     });
//
// The connection leaves the HTTP loop but stays the server's: it counts against
// `max_connections`, and at shutdown its session is told to stop (`stop_requested()`, with a
// pending read woken) and closed at the drain deadline. The session sets its own timeouts: the
// server's HTTP deadlines no longer apply.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/takeover.hpp>
#include <asyncrest/server/detail/worker.hpp>
#include <asyncrest/server/response.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

namespace detail {
struct upgrade_access;
}  // namespace detail

/// A connection after its 101 response, lent to the session for the length of its call.
class upgraded_connection {
 public:
  upgraded_connection(const upgraded_connection&) = delete;
  upgraded_connection& operator=(const upgraded_connection&) = delete;

  /// Reads what has arrived into `into` (first the bytes the client sent right after its
  /// request). Returns 0 when the connection has ended: closed by the client, failed, or woken
  /// because the server is stopping (then `stop_requested()` is true, and the session may still
  /// write a goodbye and read the reply until the drain deadline).
  task<std::size_t> read_some(std::span<char> into);

  /// Waits until `read_some` has something to return (bytes, the connection's end, or the
  /// server's stop) without a buffer: a session that is idle for long can give its buffer back
  /// while it waits and take one again to read.
  task<void> wait_readable();

  /// What `read_some` would return at once, or 0 when it would wait (or it would report the
  /// connection's end or the server's stop, which only `read_some` does). Never waits: a session
  /// that reads often takes its next bytes without suspending.
  [[nodiscard]] std::size_t read_available(std::span<char> into) noexcept;

  /// Writes what the socket takes at once of `head` then `body`, without waiting, and returns
  /// how many bytes that was (0 where the stream cannot: TLS); `write` sends the rest.
  [[nodiscard]] std::size_t write_available(std::string_view head, std::string_view body) noexcept {
    return io_.write_available != nullptr ? io_.write_available(io_.stream, head, body) : 0;
  }

  /// Writes all of `bytes`; completes when the socket has taken them. Returns false when the
  /// connection has failed.
  task<bool> write(std::string_view bytes);
  /// Writes `head` then `body` in one gathered write (a frame's header and its payload, without
  /// copying the payload behind the header).
  task<bool> write(std::string_view head, std::string_view body);

  /// Ends the connection at once, without a goodbye: a pending read returns 0 and later writes
  /// fail. For a session whose peer stopped answering, or that failed its protocol.
  void shut_down() noexcept {
    asio::error_code ignored;
    state_.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }

  /// True once the server has begun to shut down.
  [[nodiscard]] bool stop_requested() const noexcept { return state_.stop_requested; }
  [[nodiscard]] const asio::ip::tcp::endpoint& remote_endpoint() const noexcept { return remote_; }
  /// The connection's executor, for the session's own timers.
  [[nodiscard]] asio::any_io_executor get_executor() { return state_.socket.get_executor(); }

 private:
  friend struct detail::upgrade_access;
  upgraded_connection(detail::connection_state& state, detail::upgraded_io io, std::string already_received,
                      const asio::ip::tcp::endpoint& remote)
      : state_(state), io_(io), received_(std::move(already_received)), remote_(remote) {}

  detail::connection_state& state_;
  detail::upgraded_io io_;
  std::string received_;  // read with the request, not yet given to the session
  std::size_t received_used_ = 0;
  bool stop_reported_ = false;   // a read has returned 0 for the server's stop
  asio::error_code wait_error_;  // where a wait's error goes: the read after it reports the cause
  asio::ip::tcp::endpoint remote_;
};

/// The shape of a session: called once with the connection, it returns a `task<void>`. It is
/// moved into the response and outlives the handler and its request: capture by value.
template <class Session>
concept upgrade_session = std::move_constructible<Session> && requires(Session& run, upgraded_connection& peer) {
  { run(peer) } -> std::same_as<task<void>>;
};

/// A 101 Switching Protocols response to `protocol` (sent as the Upgrade field, with
/// "Connection: Upgrade"), after which `session` owns the connection. Add the protocol's own
/// fields to the result's headers. An HTTP/1.0 request cannot upgrade: it is answered 400.
template <class Session>
[[nodiscard]] response upgrade(std::string_view protocol, Session session);

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

struct upgrade_access {
  static upgraded_connection make(connection_state& state, upgraded_io io, std::string already_received,
                                  const asio::ip::tcp::endpoint& remote) {
    return upgraded_connection(state, io, std::move(already_received), remote);
  }
};

}  // namespace asyncrest::detail

namespace asyncrest {

inline task<std::size_t> upgraded_connection::read_some(std::span<char> into) {
  if (into.empty()) co_return 0;
  if (received_used_ < received_.size()) {
    const std::size_t taken = std::min(into.size(), received_.size() - received_used_);
    std::memcpy(into.data(), received_.data() + received_used_, taken);
    received_used_ += taken;
    if (received_used_ == received_.size()) std::string().swap(received_);
    co_return taken;
  }
  // The drain's cancel wakes a read that is pending; a read begun after it returns at once, so
  // the session learns of the stop either way, once.
  if (state_.stop_requested && !stop_reported_) {
    stop_reported_ = true;
    co_return 0;
  }
  asio::error_code error;
  const std::size_t received = co_await io_.read_some(io_.stream, into, error);
  if (error && state_.stop_requested) stop_reported_ = true;
  co_return error ? 0 : received;
}

// Not a coroutine: an idle session's wait is the stream's own, with no frame of this function
// held for as long as it lasts.
inline task<void> upgraded_connection::wait_readable() {
  if (received_used_ < received_.size()) return detail::ready_now();
  if (state_.stop_requested && !stop_reported_) return detail::ready_now();  // read_some returns 0 at once
  return io_.wait_readable(io_.stream, wait_error_);
}

inline std::size_t upgraded_connection::read_available(std::span<char> into) noexcept {
  if (into.empty()) return 0;
  if (received_used_ < received_.size()) {
    const std::size_t taken = std::min(into.size(), received_.size() - received_used_);
    std::memcpy(into.data(), received_.data() + received_used_, taken);
    received_used_ += taken;
    if (received_used_ == received_.size()) std::string().swap(received_);
    return taken;
  }
  if ((state_.stop_requested && !stop_reported_) || io_.read_available == nullptr) return 0;
  return io_.read_available(io_.stream, into);
}

inline task<bool> upgraded_connection::write(std::string_view bytes) {
  const asio::error_code error = co_await io_.write(io_.stream, bytes, {});
  co_return !error;
}

inline task<bool> upgraded_connection::write(std::string_view head, std::string_view body) {
  const asio::error_code error = co_await io_.write(io_.stream, head, body);
  co_return !error;
}

template <class Session>
response upgrade(std::string_view protocol, Session session) {
  static_assert(upgrade_session<Session>,
                "asyncrest::upgrade(protocol, session): the session must be callable as "
                "`task<void>(upgraded_connection&)`, for example "
                "[](asyncrest::upgraded_connection& peer) -> asyncrest::task<void> { ... }");
  response result;
  result.status = status::switching_protocols;
  result.headers.set("Upgrade", protocol);
  detail::body_source_access::adopt(result.source, new detail::takeover_session_state<Session>(std::move(session)));
  return result;
}

}  // namespace asyncrest
