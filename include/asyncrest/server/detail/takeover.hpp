// What an upgrade's response holds (the session, called through one function pointer), and how
// an upgraded connection reads and writes whichever stream it has, plain or TLS.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/body_source.hpp>
#include <asyncrest/server/detail/exact_allocator.hpp>

#include <asio/bind_allocator.hpp>
#include <asio/buffer.hpp>
#include <asio/error_code.hpp>
#include <asio/redirect_error.hpp>
#include <asio/socket_base.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

namespace asyncrest {
class upgraded_connection;
}  // namespace asyncrest

namespace asyncrest::detail {

/// How an upgraded connection reads and writes: through the plain socket or the TLS stream,
/// whichever the connection has, by two function pointers.
struct upgraded_io {
  void* stream = nullptr;
  task<std::size_t> (*read_some)(void* stream, std::span<char> into, asio::error_code& error) = nullptr;
  /// `head` then `body`, in one gathered write.
  task<asio::error_code> (*write)(void* stream, std::string_view head, std::string_view body) = nullptr;
  /// Until a read would find something (or the connection ended), holding no buffer. The
  /// operation's own awaitable, with no coroutine around it; its error goes to `error`.
  task<void> (*wait_readable)(void* stream, asio::error_code& error) = nullptr;
  /// What can be read without waiting, or 0 (nothing there, the connection's end, an error: the
  /// asynchronous read reports which). Null for a TLS stream, which always reads asynchronously.
  std::size_t (*read_available)(void* stream, std::span<char> into) noexcept = nullptr;
  /// What of `head` then `body` the socket takes at once, without waiting (0 on an error: the
  /// asynchronous write that follows reports it). Null for a TLS stream.
  std::size_t (*write_available)(void* stream, std::string_view head, std::string_view body) noexcept = nullptr;
};

template <class Stream>
task<std::size_t> read_some_from(void* stream, std::span<char> into, asio::error_code& error) {
  co_return co_await static_cast<Stream*>(stream)->async_read_some(asio::buffer(into.data(), into.size()),
                                                                   asio::redirect_error(asio::use_awaitable, error));
}

template <class Stream>
task<asio::error_code> write_to(void* stream, std::string_view head, std::string_view body) {
  asio::error_code error;
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head.data(), head.size()),
                                                 asio::buffer(body.data(), body.size())};
  co_await asio::async_write(*static_cast<Stream*>(stream), pieces, asio::redirect_error(asio::use_awaitable, error));
  co_return error;
}

inline task<void> ready_now() { co_return; }

/// Waits for the socket to be readable. A TLS stream may hold bytes already (read with the last
/// record), which no readiness of the socket would announce: then it does not wait. An error
/// (the drain's cancel, a closed socket) ends the wait too; the read that follows reports it.
/// Not a coroutine, so that an idle connection holds no frame of it; the operation is allocated
/// at its size, not in a larger block of Asio's per-thread cache that it would hold meanwhile.
template <class Stream>
task<void> wait_readable_on(void* stream, asio::error_code& error) {
  Stream& from = *static_cast<Stream*>(stream);
  auto token = asio::bind_allocator(exact_allocator<void>(), asio::redirect_error(asio::use_awaitable, error));
  if constexpr (requires { from.has_pending(); }) {
    if (from.has_pending()) return ready_now();
    return from.next_layer().async_wait(asio::socket_base::wait_read, std::move(token));
  } else {
    return from.async_wait(asio::socket_base::wait_read, std::move(token));
  }
}

/// A read that does not wait, on a plain socket: a session that is busy reads the next bytes
/// without a coroutine or a trip through the event loop. The socket is switched to report
/// would_block instead of waiting for it; its asynchronous operations are not affected.
template <class Stream>
std::size_t read_available_from(void* stream, std::span<char> into) noexcept {
  Stream& from = *static_cast<Stream*>(stream);
  asio::error_code error;
  if (!from.non_blocking()) {
    from.non_blocking(true, error);
    if (error) return 0;
  }
  const std::size_t received = from.read_some(asio::buffer(into.data(), into.size()), error);
  return error ? 0 : received;
}

/// A gathered write that does not wait, on a plain socket: a small frame that the socket takes
/// at once costs one system call, not an asynchronous operation whose completion is posted.
template <class Stream>
std::size_t write_available_to(void* stream, std::string_view head, std::string_view body) noexcept {
  Stream& to = *static_cast<Stream*>(stream);
  asio::error_code error;
  if (!to.non_blocking()) {
    to.non_blocking(true, error);
    if (error) return 0;
  }
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head.data(), head.size()),
                                                 asio::buffer(body.data(), body.size())};
  const std::size_t sent = to.write_some(pieces, error);
  return error ? 0 : sent;
}

/// The I/O functions for a connection whose stream is a `Stream`.
template <class Stream>
upgraded_io upgraded_io_for(Stream& stream) noexcept {
  if constexpr (requires { stream.has_pending(); }) {
    return {&stream, &read_some_from<Stream>, &write_to<Stream>, &wait_readable_on<Stream>, nullptr, nullptr};
  } else {
    return {&stream,
            &read_some_from<Stream>,
            &write_to<Stream>,
            &wait_readable_on<Stream>,
            &read_available_from<Stream>,
            &write_available_to<Stream>};
  }
}

struct takeover_state : body_source_state {
  takeover_state(task<void> (*run)(takeover_state&, upgraded_connection&),
                 void (*destroyer)(body_source_state*) noexcept) noexcept
      : body_source_state(kind::takeover, destroyer), run_session(run) {}
  task<void> (*run_session)(takeover_state&, upgraded_connection&);
};

template <class Session>
struct takeover_session_state final : takeover_state {
  explicit takeover_session_state(Session&& made)
      : takeover_state(&run_this, &destroy_this), session(std::move(made)) {}
  static task<void> run_this(takeover_state& state, upgraded_connection& peer) {
    return static_cast<takeover_session_state&>(state).session(peer);
  }
  static void destroy_this(body_source_state* state) noexcept { delete static_cast<takeover_session_state*>(state); }
  Session session;
};

}  // namespace asyncrest::detail
