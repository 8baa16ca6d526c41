// The connection's side of a streamed body: frames each piece (a chunk, or the bytes as they are
// when the length is known or the connection closes at the end), writes it with the response's
// head the first time, under the write deadline, and remembers why it stopped.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/http/detail/chunk_framing.hpp>
#include <asyncrest/server/detail/dispatcher.hpp>
#include <asyncrest/server/detail/exact_allocator.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/detail/worker.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace asyncrest {
class request;
}  // namespace asyncrest

namespace asyncrest::detail {

/// Writes buffers to the connection's stream, plain or TLS, whichever it is.
using buffers_writer = task<asio::error_code> (*)(void* stream, std::span<const asio::const_buffer> buffers);

/// The write is bound to no cancellation slot: a producer run with a slot of its own (an event
/// stream's) is cancelled between pieces, never in the middle of one, which would break the
/// framing. The write timeout and the drain deadline still end it, through the socket. Its
/// operation is allocated at its size and freed after: left in Asio's per-thread cache, a
/// stream's first write would become the block that its waits hold while it idles.
template <class Stream>
task<asio::error_code> write_buffers_to(void* stream, std::span<const asio::const_buffer> buffers) {
  asio::error_code error;
  co_await asio::async_write(
      *static_cast<Stream*>(stream), buffers,
      asio::bind_allocator(
          exact_allocator<void>(),
          asio::bind_cancellation_slot(asio::cancellation_slot(), asio::redirect_error(asio::use_awaitable, error))));
  co_return error;
}

/// How a stream gives its connection's request memory back: `give_back(connection, request_line)`
/// returns whether it did, and keeps the request's method and path in `request_line`.
struct request_memory_lender {
  void* connection;
  bool (*give_back)(void* connection, std::string& request_line);
};

class stream_sender;

/// A change made to each piece a producer writes before it is framed and sent (compression,
/// compression.hpp): `send(self, sender, piece)` sends what the piece becomes through `sender`,
/// and returns why it could not, or nullptr. One function pointer; none for a plain stream.
struct piece_encoder {
  void* self = nullptr;
  task<const char*> (*send)(void* self, stream_sender& sender, std::string_view piece) = nullptr;
};

class stream_sender {
 public:
  stream_sender(connection_state& state, const request& answered, void* stream, buffers_writer writer,
                std::string& pending, clock::duration write_timeout, const bool& server_draining, body_framing framing,
                std::uint64_t declared_length, request_memory_lender lender) noexcept
      : state_(state),
        answered_(&answered),
        stream_(stream),
        write_(writer),
        pending_(&pending),
        write_timeout_(write_timeout),
        draining_(server_draining),
        framing_(framing),
        declared_length_(declared_length),
        lender_(lender) {}

  /// Sends `piece` framed, after the head if that is still pending. Returns why it could not,
  /// or nullptr. An empty piece sends only the head, if it has not left yet.
  task<const char*> send(std::string_view piece) {
    if (failure_ != nullptr) co_return failure_;
    if (piece.empty() && pending_bytes().size() == 0) co_return nullptr;
    if (framing_ == body_framing::content_length && piece.size() > declared_length_ - written_) {
      failure_ = "the stream wrote more bytes than the length it declared";
      co_return failure_;
    }
    const bool chunk = framing_ == body_framing::chunked && !piece.empty();
    const chunk_size_line size_line(piece.size());
    const std::array<asio::const_buffer, 4> buffers{
        pending_bytes(), asio::buffer(chunk ? size_line.text() : std::string_view{}), asio::buffer(piece),
        asio::buffer(chunk ? chunk_end : std::string_view{})};
    co_return co_await write(buffers, piece.size());
  }

  /// Ends the body: the last chunk, or the head alone if nothing was written. Returns why it
  /// could not, or nullptr.
  task<const char*> finish() {
    if (failure_ != nullptr) co_return failure_;
    if (framing_ == body_framing::content_length && written_ != declared_length_) {
      failure_ = "the stream ended before the length it declared";
      co_return failure_;
    }
    const std::string_view ending = framing_ == body_framing::chunked ? last_chunk : std::string_view{};
    if (ending.empty() && pending_bytes().size() == 0) co_return nullptr;
    const std::array<asio::const_buffer, 2> buffers{pending_bytes(), asio::buffer(ending)};
    co_return co_await write(buffers, 0);
  }

  [[nodiscard]] bool stop_requested() const noexcept { return draining_; }
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return written_; }
  /// Whether anything (the head first) has left: after that, a failure can only close.
  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] const char* failure() const noexcept { return failure_; }
  /// The request the stream answers: valid until the body is sent, or until the request memory
  /// is given back.
  [[nodiscard]] const request& answered() const noexcept { return *answered_; }
  [[nodiscard]] asio::any_io_executor executor() const { return state_.socket.get_executor(); }

  /// Gives the connection's request memory (its buffers, parser and request) back to the
  /// thread's pool while the stream goes on, once the head has left; the connection takes
  /// memory again when the stream ends. Returns whether it did (not while a pipelined request
  /// waits in the buffer). `answered()` is not valid after that.
  bool give_back_request() {
    if (request_given_back()) return true;
    if (!pending_->empty() || !lender_.give_back(lender_.connection, request_line_)) return false;
    pending_ = nullptr;
    answered_ = nullptr;
    return true;
  }
  [[nodiscard]] bool request_given_back() const noexcept { return pending_ == nullptr; }
  /// The request's method and path, once the request memory has been given back.
  [[nodiscard]] std::string_view request_line() const noexcept { return request_line_; }
  /// `listener` is told when the server begins to drain, until this is called with nullptr.
  void watch_drain(drain_listener* listener) noexcept { state_.on_drain = listener; }

 private:
  template <class Buffers>
  task<const char*> write(const Buffers& buffers, std::size_t body_bytes) {
    started_ = true;
    const auto previous = state_.current;
    state_.current = connection_state::phase::writing;
    state_.expire_at(clock::now() + write_timeout_, connection_state::expiry::write);
    const asio::error_code error = co_await write_(stream_, buffers);
    const auto expired = state_.expired;
    state_.no_deadline();
    state_.current = previous;
    if (pending_ != nullptr) pending_->clear();
    if (error) {
      if (expired == connection_state::expiry::write) {
        failure_ = "the client did not take the stream within the write timeout";
      } else if (draining_ && !state_.socket.is_open()) {
        failure_ = "the server closed the stream at its drain deadline";
      } else {
        failure_ = "the client closed the connection";
      }
      co_return failure_;
    }
    written_ += body_bytes;
    co_return nullptr;
  }

  [[nodiscard]] asio::const_buffer pending_bytes() const noexcept {
    return pending_ != nullptr ? asio::buffer(*pending_) : asio::const_buffer();
  }

  connection_state& state_;
  const request* answered_;  // null once the request memory is given back
  void* stream_;
  buffers_writer write_;
  // The head, after any earlier pipelined responses, until it is written; in the request
  // memory, so null once that is given back (the head has left then).
  std::string* pending_;
  clock::duration write_timeout_;
  const bool& draining_;
  body_framing framing_;
  std::uint64_t declared_length_;
  request_memory_lender lender_;
  std::string request_line_;
  std::uint64_t written_ = 0;
  bool started_ = false;
  const char* failure_ = nullptr;
};

}  // namespace asyncrest::detail
