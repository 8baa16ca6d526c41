// A WebSocket connection (RFC 6455), the same type on the server and in the client: receive
// messages, send them, ping, close.
//
//     for (;;) {
//       websocket_message message = co_await socket.receive();
//       if (message.closed()) break;                         // message.close_code says why
//       co_await socket.send_text(message.data);             // an echo
//     }
//
// `receive()` answers pings and the peer's close by itself, checks every frame (masking,
// reserved bits, opcodes, control frame sizes, UTF-8 of text as it arrives, the message size
// limit) and fails the connection on the first error with the close code the protocol names.
// One coroutine may receive while others send on the same thread (a chat: one loop reads the
// client, another forwards what the room publishes): sends are serialized among themselves and
// with the automatic replies, so frames never interleave, and a send completes when the socket
// has taken its frame, so a slow peer slows its senders instead of growing a queue.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/websocket/detail/frame.hpp>
#include <asyncrest/websocket/detail/handshake.hpp>
#include <asyncrest/websocket/detail/role.hpp>
#include <asyncrest/websocket/detail/transport.hpp>
#include <asyncrest/websocket/detail/utf8.hpp>
#include <asyncrest/websocket/message.hpp>
#include <asyncrest/websocket/settings.hpp>

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
#include <asyncrest/websocket/detail/permessage_deflate.hpp>
#endif

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

namespace detail {
struct websocket_state;
struct websocket_access;
}  // namespace detail

/// A message encoded once, to be sent to many connections: the server sends its bytes as they
/// are (server frames are never masked), so a room of a thousand costs one encoding. Copies
/// share the bytes; they may be sent from any thread.
class websocket_frame {
 public:
  /// A text frame; throws `std::invalid_argument` when `text` is not UTF-8.
  [[nodiscard]] static websocket_frame text(std::string_view text);
  [[nodiscard]] static websocket_frame binary(std::string_view bytes);

  [[nodiscard]] std::string_view payload() const noexcept { return std::string_view(*bytes_).substr(header_size_); }
  [[nodiscard]] bool is_text() const noexcept { return code_ == detail::opcode::text; }

 private:
  friend struct detail::websocket_state;
  websocket_frame(detail::opcode code, std::string_view payload);
  std::shared_ptr<const std::string> bytes_;  // header and payload, unmasked
  std::size_t header_size_ = 0;
  detail::opcode code_ = detail::opcode::text;
};

/// An open WebSocket. Move-only; destroying it ends the connection at once (close it first for
/// a clean end). Every operation must run on the connection's executor.
class websocket_connection {
 public:
  websocket_connection(websocket_connection&&) noexcept = default;
  websocket_connection& operator=(websocket_connection&&) noexcept;
  ~websocket_connection();

  /// The next message, or the end of the connection (`closed()`). The views of the message are
  /// valid until the next call. One receive at a time: a second, concurrent one throws
  /// `std::logic_error`.
  [[nodiscard]] task<websocket_message> receive();

  /// Sends a text message; throws `std::invalid_argument` when it is not UTF-8. Returns false
  /// when the connection is closing or closed, and the message was not sent.
  task<bool> send_text(std::string_view text);
  task<bool> send_binary(std::string_view bytes);
  /// Sends a frame encoded once for many connections.
  task<bool> send(const websocket_frame& frame);
  /// A ping with up to 125 bytes of payload; the peer's pong is not reported.
  task<bool> ping(std::string_view payload = {});
  /// Starts the closing handshake: sends a close frame with `code` and `reason` (up to 123
  /// bytes of UTF-8). Keep receiving: `receive()` returns `closed()` when the peer's close
  /// arrives, or after `close_timeout` when it does not. The server's routes finish the
  /// handshake themselves when the handler returns.
  task<bool> close(websocket_close_code code = websocket_close_code::normal, std::string_view reason = {});

  /// False once a close frame was sent or received, or the connection failed.
  [[nodiscard]] bool is_open() const noexcept;
  /// The subprotocol both sides agreed on, empty when none.
  [[nodiscard]] std::string_view subprotocol() const noexcept;
  [[nodiscard]] asio::any_io_executor get_executor() const noexcept;

 private:
  friend struct detail::websocket_access;
  explicit websocket_connection(std::shared_ptr<detail::websocket_state> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::websocket_state> state_;
};

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
inline constexpr bool websocket_has_deflate = true;
#else
inline constexpr bool websocket_has_deflate = false;
#endif

/// Settings a connection cannot honour, refused when a route or a client call is made rather
/// than silently ignored.
inline void check_websocket_settings(const websocket_settings& settings) {
  if (settings.deflate.enabled && !websocket_has_deflate) {
    throw std::invalid_argument(
        "asyncrest: websocket_settings::deflate.enabled needs zlib: link the CMake target asyncrest::zlib");
  }
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  check_deflate_settings(settings.deflate);
#endif
}

/// The connection's state, shared by the user's handle and the keep-alive and close timer
/// coroutine, so that neither outlives what it uses.
struct websocket_state : std::enable_shared_from_this<websocket_state> {
  websocket_state(websocket_transport chosen, websocket_role chosen_role, const websocket_settings& chosen_settings)
      : transport(std::move(chosen)), role(chosen_role), settings(chosen_settings), gate(transport.executor) {
    // A transport that cannot wait without a buffer (the client's) keeps one from the start; the
    // client puts the bytes that came behind the 101 in it.
    if (transport.wait_readable == nullptr) read_buffer = take_read_buffer();
  }

  // 16 KiB and room for a frame header: a 16 KiB message arrives in one read, not two.
  static constexpr std::size_t read_buffer_size = 16 * 1024 + max_frame_header_size;
  using clock = std::chrono::steady_clock;

  websocket_transport transport;
  websocket_role role;
  websocket_settings settings;
  std::string subprotocol;
  write_gate gate;
  std::string write_buffer;  // used under the gate

  // Reading. The buffer is held only while something is buffered or a read is pending: an idle
  // server connection waits for readability without one (see fill()).
  std::unique_ptr<char[]> read_buffer;
  std::size_t read_begin = 0;
  std::size_t read_end = 0;
  std::string message;
  std::string control;
  utf8_validator utf8;
  bool receiving = false;
  bool stop_noticed = false;     // the server's drain has woken a read
  bool may_be_readable = false;  // the last read filled its space, or a wait for bytes ended

  // Closing.
  bool close_sent = false;
  bool close_received = false;
  bool ended = false;  // the TCP connection is shut, or the handle is gone
  websocket_close_code end_code = websocket_close_code::abnormal;
  std::string end_reason;

  // The timer coroutine: keep-alive pings, the pong deadline, the close deadline.
  // Made when first needed (the first keep-alive ping, a close), so that a connection without
  // keep-alive pings holds none while it is idle.
  struct timers_type {
    explicit timers_type(const asio::any_io_executor& executor)
        : deadline(executor), exited(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer deadline;  // the next ping, the pong deadline or the close deadline
    asio::steady_timer exited;    // cancelled when the timer coroutine or a detached write ends
  };
  std::unique_ptr<timers_type> timers;
  timers_type& made_timers() {
    if (!timers) timers = std::make_unique<timers_type>(transport.executor);
    return *timers;
  }
  /// Wakes `stop_timer()`, if it waits.
  void notify_exited() noexcept {
    if (timers) timers->exited.cancel();
  }
  bool timer_running = false;
  unsigned detached_writes = 0;  // pings, and sends of a relay: each holds the stream until it ends
  clock::time_point next_ping = clock::time_point::max();
  clock::time_point pong_deadline = clock::time_point::max();
  clock::time_point close_deadline = clock::time_point::max();
  clock::time_point send_deadline = clock::time_point::max();  // of the frame being written, if it waits

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  // permessage-deflate, when both sides agreed to it.
  std::unique_ptr<message_deflater> deflater;
  std::unique_ptr<message_inflater> inflater;
  std::string compressed;  // an outgoing message's compressed payload, used under the gate

  void enable_deflate(const deflate_agreement& agreement) {
    deflater = std::make_unique<message_deflater>(settings.deflate, agreement.outgoing(role));
    inflater = std::make_unique<message_inflater>(agreement.incoming(role), settings.max_message_bytes);
  }
#endif
  [[nodiscard]] bool compression_agreed() const noexcept {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    return inflater != nullptr;
#else
    return false;
#endif
  }

  // Masks for the client's frames, drawn from OpenSSL's generator a batch at a time; made at
  // the first masked frame, so that a server's connections do not carry it.
  static constexpr std::size_t random_pool_size = 256;
  std::unique_ptr<unsigned char[]> random_pool;
  std::size_t random_used = random_pool_size;

  [[nodiscard]] std::string_view buffered() const noexcept {
    if (read_begin == read_end) return {};
    return {read_buffer.get() + read_begin, read_end - read_begin};
  }

  /// Read buffers given back by idle connections, kept for the next read on the same thread
  /// (up to 16, 256 KiB): a connection that reads often does not allocate each time.
  struct idle_read_buffers {
    static constexpr std::size_t kept = 16;
    std::array<std::unique_ptr<char[]>, kept> buffers;
    std::size_t count = 0;
  };
  static idle_read_buffers& thread_read_buffers() noexcept {
    thread_local idle_read_buffers pool;
    return pool;
  }
  static std::unique_ptr<char[]> take_read_buffer() {
    idle_read_buffers& pool = thread_read_buffers();
    if (pool.count > 0) return std::move(pool.buffers[--pool.count]);
    return std::make_unique_for_overwrite<char[]>(read_buffer_size);
  }
  void give_back_read_buffer() noexcept {
    if (!read_buffer) return;
    idle_read_buffers& pool = thread_read_buffers();
    if (pool.count < idle_read_buffers::kept) {
      pool.buffers[pool.count++] = std::move(read_buffer);
    } else {
      read_buffer.reset();
    }
  }

  /// Reads more into the buffer; false when the connection ended. The server's drain wakes a
  /// pending read once with nothing: then 1001 Going Away is sent (unless a close already was)
  /// and reading goes on, for the peer's close, until `close_timeout` or the drain deadline.
  task<bool> fill() {
    for (;;) {
      if (read_begin == read_end) {
        read_begin = read_end = 0;
      } else if (read_begin > 0 && read_end == read_buffer_size) {
        std::memmove(read_buffer.get(), read_buffer.get() + read_begin, read_end - read_begin);
        read_end -= read_begin;
        read_begin = 0;
      }
      // After a read that filled its space, or a wait that has just ended, bytes are likely
      // there: read them, and do not wait (again) first.
      const bool read_first = may_be_readable;
      may_be_readable = false;
      if (read_first && read_available_now()) co_return true;
      if (!read_first && read_begin == read_end && transport.wait_readable != nullptr) {
        // Nothing buffered: the buffer goes back to the thread while the connection waits. The
        // wait ends with bytes, the connection's end or the server's stop; the read that
        // follows takes the bytes at once, or reports which.
        give_back_read_buffer();
        co_await transport.wait_readable(transport.stream);
        if (read_available_now()) co_return true;
      }
      if (!read_buffer) read_buffer = take_read_buffer();
      const std::size_t space = read_buffer_size - read_end;
      const std::size_t received =
          co_await transport.read_some(transport.stream, std::span<char>(read_buffer.get() + read_end, space));
      read_end += received;
      may_be_readable = received == space;
      if (received > 0) co_return true;
      if (ended || stop_noticed || !transport.stop_requested(transport.stream)) co_return false;
      stop_noticed = true;
      if (!close_sent) {
        co_await send_close(websocket_close_code::going_away, "the server is shutting down");
      }
      if (ended) co_return false;
    }
  }

  /// Takes what has arrived without waiting (where the transport can); false when nothing has.
  /// A read that fills its space may have left more behind: the next one is tried this way too.
  bool read_available_now() {
    if (transport.read_available == nullptr) return false;
    if (!read_buffer) read_buffer = take_read_buffer();
    const std::size_t space = read_buffer_size - read_end;
    const std::size_t received =
        transport.read_available(transport.stream, std::span<char>(read_buffer.get() + read_end, space));
    read_end += received;
    may_be_readable = received == space;
    return received > 0;
  }

  /// Between messages, when nothing is buffered and nothing is known to be waiting: the wait for
  /// the next bytes, without a buffer. Returns the transport's own wait, so that an idle
  /// connection holds no frame of the receiving machinery while it lasts.
  [[nodiscard]] bool should_wait_idle() const noexcept {
    return read_begin == read_end && !may_be_readable && !ended && transport.wait_readable != nullptr;
  }
  task<void> wait_idle() {
    give_back_read_buffer();
    may_be_readable = true;  // what ends the wait is read at once
    return transport.wait_readable(transport.stream);
  }

  void next_mask(unsigned char* out) {
    if (random_used + 4 > random_pool_size) {
      if (!random_pool) random_pool = std::make_unique_for_overwrite<unsigned char[]>(random_pool_size);
      random_bytes(random_pool.get(), random_pool_size);
      random_used = 0;
    }
    std::memcpy(out, random_pool.get() + random_used, 4);
    random_used += 4;
  }

  /// Writes one frame of `payload`, masked for a client, under the gate.
  task<bool> write_frame(opcode code, std::string_view payload, bool rsv1 = false) {
    co_await gate.acquire();
    gate_hold hold(gate);
    if (ended) co_return false;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    // Compressed under the gate: the compressor's context follows the order frames leave in.
    if (deflater && (code == opcode::text || code == opcode::binary) && deflater->worth_compressing(payload.size())) {
      compressed.clear();
      deflater->compress(payload, compressed);
      payload = compressed;
      rsv1 = true;
    }
#endif
    const bool masked = role == websocket_role::client;
    unsigned char header[max_frame_header_size];
    unsigned char mask[4] = {};
    if (masked) next_mask(mask);
    const std::size_t header_size =
        write_frame_header(header, true, rsv1, code, payload.size(), masked ? mask : nullptr);
    bool written = false;
    if (!masked) {
      // The payload goes out from where it is, gathered behind its header: no copy.
      std::string_view head(reinterpret_cast<const char*>(header), header_size);
      written = write_now(head, payload);
      if (!written) written = co_await write_waiting(head, payload);
    } else {
      // A client's payload is masked, so it is copied (the caller's bytes stay as they are).
      write_buffer.assign(reinterpret_cast<const char*>(header), header_size);
      write_buffer.append(payload);
      std::array<unsigned char, 4> key{};
      std::memcpy(key.data(), mask, 4);
      apply_mask(write_buffer.data() + header_size, payload.size(), key, 0);
      written = co_await write_waiting(write_buffer, {});
      if (write_buffer.capacity() > 256 * 1024) std::string().swap(write_buffer);
    }
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    if (compressed.capacity() > 256 * 1024) std::string().swap(compressed);
#endif
    if (!written) end_now(websocket_close_code::abnormal, {});
    co_return written;
  }

  /// Writes what the socket takes at once of `head` then `body`, under the gate, without
  /// waiting: true when that was all (a small frame, as a rule), else the views are left on the
  /// rest, for the asynchronous write.
  bool write_now(std::string_view& head, std::string_view& body) noexcept {
    if (transport.write_available == nullptr) return false;
    const std::size_t sent = transport.write_available(transport.stream, head, body);
    if (sent == head.size() + body.size()) return true;
    if (sent >= head.size()) {
      body.remove_prefix(sent - head.size());
      head = {};
    } else {
      head.remove_prefix(sent);
    }
    return false;
  }

  task<bool> write_prepared(const websocket_frame& frame) {
    if (role == websocket_role::client) {
      co_return co_await write_frame(frame.code_, frame.payload());
    }
    co_await gate.acquire();
    gate_hold hold(gate);
    if (ended) co_return false;
    const std::shared_ptr<const std::string> bytes = frame.bytes_;  // kept for the write
    std::string_view head = *bytes;
    std::string_view body;
    bool written = write_now(head, body);
    if (!written) written = co_await write_waiting(head, body);
    if (!written) end_now(websocket_close_code::abnormal, {});
    co_return written;
  }

  /// The asynchronous write, under the gate, bounded by the send deadline: the timer coroutine
  /// ends the connection when it passes, which fails the write.
  task<bool> write_waiting(std::string_view head, std::string_view body) {
    if (settings.send_timeout.count() > 0) {
      send_deadline = clock::now() + settings.send_timeout;
      reschedule();
    }
    const bool written = co_await transport.write(transport.stream, head, body);
    send_deadline = clock::time_point::max();  // the timer, if it waits for it, wakes and looks again
    co_return written;
  }

  /// Sends a close frame once. The close deadline starts before the frame is written: a peer
  /// that stopped reading holds the write, and the deadline then ends the connection.
  task<bool> send_close(websocket_close_code code, std::string_view reason) {
    if (close_sent || ended) co_return false;
    close_sent = true;
    arm_close_deadline();
    std::array<char, 125> payload{};
    std::size_t size = 0;
    if (code != websocket_close_code::no_status) {
      const auto number = static_cast<std::uint16_t>(code);
      payload[0] = static_cast<char>(number >> 8);
      payload[1] = static_cast<char>(number & 0xFF);
      reason = reason.substr(0, 123);
      if (!reason.empty()) std::memcpy(payload.data() + 2, reason.data(), reason.size());
      size = 2 + reason.size();
    }
    co_return co_await write_frame(opcode::close, std::string_view(payload.data(), size));
  }

  /// The TCP connection ends now; what `receive()` reports from here on.
  void end_now(websocket_close_code code, std::string_view reason) noexcept {
    if (ended) return;
    ended = true;
    end_code = code;
    try {
      end_reason.assign(reason);
    } catch (...) {
    }
    transport.shut_down(transport.stream);
    if (timers) timers->deadline.cancel();
  }

  [[nodiscard]] websocket_message ended_message() const noexcept {
    websocket_message result;
    result.kind = websocket_message_kind::closed;
    result.close_code = end_code;
    result.close_reason = end_reason;
    return result;
  }

  /// Fails the connection: the close frame with `code`, then the TCP connection closed, and
  /// nothing more read (RFC 6455 §7.1.7).
  task<websocket_message> fail(websocket_close_code code, std::string_view reason) {
    co_await send_close(code, reason);
    end_now(code, reason);
    co_return ended_message();
  }

  // ---- timers ---------------------------------------------------------------------------

  void start_timer_if_needed() {
    if (timer_running || ended) return;
    if (next_ping == clock::time_point::max() && close_deadline == clock::time_point::max() &&
        send_deadline == clock::time_point::max()) {
      return;
    }
    made_timers();
    timer_running = true;
    asio::co_spawn(transport.executor, run_timer(shared_from_this()), asio::detached);
  }
  void reschedule() {
    if (timer_running) {
      timers->deadline.cancel();
    } else {
      start_timer_if_needed();
    }
  }

  static task<void> run_timer(std::shared_ptr<websocket_state> self) {
    while (!self->ended) {
      const clock::time_point due =
          std::min({self->next_ping, self->pong_deadline, self->close_deadline, self->send_deadline});
      if (due == clock::time_point::max()) break;
      self->timers->deadline.expires_at(due);
      asio::error_code ignored;
      co_await self->timers->deadline.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (self->ended) break;
      const clock::time_point now = clock::now();
      if (now >= self->close_deadline) {
        self->end_now(self->close_received ? self->end_code : websocket_close_code::abnormal, {});
        break;
      }
      if (now >= self->send_deadline) {  // the peer stopped reading
        self->end_now(websocket_close_code::abnormal, "a frame was not taken within the send deadline");
        break;
      }
      if (now >= self->pong_deadline) {  // the peer stopped answering
        self->end_now(websocket_close_code::abnormal, "no pong within the deadline");
        break;
      }
      if (now >= self->next_ping && !self->close_sent) {
        self->next_ping = clock::time_point::max();
        self->pong_deadline = now + self->settings.pong_timeout;
        // Written by a coroutine of its own: a peer that stops reading holds the write, and this
        // one must still see the pong deadline pass.
        ++self->detached_writes;
        asio::co_spawn(self->transport.executor, send_ping(self), asio::detached);
      }
    }
    self->timer_running = false;
    self->notify_exited();
  }

  static task<void> send_ping(std::shared_ptr<websocket_state> self) {
    try {
      co_await self->write_frame(opcode::ping, {});
    } catch (...) {
      // A write that could not start: the deadline ends the connection.
    }
    --self->detached_writes;
    self->notify_exited();
  }

  void pong_received() {
    if (pong_deadline == clock::time_point::max()) return;
    pong_deadline = clock::time_point::max();
    if (settings.ping_interval.count() > 0) next_ping = clock::now() + settings.ping_interval;
    reschedule();
  }

  void begin_keep_alive() {
    if (settings.ping_interval.count() <= 0) return;
    next_ping = clock::now() + settings.ping_interval;
    start_timer_if_needed();
  }

  void arm_close_deadline() {
    close_deadline = clock::now() + settings.close_timeout;
    reschedule();
  }

  /// Stops the timer coroutine and waits until it, its pings and any relayed send have let go
  /// of the stream.
  task<void> stop_timer() {
    end_now(end_code, end_reason);
    while (timer_running || detached_writes > 0) {
      asio::steady_timer& exited = made_timers().exited;
      exited.expires_at(asio::steady_timer::time_point::max());
      asio::error_code ignored;
      co_await exited.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  // ---- receiving ------------------------------------------------------------------------

  /// A frame header's checks, in the order of RFC 6455 §5.2 and §5.5. Returns the close code
  /// that fails the connection, or `normal` when the header is fine.
  [[nodiscard]] websocket_close_code check_header(const frame_header& header, bool in_message, bool compressed_message,
                                                  std::uint64_t wire_bytes, std::string_view& why) const noexcept {
    // RSV1 marks a compressed message, on its first frame only, once compression was agreed.
    const bool compressed_start = header.rsv1 && compression_agreed() &&
                                  (header.code == static_cast<std::uint8_t>(opcode::text) ||
                                   header.code == static_cast<std::uint8_t>(opcode::binary));
    if ((header.rsv1 && !compressed_start) || header.rsv2 || header.rsv3) {
      why = "a reserved bit is set without an extension that defines it";
      return websocket_close_code::protocol_error;
    }
    if (!is_known_opcode(header.code)) {
      why = "unknown opcode";
      return websocket_close_code::protocol_error;
    }
    if (role == websocket_role::server && !header.masked) {
      why = "a client's frame must be masked";
      return websocket_close_code::protocol_error;
    }
    if (role == websocket_role::client && header.masked) {
      why = "a server's frame must not be masked";
      return websocket_close_code::protocol_error;
    }
    if (header.length_top_bit) {
      why = "a 64-bit payload length must have its most significant bit clear";
      return websocket_close_code::protocol_error;
    }
    if (is_control(header.code)) {
      if (!header.final) {
        why = "a control frame must not be fragmented";
        return websocket_close_code::protocol_error;
      }
      if (header.length > 125) {
        why = "a control frame's payload must be 125 bytes or less";
        return websocket_close_code::protocol_error;
      }
      return websocket_close_code::normal;
    }
    const auto code = static_cast<opcode>(header.code);
    if (code == opcode::continuation && !in_message) {
      why = "a continuation frame without a message to continue";
      return websocket_close_code::protocol_error;
    }
    if (code != opcode::continuation && in_message) {
      why = "a new message began before the last one's final frame";
      return websocket_close_code::protocol_error;
    }
    if (compressed_message || compressed_start) {
      // The decompressor limits the message itself; on the wire, allow what an incompressible
      // message of the largest size could take, no more.
      const std::uint64_t wire_limit = settings.max_message_bytes + settings.max_message_bytes / 8 + 1024;
      if (header.length > wire_limit - std::min(wire_limit, wire_bytes)) {
        why = "the message is larger than this endpoint accepts";
        return websocket_close_code::message_too_big;
      }
      return websocket_close_code::normal;
    }
    if (header.length > settings.max_message_bytes - std::min(settings.max_message_bytes, message.size())) {
      why = "the message is larger than this endpoint accepts";
      return websocket_close_code::message_too_big;
    }
    return websocket_close_code::normal;
  }

  task<websocket_message> receive() {
    if (ended) co_return ended_message();
    message.clear();
    utf8.reset();
    bool in_message = false;
    bool compressed_message = false;
    std::uint64_t wire_bytes = 0;  // a compressed message's payload bytes so far
    opcode message_code = opcode::binary;
    for (;;) {
      frame_header header;
      std::size_t header_size = 0;
      while ((header_size = parse_frame_header(buffered(), header)) == 0) {
        const bool more = co_await fill();
        if (!more) {
          end_now(websocket_close_code::abnormal, {});
          co_return ended_message();
        }
      }
      read_begin += header_size;
      std::string_view why;
      const websocket_close_code verdict = check_header(header, in_message, compressed_message, wire_bytes, why);
      if (verdict != websocket_close_code::normal) co_return co_await fail(verdict, why);

      if (is_control(header.code)) {
        control.clear();
        while (control.size() < header.length) {
          if (read_begin == read_end) {
            const bool more = co_await fill();
            if (!more) {
              end_now(websocket_close_code::abnormal, {});
              co_return ended_message();
            }
          }
          const std::size_t taken = std::min<std::size_t>(header.length - control.size(), read_end - read_begin);
          control.append(read_buffer.get() + read_begin, taken);
          read_begin += taken;
        }
        if (header.masked) apply_mask(control.data(), control.size(), header.mask, 0);
        const auto code = static_cast<opcode>(header.code);
        if (code == opcode::ping) {
          if (!close_sent) co_await write_frame(opcode::pong, control);
        } else if (code == opcode::pong) {
          pong_received();
        } else {
          co_return co_await close_received_frame();
        }
        continue;
      }

      if (!in_message) {
        in_message = true;
        message_code = static_cast<opcode>(header.code);
        compressed_message = header.rsv1;
      }
      const bool text = message_code == opcode::text;
      wire_bytes += header.length;
      std::uint64_t remaining = header.length;
      std::uint64_t offset = 0;
      while (remaining > 0) {
        if (read_begin == read_end) {
          const bool more = co_await fill();
          if (!more) {
            end_now(websocket_close_code::abnormal, {});
            co_return ended_message();
          }
        }
        const std::size_t taken = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, read_end - read_begin));
        char* bytes = read_buffer.get() + read_begin;
        if (header.masked) apply_mask(bytes, taken, header.mask, offset);
        read_begin += taken;
        remaining -= taken;
        offset += taken;
        if (compressed_message) {
          const websocket_close_code failure =
              inflate(std::string_view(bytes, taken), header.final && remaining == 0, text);
          if (failure != websocket_close_code::normal)
            co_return co_await fail(failure, inflate_failure_reason(failure));
          continue;
        }
        if (text && !utf8.feed(std::string_view(bytes, taken))) {
          co_return co_await fail(websocket_close_code::invalid_payload, "a text message is not UTF-8");
        }
        message.append(bytes, taken);
      }
      if (compressed_message && header.final && header.length == 0) {
        const websocket_close_code failure = inflate({}, true, text);
        if (failure != websocket_close_code::normal) co_return co_await fail(failure, inflate_failure_reason(failure));
      }
      if (!header.final) continue;
      if (text && !utf8.complete()) {
        co_return co_await fail(websocket_close_code::invalid_payload, "a text message ends inside a character");
      }
      websocket_message result;
      result.kind = text ? websocket_message_kind::text : websocket_message_kind::binary;
      result.data = message;
      co_return result;
    }
  }

  /// Decompresses a piece of a compressed message's payload onto the message, and checks the
  /// text it adds. Returns the close code that fails the connection, or `normal`.
  websocket_close_code inflate([[maybe_unused]] std::string_view piece, [[maybe_unused]] bool last,
                               [[maybe_unused]] bool text) {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    const std::size_t before = message.size();
    const inflate_error error = inflater->decompress(piece, last, message);
    if (error != inflate_error::none) return static_cast<websocket_close_code>(close_code_for(error));
    if (text && !utf8.feed(std::string_view(message).substr(before))) return websocket_close_code::invalid_payload;
    return websocket_close_code::normal;
#else
    return websocket_close_code::protocol_error;  // unreachable: RSV1 is refused without compression
#endif
  }

  [[nodiscard]] static std::string_view inflate_failure_reason(websocket_close_code code) noexcept {
    if (code == websocket_close_code::message_too_big) return "the message is larger than this endpoint accepts";
    if (code == websocket_close_code::invalid_payload) return "a compressed message is not valid";
    return "a compressed message could not be read";
  }

  /// The peer's close frame, in `control`: checked, answered (or it answers ours), and the TCP
  /// connection closed.
  task<websocket_message> close_received_frame() {
    close_received = true;
    websocket_close_code code = websocket_close_code::no_status;
    std::string_view reason;
    if (control.size() == 1) co_return co_await fail(websocket_close_code::protocol_error, "a close frame of one byte");
    if (control.size() >= 2) {
      const auto number = static_cast<std::uint16_t>((static_cast<unsigned char>(control[0]) << 8) |
                                                     static_cast<unsigned char>(control[1]));
      if (!is_sendable_close_code(number)) {
        co_return co_await fail(websocket_close_code::protocol_error, "an invalid close code");
      }
      code = static_cast<websocket_close_code>(number);
      reason = std::string_view(control).substr(2);
      if (!utf8_validator::valid(reason)) {
        co_return co_await fail(websocket_close_code::invalid_payload, "a close reason is not UTF-8");
      }
    }
    const std::string kept_reason(reason);
    if (!close_sent) co_await send_close(code, {});  // the echo: the same code
    end_now(code, kept_reason);
    co_return ended_message();
  }
};

/// Clears the flag of a receive in progress however it ends. (At namespace scope: g++ 12
/// cannot mangle a local class of a coroutine.)
struct receiving_flag {
  bool& flag;
  ~receiving_flag() { flag = false; }
};

struct websocket_access {
  static websocket_connection make(std::shared_ptr<websocket_state> state) {
    return websocket_connection(std::move(state));
  }
  static websocket_state& state(websocket_connection& connection) noexcept { return *connection.state_; }
  static std::shared_ptr<websocket_state> shared_state(const websocket_connection& connection) noexcept {
    return connection.state_;
  }
};

}  // namespace asyncrest::detail

namespace asyncrest {

inline websocket_frame::websocket_frame(detail::opcode code, std::string_view payload) : code_(code) {
  unsigned char header[detail::max_frame_header_size];
  header_size_ = detail::write_frame_header(header, true, false, code, payload.size(), nullptr);
  auto bytes = std::make_shared<std::string>();
  bytes->reserve(header_size_ + payload.size());
  bytes->assign(reinterpret_cast<const char*>(header), header_size_);
  bytes->append(payload);
  bytes_ = std::move(bytes);
}

inline websocket_frame websocket_frame::text(std::string_view text) {
  if (!detail::utf8_validator::valid(text))
    throw std::invalid_argument("asyncrest: a WebSocket text message must be UTF-8");
  return websocket_frame(detail::opcode::text, text);
}

inline websocket_frame websocket_frame::binary(std::string_view bytes) {
  return websocket_frame(detail::opcode::binary, bytes);
}

inline websocket_connection& websocket_connection::operator=(websocket_connection&& other) noexcept {
  if (this != &other) {
    if (state_) state_->end_now(websocket_close_code::abnormal, {});
    state_ = std::move(other.state_);
  }
  return *this;
}

inline websocket_connection::~websocket_connection() {
  if (state_) state_->end_now(websocket_close_code::abnormal, {});
}

inline task<websocket_message> websocket_connection::receive() {
  detail::websocket_state& state = *state_;
  if (state.receiving) throw std::logic_error("asyncrest: websocket_connection::receive() is already in progress");
  state.receiving = true;
  const detail::receiving_flag guard{state.receiving};
  // An idle connection waits here, in this small frame, rather than deep in the receiving
  // machinery, whose frames then exist only while a message is read.
  if (state.should_wait_idle()) co_await state.wait_idle();
  co_return co_await state.receive();
}

inline task<bool> websocket_connection::send_text(std::string_view text) {
  if (!detail::utf8_validator::valid(text))
    throw std::invalid_argument("asyncrest: a WebSocket text message must be UTF-8");
  if (state_->close_sent) co_return false;
  co_return co_await state_->write_frame(detail::opcode::text, text);
}

inline task<bool> websocket_connection::send_binary(std::string_view bytes) {
  if (state_->close_sent) co_return false;
  co_return co_await state_->write_frame(detail::opcode::binary, bytes);
}

inline task<bool> websocket_connection::send(const websocket_frame& frame) {
  if (state_->close_sent) co_return false;
  co_return co_await state_->write_prepared(frame);
}

inline task<bool> websocket_connection::ping(std::string_view payload) {
  if (payload.size() > 125) throw std::invalid_argument("asyncrest: a ping's payload is at most 125 bytes");
  if (state_->close_sent) co_return false;
  co_return co_await state_->write_frame(detail::opcode::ping, payload);
}

inline task<bool> websocket_connection::close(websocket_close_code code, std::string_view reason) {
  if (!is_sendable_close_code(static_cast<std::uint16_t>(code))) {
    throw std::invalid_argument("asyncrest: this close code cannot be sent (1005, 1006 and 1015 never are)");
  }
  if (reason.size() > 123) throw std::invalid_argument("asyncrest: a close reason is at most 123 bytes");
  if (!detail::utf8_validator::valid(reason)) throw std::invalid_argument("asyncrest: a close reason must be UTF-8");
  co_return co_await state_->send_close(code, reason);
}

inline bool websocket_connection::is_open() const noexcept {
  return !state_->close_sent && !state_->close_received && !state_->ended;
}

inline std::string_view websocket_connection::subprotocol() const noexcept { return state_->subprotocol; }

inline asio::any_io_executor websocket_connection::get_executor() const noexcept { return state_->transport.executor; }

}  // namespace asyncrest
