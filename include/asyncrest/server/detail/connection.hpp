// One connection's life: wait for a request holding no buffers, read and parse it within its
// limits and deadlines, hand it to the app, queue the response, and write the queued responses
// of a pipelined batch together.
#pragma once

#include <asyncrest/core/detail/byte_words.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/http/detail/request_parser.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/error_response.hpp>
#include <asyncrest/server/detail/request_memory.hpp>
#include <asyncrest/server/detail/request_target.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/detail/tls_server.hpp>
#include <asyncrest/server/detail/worker.hpp>
#include <asyncrest/server/detail/workspace.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/upgrade.hpp>

#include <asio/buffer.hpp>
#include <asio/cancellation_state.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <sys/sendfile.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace asyncrest::detail {

[[nodiscard]] inline auto with_error(asio::error_code& error) noexcept {
  return asio::redirect_error(asio::use_awaitable, error);
}

[[nodiscard]] constexpr method method_from_parser(llhttp_method_t parsed) noexcept {
  switch (parsed) {
    case HTTP_GET: return method::get;
    case HTTP_HEAD: return method::head;
    case HTTP_POST: return method::post;
    case HTTP_PUT: return method::put;
    case HTTP_PATCH: return method::patch;
    case HTTP_DELETE: return method::delete_;
    case HTTP_OPTIONS: return method::options;
    default: return method::other;
  }
}

/// Unreserved and sub-delim characters, as a table: every request's Host is checked byte by byte.
inline constexpr std::array<bool, 256> host_characters = alphanumeric_table_with("-._~!$&'()*+,;=");

/// RFC 9110 §7.2: uri-host [ ":" port ], where uri-host is an IP literal in brackets or a
/// reg-name of unreserved, percent-encoded and sub-delim characters.
[[nodiscard]] inline bool is_valid_host(std::string_view host) noexcept {
  std::size_t position = 0;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (const char character : host.substr(1, close - 1)) {
      if (hex_digit_value(character) < 0 && character != ':' && character != '.') return false;
    }
    position = close + 1;
  } else {
    for (;;) {
      // The usual name has only table characters: one lookup per byte.
      while (position < host.size() && host_characters[static_cast<unsigned char>(host[position])]) ++position;
      if (position == host.size() || host[position] != '%') break;
      if (position + 2 >= host.size() || hex_digit_value(host[position + 1]) < 0 ||
          hex_digit_value(host[position + 2]) < 0) {
        return false;
      }
      position += 3;
    }
  }
  if (position == host.size()) return true;
  if (host[position] != ':') return false;
  const std::string_view port = host.substr(position + 1);
  if (port.size() > 5) return false;
  for (const char digit : port) {
    if (digit < '0' || digit > '9') return false;
  }
  return true;
}

/// Whether a field name (token characters, as llhttp checked) is `lowercase` in any case, where
/// `lowercase` holds only lowercase letters and '-': then OR-ing 0x20 folds the case exactly.
[[nodiscard]] constexpr bool is_field_name(std::string_view name, std::string_view lowercase) noexcept {
  if (name.size() != lowercase.size()) return false;
  for (std::size_t index = 0; index < name.size(); ++index) {
    if ((name[index] | 0x20) != lowercase[index]) return false;
  }
  return true;
}

[[nodiscard]] inline std::string_view trim_whitespace(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// Gives a connection's request scope back to its worker when the connection's coroutine ends.
struct scope_release {
  scope_release(worker& owner_of_scope, request_scope* released) noexcept : owner(owner_of_scope), scope(released) {}
  worker& owner;
  request_scope* scope;
  scope_release(const scope_release&) = delete;
  scope_release& operator=(const scope_release&) = delete;
  ~scope_release() {
    if (scope != nullptr) owner.release_scope(scope);
  }
};

/// Closes a connection's socket and takes it off its worker's list, however its coroutine ends.
/// (At namespace scope: GCC 12 cannot mangle a local class of a coroutine in a precompiled header.)
struct connection_registration {
  worker& owner;
  connection_state& state;
  connection_registration(worker& registry, connection_state& registered) : owner(registry), state(registered) {
    owner.add(state);
  }
  connection_registration(const connection_registration&) = delete;
  connection_registration& operator=(const connection_registration&) = delete;
  ~connection_registration() {
    asio::error_code ignored;
    state.socket.close(ignored);
    owner.remove(state);
  }
};

struct memory_connection;

/// Whether a TLS connection between requests reads before it waits for the socket.
enum class tls_next_read : std::uint8_t { at_once, unless_pending, after_wait };

/// The connection loop over plain TCP: reads and writes go straight to the socket when it can
/// take them, and a file goes by sendfile(2).
struct plain_tcp {
  static constexpr bool encrypted = false;
  struct stream_storage {};
};

/// One connection, over plain TCP or TLS (`Transport`): the loop is compiled once for each, so
/// the plain one pays nothing for the other.
template <class Transport>
class basic_connection {
 public:
  basic_connection(const basic_connection&) = delete;
  basic_connection& operator=(const basic_connection&) = delete;
  ~basic_connection() { release_request_memory(std::move(memory_)); }

  /// A connection's coroutine, from accept to close. Its frame holds the connection, and is the
  /// only frame an idle keep-alive connection keeps (with Asio's own for the spawn and the wait).
  /// `scope`, when the app asks for request scopes, is pointed at each request's context while
  /// the request is handled, and a coroutine handler's answer runs on an executor made for that
  /// request (core/detail/request_scope.hpp).
  static task<void> run(worker& owner, asio::ip::tcp::socket socket, request_scope* scope = nullptr) {
    const scope_release release(owner, scope);
    connection_state state(socket);
    connection_registration registration(owner, state);  // for the sweep and the drain
    basic_connection self(owner, state);
    try {
      asio::error_code error;
      self.remote_ = state.socket.remote_endpoint(error);
      if constexpr (Transport::encrypted) {
        // The handshake first, under its own deadline: a client that never finishes it, or
        // speaks plain HTTP or anything else to this port, is closed without an answer.
        Transport::open(self.secure_, state.socket, owner.shared.tls_context.get());
        state.current = connection_state::phase::idle;  // no request yet: a drain closes it at once
        state.expire_at(clock::now() + self.settings().tls.handshake_timeout, connection_state::expiry::handshake);
        co_await Transport::handshake(*self.secure_, with_error(error));
        state.no_deadline();
        if (error || owner.draining) co_return;
      }
      // The first request may have come with the handshake's last message, and is read at once.
      [[maybe_unused]] tls_next_read tls_read = tls_next_read::at_once;

      for (;;) {
        // Between requests: give the memory back and wait for the next byte holding none.
        if (!self.memory_ || self.parsed_ == self.end_) {
          release_request_memory(std::move(self.memory_));
          self.begin_ = self.parsed_ = self.end_ = 0;
          if (owner.draining) co_return;
          state.current = connection_state::phase::idle;
          // Not re-armed for each piece of a record: a trickle cannot hold the connection past it.
          if (!Transport::encrypted || tls_read != tls_next_read::after_wait)
            state.expire_at(clock::now() + self.settings().timeouts.keep_alive, connection_state::expiry::keep_alive);
          if constexpr (Transport::encrypted) {
            // As over plain TCP, but OpenSSL may hold bytes of the next request already (read
            // with the last record), which no readiness of the socket would announce.
            auto& secure = *self.secure_;
            if (tls_read == tls_next_read::after_wait ||
                (tls_read == tls_next_read::unless_pending && !secure.has_pending())) {
              co_await state.socket.async_wait(secure.next_wait(), with_error(error));
              if (error || owner.draining || state.expired != connection_state::expiry::none) co_return;
            }
            self.memory_ = acquire_request_memory(self.settings().limits, self.remote_);
            self.end_ = secure.read_some(asio::buffer(self.buffer(), self.space().read_buffer.capacity()), error);
            if (error == asio::error::would_block) {  // part of a record, or woken for nothing
              tls_read = tls_next_read::after_wait;
              continue;
            }
            if (error) co_return;  // closed (close_notify, or without), reset, or not TLS
            tls_read = tls_next_read::unless_pending;
            request_access::set_received(self.message(), coarse_now());
          } else {
            co_await state.socket.async_wait(asio::ip::tcp::socket::wait_read, with_error(error));
            if (error || owner.draining || state.expired != connection_state::expiry::none) co_return;
            self.memory_ = acquire_request_memory(self.settings().limits, self.remote_);
            // The bytes that woke the connection are there: read them at once (the socket does not
            // block), rather than through an asynchronous read and a second pass of the event loop.
            self.end_ = state.socket.read_some(asio::buffer(self.buffer(), self.space().read_buffer.capacity()), error);
            if (error == asio::error::would_block) continue;  // woken for nothing: wait again
            if (error) co_return;                             // closed or reset by the client
            // When the bytes came: what the time a request waits in the server is measured from
            // (load_shedding's max_queue_time). One coarse clock read per read, not per request.
            request_access::set_received(self.message(), coarse_now());
          }
        }

        state.current = connection_state::phase::reading;
        self.space().clear_request();
        self.parser().begin_request(self.space().raw_headers, self.space().body);
        request_access::reset(self.message(), &self.space());

        self.memory_->parse_again = false;
        self.streamed_ = self.close_after_response_ = self.client_gone_ = false;
        self.memory_->route_body_idle = {};
        if (const parse_progress progress = self.parse_buffered(); progress != parse_progress::complete) {
          if (co_await self.read_request(progress) != read_outcome::complete) co_return;
        }

        // The whole request is in the buffer, which stays put until the response is queued.
        state.current = connection_state::phase::handling;
        state.no_deadline();
        answer& reply = self.memory_->reply;
        if (self.streamed_) [[unlikely]]
          self.prepare_streamed_body();
        // A plain handler answers at once; only a coroutine handler leaves a task to await.
        // A handler that reads its body from the socket is not watched: the socket is its own.
        if (!self.streamed_) request_access::set_disconnect_watch(self.message(), {&self, &until_client_gone_of});
        if (scope != nullptr) {
          ++scope->request;
          scope->context = &self.space().context;
        }
        start_answer(owner.shared.dispatch, self.message(), reply, self.fill_request());
        if (reply.pending.valid()) {
          // finish_answer's work, in this frame: a coroutine handler's request takes no frame more.
          std::exception_ptr failure;
          try {
            if (scope == nullptr) {
              reply.value = co_await std::move(reply.pending);
            } else {
              // On an executor of this request's own, which work the handler spawns keeps: once
              // the request is over, such work finds no scope rather than the next request's.
              reply.value =
                  co_await asio::co_spawn(request_scope_executor(owner.context->get_executor(), scope, scope->request),
                                          std::move(reply.pending), asio::use_awaitable);
            }
          } catch (...) {
            failure = std::current_exception();
          }
          if (failure) reply.value = response_from_exception(failure, self.message());
        }
        if (scope != nullptr) scope->context = nullptr;
        if (self.client_gone_) [[unlikely]]
          co_return;  // cancel_on_disconnect cancelled the handler: no one to answer
        // A streamed body the handler did not read to its end leaves the connection mid-request.
        if (self.streamed_ && !self.body_finished_) [[unlikely]]
          self.close_after_response_ = true;

        const response& answer = reply.value;
        const response_framing framing = self.framing_for(answer);
        const bool keep_alive = framing.keep_alive;
        self.begin_ = self.parsed_;  // the next request, if pipelined, starts here

        // A small response is copied into the write buffer without a coroutine frame of its own;
        // only a large body is written from the response, at once, and a file, a stream or an
        // upgrade from there. (One co_await here for all three: each costs the frame of every
        // idle connection room for its awaiter. The functions between here and the one that does
        // the work return its task rather than await it, so a session of hours holds no frames
        // of theirs.)
        if (!self.queue(answer, framing) && !co_await self.write_with_body(reply.value, framing)) co_return;
        if (!keep_alive) {
          if (co_await self.flush()) co_await self.close_gracefully();
          co_return;
        }
        // Pipelined requests already buffered are answered before anything is written, so their
        // responses leave together.
        // (Empty when a large body has just been written with its head.)
        if (!self.space().write_buffer.empty() &&
            (self.parsed_ == self.end_ || self.space().write_buffer.size() >= flush_threshold)) {
          // Written at once while the socket takes it, which is nearly always; only the rest, if
          // any, waits for the socket asynchronously under the write deadline. (flush() inlined:
          // one coroutine frame fewer per request.)
          std::string& out = self.space().write_buffer;
          std::size_t written = self.stream().write_some(asio::buffer(out), error);
          if (error == asio::error::would_block) {
            written = 0;
            error = {};
          }
          if (!error && written < out.size()) {
            state.current = connection_state::phase::writing;
            state.expire_at(clock::now() + self.settings().timeouts.write, connection_state::expiry::write);
            co_await asio::async_write(self.stream(), asio::buffer(out.data() + written, out.size() - written),
                                       with_error(error));
            state.no_deadline();
          }
          out.clear();
          if (error) co_return;
        }
      }
    } catch (const std::exception& error) {
      std::fprintf(stderr, "asyncrest: a connection failed: %s\n", error.what());
    }
  }

 private:
  friend struct memory_connection;  // feeds a connection from memory, for the fuzz targets

  basic_connection(worker& owner, connection_state& state) : worker_(owner), state_(state) {}

  /// What requests and responses are read from and written to: the socket, or the TLS stream
  /// over it.
  [[nodiscard]] auto& stream() noexcept {
    if constexpr (Transport::encrypted) {
      return *secure_;
    } else {
      return state_.socket;
    }
  }

  /// How `answer` is framed for the current request, and whether the connection stays open.
  /// (Inlined into run(), where it is on every request's path.)
  [[nodiscard, gnu::always_inline]] response_framing framing_for(const response& answer) noexcept {
    return detail::framing_for(message(), answer, worker_.draining || close_after_response_);
  }

  enum class read_outcome : std::uint8_t { complete, closed };

  // Responses are gathered until this many bytes wait, then written.
  static constexpr std::size_t flush_threshold = 64 * 1024;
  // A body at least this large is written from the response itself rather than copied.
  static constexpr std::size_t copy_body_limit = 16 * 1024;
  // Free space below which the read buffer is compacted or grown before reading.
  static constexpr std::size_t minimum_read = 2048;
  // Bytes of a chunked body kept in the buffer after it is copied out: the parser checks that
  // the body ends with CRLF CRLF.
  static constexpr std::size_t kept_tail = 4;

  [[nodiscard]] const server_settings& settings() const noexcept { return worker_.shared.settings; }
  [[nodiscard]] workspace& space() noexcept { return memory_->space; }
  [[nodiscard]] request_parser& parser() noexcept { return memory_->parser; }
  [[nodiscard]] request& message() noexcept { return memory_->message; }
  [[nodiscard]] char* buffer() noexcept { return space().read_buffer.data(); }
  [[nodiscard]] const char* request_start() noexcept { return buffer() + begin_; }

  [[nodiscard]] std::string_view view(std::uint32_t offset, std::uint32_t length) noexcept {
    return {request_start() + offset, length};
  }

  /// What parsing the buffered bytes came to.
  enum class parse_progress : std::uint8_t {
    complete,       // a whole request, accepted
    need_bytes,     // the rest has not arrived
    send_continue,  // the head asks for 100 Continue before its body
    refused,        // its head breaks a rule or a limit: memory->refusal says which
    malformed,      // llhttp failed: the parser says why
    streamed_head,  // the head of a request whose route reads its body as it arrives
  };

  /// Parses what the buffer holds, without waiting: a request that has arrived whole, as most
  /// do, is read with no coroutine beyond the connection's own.
  parse_progress parse_buffered() {
    // After the header block the parser runs once more even with no bytes left: a request
    // without a body completes there.
    for (;;) {
      if (parsed_ == end_ && !memory_->parse_again) return parse_progress::need_bytes;
      memory_->parse_again = false;
      std::size_t consumed = 0;
      const auto event = parser().execute(request_start(), buffer() + parsed_, end_ - parsed_, consumed);
      parsed_ += consumed;
      switch (event) {
        case request_parser::event::need_more:
          if (parser().headers_complete() && parser().body_owned()) drop_parsed_chunks();
          break;
        case request_parser::event::headers_complete: {
          if (const auto refusal = check_head()) {
            memory_->refusal = *refusal;
            return parse_progress::refused;
          }
          if (streamed_) [[unlikely]] {
            // Its pieces are gathered as they are parsed, one read's worth at a time.
            parser().own_body();
            return parse_progress::streamed_head;
          }
          if (parser().chunked()) {
            parser().own_body();
          } else if (parser().has_content_length()) {
            const std::size_t whole = parser().header_bytes() + static_cast<std::size_t>(parser().content_length());
            compact();
            space().read_buffer.reserve(whole + minimum_read, end_);
          }
          memory_->parse_again = true;
          if (needs_continue_) {
            // Only now, with the limits checked, is the client told to send the body.
            needs_continue_ = false;
            if (parsed_ == end_) return parse_progress::send_continue;
          }
          break;
        }
        case request_parser::event::message_complete: return parse_progress::complete;
        case request_parser::event::bodiless_message_complete:
          if (const auto refusal = check_head()) {
            memory_->refusal = *refusal;
            return parse_progress::refused;
          }
          return parse_progress::complete;
        case request_parser::event::error: return parse_progress::malformed;
      }
    }
  }

  /// Reads and parses until a whole request is here, from where `parse_buffered` stopped.
  /// Anything else ends the connection, after an error response where the client deserves one.
  task<read_outcome> read_request(parse_progress progress) {
    for (;; progress = parse_buffered()) {
      switch (progress) {
        case parse_progress::complete:
        case parse_progress::streamed_head: co_return read_outcome::complete;
        case parse_progress::send_continue:
          space().write_buffer.append("HTTP/1.1 100 Continue\r\n\r\n");
          if (const bool written = co_await flush(); !written) co_return read_outcome::closed;
          break;
        case parse_progress::refused:
          co_await fail(memory_->refusal.first, memory_->refusal.second);
          co_return read_outcome::closed;
        case parse_progress::malformed:
          // An unknown method is 501 only on a well-formed request line, which may not all be
          // here yet.
          while (parser().error_needs_more_bytes() && end_ - begin_ < settings().limits.max_header_bytes) {
            if (const bool received = co_await read_some(); !received) co_return read_outcome::closed;
            parser().reclassify_error(request_start(), buffer() + end_);
          }
          co_await fail(parser().error_status(), parser().error_detail());
          co_return read_outcome::closed;
        case parse_progress::need_bytes: {
          if (!parser().headers_complete() && end_ - begin_ >= settings().limits.max_header_bytes) {
            co_await fail(status::request_header_fields_too_large, "the request's header block is too large");
            co_return read_outcome::closed;
          }
          if (!space().write_buffer.empty()) {
            if (const bool written = co_await flush(); !written) co_return read_outcome::closed;
          }
          state_.current = connection_state::phase::reading;
          // A frame of its own: this path is taken only for requests that arrive in pieces.
          if (const bool received = co_await read_some(); !received) co_return read_outcome::closed;
          break;
        }
      }
    }
  }

  /// Reads what has arrived into the buffer's free space. On a deadline, answers 408 when part
  /// of a request had arrived.
  task<bool> read_some() {
    if (state_.expired == connection_state::expiry::none) {
      make_room();
      arm_read_deadline();
      asio::error_code error;
      const std::size_t received = co_await stream().async_read_some(
          asio::buffer(buffer() + end_, space().read_buffer.capacity() - end_), with_error(error));
      if (!error) {
        note_received(received);
        co_return true;
      }
    }
    co_await read_failed();
    co_return false;  // the client went away, or the connection is being closed
  }

  void note_received(std::size_t received) noexcept {
    end_ += received;
    request_access::set_received(message(), coarse_now());  // the request's last bytes, as far as known
  }

  /// Arms the deadline of a read that must wait: the header block's, counted from the request's
  /// first wait, or the body's idle time, counted from each read. A request already in the
  /// buffer (pipelined) is parsed without reading the clock.
  void arm_read_deadline() noexcept {
    if (parser().headers_complete()) {
      state_.expire_at(clock::now() + body_idle(), connection_state::expiry::body);
    } else if (state_.deadline_kind != connection_state::expiry::header) {
      state_.expire_at(clock::now() + settings().timeouts.header, connection_state::expiry::header);
    }
  }

  /// After a read that failed: a 408 when the deadline passed with part of a request here.
  task<void> read_failed() {
    const auto expired = state_.expired;
    if (expired == connection_state::expiry::header || expired == connection_state::expiry::body) {
      state_.expired = connection_state::expiry::none;
      co_await fail(status::request_timeout, expired == connection_state::expiry::header
                                                 ? "the request's header block did not arrive in time"
                                                 : "the request body stopped arriving");
    }
  }

  /// Moves the current request to the front of the buffer.
  void compact() noexcept {
    if (begin_ == 0) return;
    std::memmove(buffer(), buffer() + begin_, end_ - begin_);
    parsed_ -= begin_;
    end_ -= begin_;
    begin_ = 0;
  }

  void make_room() {
    if (space().read_buffer.capacity() - end_ >= minimum_read) return;
    compact();
    if (space().read_buffer.capacity() - end_ < minimum_read) {
      space().read_buffer.reserve(space().read_buffer.capacity() * 2, end_);
    }
  }

  /// A chunked body is copied out as it is parsed, so its framing can leave the buffer and the
  /// buffer stays the size of the header block plus one read. The last bytes parsed stay: the
  /// parser checks the end of the body against them.
  void drop_parsed_chunks() noexcept {
    const std::size_t body_start = begin_ + parser().header_bytes();
    if (parsed_ < body_start + 2 * kept_tail) return;
    const std::size_t source = parsed_ - kept_tail;
    std::memmove(buffer() + body_start, buffer() + source, end_ - source);
    end_ -= source - body_start;
    parsed_ = body_start + kept_tail;
  }

  /// The checks RFC 9112 asks of a request's head that llhttp leaves to the server.
  std::optional<std::pair<status, std::string_view>> check_head() {
    using refusal = std::pair<status, std::string_view>;
    const unsigned major = parser().version_major();
    const unsigned minor = parser().version_minor();
    if (major != 1 || minor > 1) {
      return refusal{status::http_version_not_supported, "this server speaks HTTP/1.0 and HTTP/1.1"};
    }
    if (parser().method() == HTTP_CONNECT) {
      return refusal{status::not_implemented, "this server is not a proxy and does not implement CONNECT"};
    }
    if (const auto broken = check_request_line()) return refusal{status::bad_request, *broken};
    std::size_t hosts = 0;
    std::optional<std::string_view> host;
    std::optional<std::string_view> transfer_encoding;
    std::optional<std::string_view> expect;
    for (const raw_header& field : space().raw_headers) {
      const std::string_view name = view(field.name_offset, field.name_length);
      if (name.empty()) return refusal{status::bad_request, "a header field has an empty name"};
      if (name.back() == ' ' || name.back() == '\t') {  // llhttp stops a name at any other whitespace
        return refusal{status::bad_request, "a header field name is followed by whitespace"};
      }
      // By length first: most fields are none of the three, and are passed over without a compare.
      switch (name.size()) {
        case 4:
          if (is_field_name(name, "host")) {
            ++hosts;
            host = view(field.value_offset, field.value_length);  // trimmed below if it is a new one
          }
          break;
        case 6:
          if (is_field_name(name, "expect")) expect = trim_whitespace(view(field.value_offset, field.value_length));
          break;
        case 17:
          if (is_field_name(name, "transfer-encoding")) {
            // llhttp has checked that chunked comes last
            transfer_encoding = trim_whitespace(view(field.value_offset, field.value_length));
          }
          break;
        default: break;
      }
    }
    if (hosts > 1) return refusal{status::bad_request, "the request has more than one Host header"};
    if (hosts == 0 && minor == 1) return refusal{status::bad_request, "an HTTP/1.1 request needs a Host header"};
    if (host && *host != memory_->valid_host) {
      // A client sends the same Host again and again: the last one found valid is remembered
      // (trimmed; a valid Host holds no whitespace, so one sent with some is never equal to it).
      const std::string_view trimmed = trim_whitespace(*host);
      if (!is_valid_host(trimmed)) return refusal{status::bad_request, "the Host header is malformed"};
      memory_->valid_host.assign(trimmed);
    }
    if (transfer_encoding && !parser().chunked()) {
      // RFC 9112 §6.3: without chunked last, a request's length cannot be known.
      return refusal{status::bad_request, "Transfer-Encoding must end with chunked in a request"};
    }
    if (parser().chunked() || transfer_encoding) {
      if (minor == 0) return refusal{status::bad_request, "an HTTP/1.0 request cannot use Transfer-Encoding"};
      for (const raw_header& field : space().raw_headers) {
        if (!is_field_name(view(field.name_offset, field.name_length), "transfer-encoding")) continue;
        std::string_view codings = view(field.value_offset, field.value_length);
        while (!codings.empty()) {
          const std::size_t comma = codings.find(',');
          const std::string_view coding = trim_whitespace(codings.substr(0, comma));
          if (!coding.empty() && !iequals(coding, "chunked")) {
            return refusal{status::not_implemented, "the only transfer coding this server accepts is chunked"};
          }
          codings = comma == std::string_view::npos ? std::string_view{} : codings.substr(comma + 1);
        }
      }
    }
    if (parser().expects_body() && worker_.shared.dispatch.body_settings_for != nullptr) [[unlikely]] {
      apply_route_body_settings();
    }
    if (parser().has_content_length() && parser().content_length() > parser().body_limit()) {
      return refusal{status::payload_too_large, parser().body_too_large()};
    }
    needs_continue_ = false;
    if (expect && minor == 1) {
      if (!iequals(*expect, "100-continue")) {
        return refusal{status::expectation_failed, "the only expectation this server meets is 100-continue"};
      }
      needs_continue_ = parser().expects_body();
    }
    return std::nullopt;
  }

  /// RFC 9112 §3: method SP request-target SP version, one space each (llhttp takes several), and
  /// a target in origin-form (a path), absolute-form (which a server must accept), or "*" for
  /// OPTIONS alone (§3.2.4). CONNECT's authority-form is refused before this.
  std::optional<std::string_view> check_request_line() noexcept {
    // llhttp read the method from the request's first byte and the version after the target,
    // and takes any number of spaces around the target: one space each side is one byte to look
    // at each side.
    const std::string_view target = parser().target(request_start());
    if (target.data()[-2] == ' ' || target.data()[target.size() + 1] == ' ') {
      return "the request line must be a method, a target and a version, separated by single spaces";
    }
    if (target.front() == '/') return std::nullopt;
    if (target == "*") {
      if (parser().method() == HTTP_OPTIONS) return std::nullopt;
      return "the target * is only for OPTIONS";
    }
    if (!is_absolute_form(target)) return "the request target must be a path, an absolute URL, or * for OPTIONS";
    return std::nullopt;
  }

  /// scheme "://" ..., where scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
  static bool is_absolute_form(std::string_view target) noexcept {
    const std::size_t separator = target.find("://");
    if (separator == 0 || separator == std::string_view::npos) return false;
    const auto is_letter = [](char character) {
      return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
    };
    if (!is_letter(target.front())) return false;
    for (const char character : target.substr(1, separator - 1)) {
      if (!is_letter(character) && !(character >= '0' && character <= '9') && character != '+' && character != '-' &&
          character != '.') {
        return false;
      }
    }
    return true;
  }

  /// Turns the parsed offsets into the request's views. Returns false when the path does not
  /// percent-decode.
  bool fill_request() {
    const char* const start = request_start();
    space().headers.clear();
    for (const raw_header& field : space().raw_headers) {
      space().headers.push_back(
          {view(field.name_offset, field.name_length), trim_whitespace(view(field.value_offset, field.value_length))});
    }
    const std::string_view target = parser().target(start);
    const target_parts parts = split_target(target, space());
    const llhttp_method_t parsed_method = parser().method();
    request_access::fill(message(), method_from_parser(parsed_method), llhttp_method_name(parsed_method), target,
                         parts.path, parts.raw_path, parts.query, streamed_ ? std::string_view{} : parser().body(start),
                         parser().version_major(), parser().version_minor(), parser().keep_alive());
    request_access::set_body_limit(message(), parser().body_limit());
    return parts.path_decodes;
  }

  /// Finds the route the head leads to, before its body is read, and takes its body settings:
  /// its limit, its idle timeout, whether it streams.
  void apply_route_body_settings() {
    const auto path = path_for_route_lookup(parser().target(request_start()));
    if (!path) return;  // a 400 once the head is read
    const dispatcher& dispatch = worker_.shared.dispatch;
    const route_body_settings* route =
        dispatch.body_settings_for(dispatch.target, method_from_parser(parser().method()), *path, space());
    if (route == nullptr) return;
    if (route->max_bytes != 0) parser().set_route_body_limit(route->max_bytes);
    if (route->idle_timeout.count() != 0) memory_->route_body_idle = route->idle_timeout;
    streamed_ = route->streamed;
  }

  [[nodiscard]] clock::duration body_idle() const noexcept {
    const clock::duration route = memory_->route_body_idle;
    return route.count() != 0 ? route : clock::duration(settings().timeouts.body_idle);
  }

  // Room for a streamed body's reads after its head: the request's memory holds one read's worth
  // of body at a time, and stays small enough to go back to the pool.
  static constexpr std::size_t streamed_read_room = 32 * 1024;

  /// Readies a request whose handler will read its body as it arrives. The head stays where it
  /// is from here (the request views it), so the room for the body is made now.
  void prepare_streamed_body() {
    compact();
    space().read_buffer.reserve(parser().header_bytes() + streamed_read_room, end_);
    body_finished_ = body_broken_ = false;
    request_access::set_body_reader(message(), {this, &next_body_piece_of});
  }

  static task<void> until_client_gone_of(void* self) {
    return static_cast<basic_connection*>(self)->until_client_gone();
  }

  /// Completes when the client has gone while its request's handler waits (cancel_on_disconnect):
  /// the end of its stream (a close or a half-close), a reset, or a socket closed under the
  /// connection (a forced shutdown). Bytes that arrive meanwhile (a pipelined request) are read
  /// into the buffer behind the request, which stays put, for the loop to parse next. Cancelled
  /// (the handler answered first), it ends with operation_aborted.
  task<void> until_client_gone() {
    for (;;) {
      const std::size_t room = space().read_buffer.capacity() - end_;
      if (room == 0) {
        // Full of pipelined requests: nothing more is read until this one is answered.
        asio::steady_timer never(state_.socket.get_executor(), clock::time_point::max());
        co_await never.async_wait(asio::use_awaitable);
      }
      asio::error_code error;
      std::size_t received = 0;
      if constexpr (Transport::encrypted) {
        // OpenSSL may hold bytes read with the request's last record, which no readiness announces.
        auto& secure = *secure_;
        if (!secure.has_pending()) co_await state_.socket.async_wait(secure.next_wait(), with_error(error));
        if (!error) received = secure.read_some(asio::buffer(buffer() + end_, room), error);
      } else {
        co_await state_.socket.async_wait(asio::ip::tcp::socket::wait_read, with_error(error));
        if (!error) received = state_.socket.read_some(asio::buffer(buffer() + end_, room), error);
      }
      if (error == asio::error::would_block) continue;  // woken for nothing, or part of a record
      if (error) {
        const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
        if (cancellation.cancelled() != asio::cancellation_type::none)
          throw std::system_error(asio::error::operation_aborted);
        client_gone_ = true;
        co_return;
      }
      end_ += received;
    }
  }

  static task<std::string_view> next_body_piece_of(void* self) {
    return static_cast<basic_connection*>(self)->next_body_piece();
  }

  /// The next piece of a streamed body: what the buffer holds, parsed, or else what the next
  /// read brings. Empty at the end of the body.
  task<std::string_view> next_body_piece() {
    space().body.clear();
    if (body_broken_)
      fail_body(memory_->refusal.first, memory_->refusal.second);  // again, for a handler that asks again
    for (;;) {
      if (body_finished_) co_return std::string_view{};
      if (needs_continue_) {
        // The handler wants the body: only now is the client told to send it.
        needs_continue_ = false;
        if (parsed_ == end_) space().write_buffer.append("HTTP/1.1 100 Continue\r\n\r\n");
      }
      const parse_progress progress = parse_buffered();
      if (progress != parse_progress::need_bytes && progress != parse_progress::complete) {
        // A malformed chunk, or past the route's limit: the piece parsed before it is dropped.
        fail_body(parser().error_status(), parser().error_detail());
      }
      if (progress == parse_progress::complete) body_finished_ = true;
      if (!space().body.empty()) co_return std::string_view(space().body);
      if (progress == parse_progress::complete) co_return std::string_view{};
      co_await read_body_bytes();
    }
  }

  /// Gives up on a streamed body: the handler gets the error (and any later read the same), and
  /// the connection closes after the response, since the rest of the body is not read.
  [[noreturn]] void fail_body(status code, std::string_view detail) {
    close_after_response_ = true;
    body_broken_ = true;
    memory_->refusal = {code, detail};
    throw http_error(code, std::string(detail));
  }

  /// Reads more of a streamed body behind what has been parsed, under the body's idle timeout,
  /// without moving the head. Throws the error the handler's response becomes.
  task<void> read_body_bytes() {
    if (!space().write_buffer.empty()) {
      // Earlier pipelined responses, or the 100 Continue, before waiting for the client.
      if (const bool written = co_await flush(); !written) {
        fail_body(status::bad_request, "the connection closed before the request body ended");
      }
    }
    const auto previous = state_.current;
    state_.current = connection_state::phase::reading;
    state_.expire_at(clock::now() + body_idle(), connection_state::expiry::body);
    asio::error_code error;
    const std::size_t received = co_await stream().async_read_some(
        asio::buffer(buffer() + end_, space().read_buffer.capacity() - end_), with_error(error));
    const auto expired = state_.expired;
    state_.no_deadline();
    state_.current = previous;
    if (error || received == 0) {
      if (expired == connection_state::expiry::body)
        fail_body(status::request_timeout, "the request body stopped arriving");
      fail_body(status::bad_request, "the connection closed before the request body ended");
    }
    end_ += received;
  }

  /// Appends the response to the write buffer. Returns false when its body is too large to
  /// copy: then only the head is queued, and `write_with_body` sends it with the body.
  bool queue(const response& answer, const response_framing& framing) {
    if (answer.source) [[unlikely]]
      return false;  // a file, a stream or an upgrade
    std::string& out = space().write_buffer;
    if (!append_response_head(out, answer, framing)) return true;
    if (answer.body.size() < copy_body_limit) {
      out.append(answer.body);
      return true;
    }
    return false;
  }

  /// Writes the queued bytes and the body of `answer` in one gathered write; or sends a
  /// response with a body source (see send_source). Returns whether the connection goes on.
  /// Not a coroutine itself, nor is send_source: each returns the task that does the work, so a
  /// stream that waits for hours keeps no frame for these steps.
  task<bool> write_with_body(response& answer, const response_framing& framing) {
    if (answer.source) return send_source(answer, framing);
    return write_gathered(answer);
  }

  task<bool> write_gathered(const response& answer) {
    std::string& out = space().write_buffer;
    state_.current = connection_state::phase::writing;
    state_.expire_at(clock::now() + settings().timeouts.write, connection_state::expiry::write);
    asio::error_code error;
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(out), asio::buffer(answer.body)};
    co_await asio::async_write(stream(), pieces, with_error(error));
    out.clear();
    state_.no_deadline();
    co_return !error;
  }

  task<bool> flush() {
    std::string& out = space().write_buffer;
    if (out.empty()) co_return true;
    const auto previous = state_.current;
    state_.current = connection_state::phase::writing;
    state_.expire_at(clock::now() + settings().timeouts.write, connection_state::expiry::write);
    asio::error_code error;
    co_await asio::async_write(stream(), asio::buffer(out), with_error(error));
    out.clear();
    state_.no_deadline();
    state_.current = previous;
    co_return !error;
  }

  /// Sends a response whose body is a file or a stream, or hands the connection to an upgrade's
  /// session. Returns whether the connection goes on to the next request.
  task<bool> send_source(response& answer, const response_framing& framing) {
    body_source_state& source = *body_source_access::state(answer.source);
    if (source.what == body_source_state::kind::file) {
      return send_file_response(answer, static_cast<const file_body_state&>(source), framing);
    }
    if (source.what == body_source_state::kind::stream) {
      return send_stream(answer, static_cast<stream_body_state&>(source), framing);
    }
    return take_over(answer);
  }

  task<bool> send_file_response(const response& answer, const file_body_state& body, response_framing framing) {
    framing.body = body_framing::content_length;
    append_response_head(space().write_buffer, answer, framing, body.length);
    if (const bool written = co_await flush(); !written) co_return false;
    if (!framing.head_request && !status_forbids_body(answer.status)) {
      if (const bool sent = co_await send_file(body); !sent) co_return false;
    }
    co_return co_await finish_response(framing.keep_alive);
  }

  /// After a response has been written whole: on to the next request, or close.
  task<bool> finish_response(bool keep_alive) {
    if (keep_alive) co_return true;
    co_await close_gracefully();
    co_return false;
  }

  // A file is sent in steps of at most this many bytes, and the thread's other connections get
  // a turn after this many: a fast reader of a large file would otherwise hold the thread.
  static constexpr std::size_t sendfile_step = 1024 * 1024;
  static constexpr std::uint64_t sendfile_turn = 4 * 1024 * 1024;

  /// Has the kernel copy the file to the socket; waits for room under the write deadline when
  /// the socket is full. Returns false when the body could not be sent whole.
  task<bool> send_file(const file_body_state& body) {
    if constexpr (Transport::encrypted) {
      co_return co_await send_file_through_stream(body);
    }
    off_t offset = static_cast<off_t>(body.offset);
    std::uint64_t remaining = body.length;
    std::uint64_t since_turn = 0;
    while (remaining > 0) {
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, sendfile_step));
      const ssize_t sent = ::sendfile(state_.socket.native_handle(), body.descriptor, &offset, step);
      if (sent > 0) {
        remaining -= static_cast<std::uint64_t>(sent);
        since_turn += static_cast<std::uint64_t>(sent);
        if (since_turn >= sendfile_turn && remaining > 0) {
          since_turn = 0;
          co_await asio::post(state_.socket.get_executor(), asio::use_awaitable);
          if (!state_.socket.is_open()) co_return false;
        }
        continue;
      }
      if (sent == 0) co_return false;  // the file is shorter than when it was opened
      if (errno == EINTR) continue;
      if (errno != EAGAIN) co_return false;  // EPIPE, ECONNRESET: the client went away
      state_.current = connection_state::phase::writing;
      state_.expire_at(clock::now() + settings().timeouts.write, connection_state::expiry::write);
      asio::error_code error;
      co_await state_.socket.async_wait(asio::ip::tcp::socket::wait_write, with_error(error));
      state_.no_deadline();
      if (error) co_return false;
    }
    co_return true;
  }

  /// Reads the file in steps and writes each through the TLS stream, which must encrypt it: the
  /// kernel cannot send it by itself.
  task<bool> send_file_through_stream(const file_body_state& body) {
    static constexpr std::size_t step = 64 * 1024;
    const std::unique_ptr<char[]> chunk(new char[step]);
    std::uint64_t offset = body.offset;
    std::uint64_t remaining = body.length;
    while (remaining > 0) {
      const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, step));
      const ssize_t read = ::pread(body.descriptor, chunk.get(), wanted, static_cast<off_t>(offset));
      if (read < 0 && errno == EINTR) continue;
      if (read <= 0) co_return false;  // unreadable, or shorter than when it was opened
      state_.current = connection_state::phase::writing;
      state_.expire_at(clock::now() + settings().timeouts.write, connection_state::expiry::write);
      asio::error_code error;
      co_await asio::async_write(stream(), asio::buffer(chunk.get(), static_cast<std::size_t>(read)),
                                 with_error(error));
      state_.no_deadline();
      if (error) co_return false;
      offset += static_cast<std::uint64_t>(read);
      remaining -= static_cast<std::uint64_t>(read);
    }
    co_return true;
  }

  /// Runs a stream's producer, which writes the body through a `body_writer`.
  task<bool> send_stream(response& answer, stream_body_state& source, response_framing framing) {
    if (source.length) {
      framing.body = body_framing::content_length;
    } else if (framing.http10_client) {
      framing.body = body_framing::until_close;  // HTTP/1.0 has no chunks
      framing.keep_alive = false;
    } else {
      framing.body = body_framing::chunked;
    }
    std::string& out = space().write_buffer;
    const std::size_t before_head = out.size();
    const std::uint64_t declared_length = source.length.value_or(0);
    append_response_head(out, answer, framing, declared_length);
    if (framing.head_request || status_forbids_body(answer.status)) {
      if (const bool written = co_await flush(); !written) co_return false;
      co_return co_await finish_response(framing.keep_alive);
    }

    // The stream holds its producer from here: the response lives in the request memory, which
    // a stream may give back while it runs (see give_back_request_memory).
    const body_source producing = std::move(answer.source);
    stream_sender sender(state_, message(), &stream(), &write_buffers_to<std::remove_reference_t<decltype(stream())>>,
                         out, settings().timeouts.write, worker_.draining, framing.body, declared_length,
                         {this, &give_back_request_memory});
    body_writer writer = stream_access::writer(sender);
    state_.current = connection_state::phase::streaming;
    std::exception_ptr failure;
    try {
      co_await source.produce(source, writer);
    } catch (...) {
      failure = std::current_exception();
    }
    // The loop goes on with request memory (to write, to close, or to give it back while idle).
    if (sender.request_given_back()) memory_ = acquire_request_memory(settings().limits, remote_);
    if (failure) {
      if (sender.started()) {
        // The head has left: the body can only be cut short, which closing tells the client.
        try {
          std::rethrow_exception(failure);
        } catch (const stream_closed&) {
        } catch (const std::exception& error) {
          log_stream_failure(sender, error.what());
        } catch (...) {
          log_stream_failure(sender, "an exception that is not a std::exception, from a stream");
        }
        co_return false;
      }
      // Nothing has left (so the request memory was not given back): the client gets the error
      // instead of the stream's head.
      framing.body = body_framing::in_memory;
      queue_in_place_of_head(before_head, failure, framing);
      if (const bool written = co_await flush(); !written) co_return false;
      co_return co_await finish_response(framing.keep_alive);
    }
    if (co_await sender.finish() != nullptr) co_return false;
    co_return co_await finish_response(framing.keep_alive);
  }

  /// Replaces the head queued from `head_start` on with the error response for `failure`. (Not
  /// in send_stream itself: the response would take room in the frame of every stream.)
  void queue_in_place_of_head(std::size_t head_start, const std::exception_ptr& failure,
                              const response_framing& framing) {
    std::string& out = space().write_buffer;
    out.resize(head_start);
    const response replacement = response_from_exception(failure, message());
    append_response_head(out, replacement, framing);
    out.append(replacement.body);
  }

  void log_stream_failure(const stream_sender& sender, std::string_view what) {
    if (sender.request_given_back()) {
      log_unhandled(sender.request_line(), what);
    } else {
      log_unhandled(message(), what);
    }
  }

  /// A stream that will wait long (an event stream) gives the request memory back once its head
  /// has left, keeping only the request line, for the log. Refused while bytes of a pipelined
  /// request wait in the read buffer.
  static bool give_back_request_memory(void* connection, std::string& request_line) {
    auto& self = *static_cast<basic_connection*>(connection);
    if (self.parsed_ != self.end_ || !self.space().write_buffer.empty()) return false;
    request_line.assign(self.message().method_name()).append(" ").append(self.message().path());
    release_request_memory(std::move(self.memory_));
    self.begin_ = self.parsed_ = self.end_ = 0;
    return true;
  }

  /// Writes the 101 and gives the connection to the upgrade's session, with the bytes that
  /// arrived after the request. The request's memory goes back to the pool first: the session
  /// may run for hours. Returns false: the connection ends with the session.
  task<bool> take_over(response& answer) {
    if (message().version_minor() == 0) {
      co_await fail(status::bad_request, "an HTTP/1.0 request cannot switch protocols");
      co_return false;
    }
    if (!message().header("Upgrade")) {
      log_unhandled(message(), "a handler answered 101 to a request that did not ask to upgrade");
      co_await fail(status::internal_server_error, "the server could not complete the request");
      co_return false;
    }
    append_response_head(space().write_buffer, answer, {true, false, false, body_framing::upgrade});
    if (const bool written = co_await flush(); !written) co_return false;
    std::string already_received(buffer() + parsed_, end_ - parsed_);
    body_source session = std::move(answer.source);
    auto& state = static_cast<takeover_state&>(*body_source_access::state(session));
    release_request_memory(std::move(memory_));
    begin_ = parsed_ = end_ = 0;
    state_.current = connection_state::phase::taken_over;
    state_.no_deadline();
    if (worker_.draining) state_.stop_requested = true;
    upgraded_connection peer =
        upgrade_access::make(state_, upgraded_io_for(stream()), std::move(already_received), remote_);
    try {
      co_await state.run_session(state, peer);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "asyncrest: an upgraded connection's session failed: %s\n", error.what());
    } catch (...) {
      std::fprintf(stderr, "asyncrest: an upgraded connection's session failed\n");
    }
    co_return false;
  }

  /// Answers an error that leaves the connection unusable, then closes it.
  task<void> fail(status code, std::string_view detail) {
    queue_failure(code, detail);
    // Named: g++ 12 at -O0 compiles `if (co_await flush())` in this frame to an illegal instruction.
    const bool written = co_await flush();
    if (written) co_await close_gracefully();
  }

  /// Queues the answer to an error after the responses to earlier pipelined requests, which are
  /// not lost.
  void queue_failure(status code, std::string_view detail) {
    const response answer = problem(code, detail);
    append_response_head(space().write_buffer, answer, {false, false, false});
    space().write_buffer.append(answer.body);
  }

  /// Half-closes and reads what the client still sends, for a moment, so that the response is
  /// not destroyed by a reset that unread input would cause (RFC 9112 §9.6).
  task<void> close_gracefully() {
    static constexpr std::size_t most_discarded = 256 * 1024;
    state_.current = connection_state::phase::closing;
    state_.expire_at(clock::now() + std::chrono::seconds(2), connection_state::expiry::linger);
    asio::error_code error;
    if constexpr (Transport::encrypted) {
      // close_notify first; the peer's is not awaited. What follows is read as it is, not
      // decrypted: it is only kept from resetting the connection.
      co_await secure_->async_shutdown(with_error(error));
      error = {};
    }
    state_.socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    if (!memory_) memory_ = acquire_request_memory(settings().limits, remote_);
    std::size_t discarded = 0;
    while (!error && discarded < most_discarded && state_.expired == connection_state::expiry::none) {
      discarded += co_await state_.socket.async_read_some(asio::buffer(buffer(), space().read_buffer.capacity()),
                                                          with_error(error));
    }
    state_.socket.close(error);
  }

  worker& worker_;
  connection_state& state_;
  // The TLS stream over the socket, from the handshake on; nothing at all for plain TCP.
  [[no_unique_address]] typename Transport::stream_storage secure_;
  std::unique_ptr<request_memory> memory_;  // only while a request is read and answered
  asio::ip::tcp::endpoint remote_;
  std::size_t begin_ = 0;   // where the current request starts in the read buffer
  std::size_t parsed_ = 0;  // how far the parser has read
  std::size_t end_ = 0;     // how far the buffer is filled
  bool needs_continue_ = false;
  bool streamed_ = false;              // the route reads this request's body as it arrives
  bool body_finished_ = false;         // a streamed body has been read to its end
  bool body_broken_ = false;           // a streamed body could not be read: memory_->refusal says why
  bool close_after_response_ = false;  // the request left the connection where no request starts
  bool client_gone_ = false;           // cancel_on_disconnect found the client gone while it waited
};

using plain_connection = basic_connection<plain_tcp>;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
using tls_connection = basic_connection<tls_over_tcp>;
#endif

/// Answers a connection over the limit with 503, then closes it after reading, for at most a
/// second, what the client sent: closing with its request unread would reset the connection and
/// could destroy the 503 before the client reads it.
inline task<void> refuse_busy(asio::ip::tcp::socket socket) {
  asio::steady_timer limit(socket.get_executor(), std::chrono::seconds(1));
  limit.async_wait([&socket](const asio::error_code& error) {
    asio::error_code ignored;
    if (!error) socket.cancel(ignored);  // after cancel() below it runs with an error and touches nothing
  });
  response busy = problem(status::service_unavailable, "the server has too many connections");
  busy.headers.set("Retry-After", "1");
  std::string bytes;
  append_response_head(bytes, busy, {false, false, false});
  bytes.append(busy.body);
  asio::error_code error;
  co_await asio::async_write(socket, asio::buffer(bytes), with_error(error));
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
  std::array<char, 4096> sink;
  while (!error) co_await socket.async_read_some(asio::buffer(sink), with_error(error));
  limit.cancel();
  socket.close(error);
}

inline task<void> accept_connections(worker& owner) {
  asio::steady_timer backoff(*owner.context);
  const std::size_t most = owner.shared.settings.max_connections;
  for (;;) {
    asio::error_code error;
    asio::ip::tcp::socket socket = co_await owner.acceptor->async_accept(with_error(error));
    if (owner.draining || error == asio::error::operation_aborted) co_return;
    if (error) {
      // Out of descriptors or memory: wait instead of spinning on an accept that keeps failing,
      // and say so, at most every ten seconds.
      owner.note_accept_failure(error);
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(with_error(error));
      continue;
    }
    if (owner.shared.connections.fetch_add(1, std::memory_order_relaxed) >= most) {
      owner.shared.connections.fetch_sub(1, std::memory_order_relaxed);
      // On a TLS port a plain 503 would be garbage to the client, and a handshake is what the
      // limit saves: the connection is closed.
      if (owner.shared.tls_context) continue;
      asio::co_spawn(*owner.context, refuse_busy(std::move(socket)), asio::detached);
      continue;
    }
    // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold split and pipelined writes
    // back by up to 40 ms.
    socket.set_option(asio::ip::tcp::no_delay(true), error);
    // Reads and writes that can complete at once are made directly, and must never block.
    socket.non_blocking(true, error);
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    if (owner.shared.tls_context) {
      if (owner.shared.dispatch.request_scopes) {
        asio::co_spawn(*owner.context, tls_connection::run(owner, std::move(socket), owner.acquire_scope()),
                       asio::detached);
        continue;
      }
      asio::co_spawn(*owner.context, tls_connection::run(owner, std::move(socket)), asio::detached);
      continue;
    }
#endif
    if (owner.shared.dispatch.request_scopes) {
      asio::co_spawn(*owner.context, plain_connection::run(owner, std::move(socket), owner.acquire_scope()),
                     asio::detached);
      continue;
    }
    asio::co_spawn(*owner.context, plain_connection::run(owner, std::move(socket)), asio::detached);
  }
}

/// Enforces every connection's deadline, a few times a second.
inline task<void> sweep_deadlines(worker& owner) {
  static constexpr auto period = std::chrono::milliseconds(100);
  for (;;) {
    asio::error_code error;
    owner.sweep_timer->expires_after(period);
    co_await owner.sweep_timer->async_wait(with_error(error));
    if (error || owner.finished) co_return;
    owner.enforce_deadlines(clock::now());
  }
}

// Kept out of line: inlined into server_core::run, g++ 12 at -O3 folded the spawn's stores into a
// constant that named a coroutine's destroy function from outside the COMDAT group holding it,
// and a program with two translation units that each run an app did not link (tests/odr).
[[gnu::noinline]] inline void start_worker(worker& owner) {
  asio::co_spawn(*owner.context, accept_connections(owner), asio::detached);
  asio::co_spawn(*owner.context, sweep_deadlines(owner), asio::detached);
}

}  // namespace asyncrest::detail
