// The server's TLS stream: OpenSSL reads and writes the connection's non-blocking socket itself
// (SSL_set_fd), and the socket is waited on only when OpenSSL says it would block. Each call is
// tried at once, so a request that has arrived and a response the socket can take cost one
// system call each, without a memory BIO to copy every record through.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace asyncrest::detail {

/// A server-side TLS connection over `socket`, which must be non-blocking. Meets Asio's
/// AsyncReadStream and AsyncWriteStream requirements; `read_some` and `write_some` try once
/// without waiting and report `would_block`, after which `next_wait()` says what to wait for.
/// (OpenSSL writes with write(2), which raises SIGPIPE on a reset connection: the server ignores
/// it, as it must for sendfile already.)
class tls_stream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;

  tls_stream(asio::ip::tcp::socket& socket, SSL_CTX* context) : socket_(socket), ssl_(SSL_new(context)) {
    if (ssl_ == nullptr || SSL_set_fd(ssl_, socket.native_handle()) != 1) {
      SSL_free(ssl_);
      throw std::bad_alloc();
    }
    SSL_set_accept_state(ssl_);
  }
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;
  ~tls_stream() { SSL_free(ssl_); }

  [[nodiscard]] executor_type get_executor() noexcept { return socket_.get_executor(); }
  [[nodiscard]] SSL* native_handle() noexcept { return ssl_; }
  /// The socket, for a wait on its readiness.
  [[nodiscard]] asio::ip::tcp::socket& next_layer() noexcept { return socket_; }

  /// Whether OpenSSL holds bytes read from the socket, decrypted or not: then the socket may have
  /// nothing more to signal, and the next read must not wait for it.
  [[nodiscard]] bool has_pending() const noexcept { return SSL_has_pending(ssl_) == 1; }
  /// What the last call that would block waits for: a read may have to write (a key update's
  /// answer), and a write may have to read.
  [[nodiscard]] asio::socket_base::wait_type next_wait() const noexcept { return want_; }

  /// Reads what has arrived into the first non-empty buffer, without waiting.
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, asio::error_code& error) {
    const asio::mutable_buffer into = first_buffer(buffers);
    error = {};
    if (into.size() == 0) return 0;
    clear_errors();
    std::size_t read = 0;
    if (SSL_read_ex(ssl_, into.data(), into.size(), &read) == 1) return read;
    error = failure();
    return 0;
  }

  /// Writes as much of `buffers` as the socket takes, without waiting. Small leading buffers are
  /// gathered into one record: a record each would cost a header and a system call each.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, asio::error_code& error) {
    error = {};
    const asio::const_buffer first = first_buffer(buffers);
    if (first.size() == 0) return 0;
    if (first.size() < record_size && asio::buffer_size(buffers) > first.size()) {
      // The same bytes are gathered again after a retry: OpenSSL needs the record it began.
      std::array<char, record_size> gathered;
      const std::size_t size = asio::buffer_copy(asio::buffer(gathered), buffers);
      return write_bytes(gathered.data(), size, error);
    }
    return write_bytes(static_cast<const char*>(first.data()), first.size(), error);
  }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return start<void(asio::error_code, std::size_t)>(
        [buffers](tls_stream& stream, asio::error_code& error) { return stream.read_some(buffers, error); },
        std::forward<ReadToken>(token));
  }

  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return start<void(asio::error_code, std::size_t)>(
        [buffers](tls_stream& stream, asio::error_code& error) { return stream.write_some(buffers, error); },
        std::forward<WriteToken>(token));
  }

  /// The server's side of the handshake; the caller's deadline cancels the socket's wait.
  template <class HandshakeToken>
  auto async_handshake(HandshakeToken&& token) {
    return start<void(asio::error_code)>(
        [](tls_stream& stream, asio::error_code& error) -> std::size_t {
          error = {};
          stream.clear_errors();
          if (SSL_do_handshake(stream.ssl_) != 1) error = stream.failure();
          return 0;
        },
        std::forward<HandshakeToken>(token));
  }

  /// Sends close_notify, waiting only for the socket to take it; the peer's is not awaited. Does
  /// nothing after a fatal error, when OpenSSL forbids it.
  template <class ShutdownToken>
  auto async_shutdown(ShutdownToken&& token) {
    return start<void(asio::error_code)>(
        [](tls_stream& stream, asio::error_code& error) -> std::size_t {
          error = {};
          if (stream.broken_) return 0;
          stream.clear_errors();
          if (SSL_shutdown(stream.ssl_) < 0) {
            error = stream.failure();
            // Waiting for the peer's close_notify is not worth a wait: it was sent.
            if (error == asio::error::would_block && stream.want_ == asio::socket_base::wait_read) error = {};
          }
          return 0;
        },
        std::forward<ShutdownToken>(token));
  }

 private:
  // The most plaintext one record holds.
  static constexpr std::size_t record_size = 16 * 1024;

  template <class Buffer, class Sequence>
  static Buffer first_buffer_of(const Sequence& buffers) {
    for (auto each = asio::buffer_sequence_begin(buffers); each != asio::buffer_sequence_end(buffers); ++each) {
      const Buffer buffer(*each);
      if (buffer.size() != 0) return buffer;
    }
    return Buffer();
  }
  template <class Sequence>
  static auto first_buffer(const Sequence& buffers) {
    if constexpr (asio::is_mutable_buffer_sequence<Sequence>::value) {
      return first_buffer_of<asio::mutable_buffer>(buffers);
    } else {
      return first_buffer_of<asio::const_buffer>(buffers);
    }
  }

  /// Before each call: SSL_get_error reads the thread's error queue, which other connections
  /// on the thread may have left full, and errno, which tells a reset from an end without
  /// close_notify.
  static void clear_errors() noexcept {
    ERR_clear_error();
    errno = 0;
  }

  /// Writes records until the bytes are written or the socket is full. With partial writes,
  /// each SSL_write_ex returns once a record has left; a record the socket took only in part is
  /// finished by the next call, which starts with the same bytes.
  std::size_t write_bytes(const char* data, std::size_t size, asio::error_code& error) {
    std::size_t total = 0;
    while (total < size) {
      clear_errors();
      std::size_t written = 0;
      if (SSL_write_ex(ssl_, data + total, size - total, &written) == 1) {
        total += written;
        continue;
      }
      error = failure();
      if (total > 0 && error == asio::error::would_block) error = {};  // what was written is reported
      break;
    }
    return total;
  }

  /// The error for a call that failed, from OpenSSL's reason; `would_block` when it waits for
  /// the socket (and `want_` says which way).
  asio::error_code failure() {
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_, 0)) {
      case SSL_ERROR_WANT_READ: want_ = asio::socket_base::wait_read; return asio::error::would_block;
      case SSL_ERROR_WANT_WRITE: want_ = asio::socket_base::wait_write; return asio::error::would_block;
      case SSL_ERROR_ZERO_RETURN: return asio::error::eof;  // close_notify: the end of the stream
      case SSL_ERROR_SYSCALL:
        broken_ = true;
        if (ERR_peek_error() != 0) break;
        // errno 0: the peer closed without close_notify (which OpenSSL 1.1 reports so).
        if (saved_errno == 0) return asio::error::eof;
        return {saved_errno, asio::error::get_system_category()};
      default: break;
    }
    broken_ = true;
    const unsigned long reason = ERR_get_error();
    ERR_clear_error();
#if defined(SSL_R_UNEXPECTED_EOF_WHILE_READING)
    // OpenSSL 3: the peer closed without close_notify.
    if (ERR_GET_REASON(reason) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::error::eof;
#endif
    if (reason == 0) return asio::error::connection_aborted;
    return {static_cast<int>(reason), asio::error::get_ssl_category()};
  }

  /// Tries `attempt` at once, and again each time the socket is ready for what it waits for.
  template <class Signature, class Attempt>
  struct operation {
    tls_stream& stream;
    Attempt attempt;
    enum class step : std::uint8_t { starting, waiting, finishing } at = step::starting;
    asio::error_code outcome{};
    std::size_t transferred = 0;

    template <class Self>
    void operator()(Self& self, asio::error_code error = {}) {
      if (at == step::finishing) return finish(self);
      if (error) {  // the wait was cancelled (a deadline, the drain) or failed
        outcome = error;
        return finish(self);
      }
      transferred = attempt(stream, outcome);
      if (outcome == asio::error::would_block) {
        // Waited for at once, in this turn of the event loop: the socket's readiness is reported
        // by edges, and one seen with no wait pending would be lost.
        at = step::waiting;
        stream.socket_.async_wait(stream.want_, std::move(self));
        return;
      }
      if (at == step::starting) {
        // Never completed inside the initiating call: a loop of operations that all complete at
        // once would nest ever deeper on the stack.
        at = step::finishing;
        asio::post(std::move(self));
        return;
      }
      finish(self);
    }

    template <class Self>
    void finish(Self& self) {
      if constexpr (std::is_same_v<Signature, void(asio::error_code)>) {
        self.complete(outcome);
      } else {
        self.complete(outcome, transferred);
      }
    }
  };

  template <class Signature, class Attempt, class Token>
  auto start(Attempt attempt, Token&& token) {
    return asio::async_compose<Token, Signature>(operation<Signature, Attempt>{*this, std::move(attempt)}, token,
                                                 socket_);
  }

  asio::ip::tcp::socket& socket_;
  SSL* ssl_;
  asio::socket_base::wait_type want_ = asio::socket_base::wait_read;
  bool broken_ = false;  // a fatal error: OpenSSL forbids SSL_shutdown after one
};

}  // namespace asyncrest::detail
