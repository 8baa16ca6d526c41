// Response bodies that are not a string in memory: a file, sent by the kernel, and a stream that
// a coroutine writes piece by piece.
//
//     app.get<"/report">([](request&) { return file("/var/reports/today.csv", "text/csv"); });
//
//     app.get<"/ticks">([](request&) {
//       return stream([](body_writer& out) -> task<void> {
//         for (int tick = 0; !out.stop_requested() && tick < 100; ++tick) {
//           co_await out.write(std::to_string(tick) + "\n");   // completes when the socket took it
//         }
//       }, "text/plain");
//     });
//
// A streamed body is chunked when its length is unknown (close-delimited for an HTTP/1.0 client),
// and sent with Content-Length when it is given. A HEAD request gets the head alone: the producer
// does not run. The head leaves with the first write, so a producer that throws before writing
// still gets a proper error response; after that, a failure closes the connection, which the
// client sees as a body cut short.
#pragma once

#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/body_states.hpp>
#include <asyncrest/server/detail/stream_sender.hpp>
#include <asyncrest/server/response.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncrest {

namespace detail {
struct stream_access;
}

/// Thrown by `body_writer::write` once the body cannot be sent: the client closed the
/// connection, did not read within the write timeout, or the server reached its drain deadline.
/// The producer should let it propagate (or return): the connection is closed either way.
class stream_closed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where a stream's producer writes its body. Lent to the producer for the length of the call.
class body_writer {
 public:
  body_writer(const body_writer&) = delete;
  body_writer& operator=(const body_writer&) = delete;

  /// Sends `piece` at once, as one chunk when the length is unknown, and completes when the
  /// socket has taken it: a slow reader slows the producer down instead of growing memory.
  /// An empty piece sends the response's head if it has not left yet (and nothing else).
  /// Throws `stream_closed` when the body can no longer be sent.
  task<void> write(std::string_view piece) {
    const char* failure =
        encoder_.send != nullptr ? co_await encoder_.send(encoder_.self, sender_, piece) : co_await sender_.send(piece);
    if (failure != nullptr) throw stream_closed(failure);
  }

  /// True once the server has begun to shut down: a producer of an endless stream should end
  /// it. (At the drain deadline the connection is closed and the next write throws.)
  [[nodiscard]] bool stop_requested() const noexcept { return sender_.stop_requested(); }
  /// The body's bytes sent so far (chunk framing not counted; compressed, when compression.hpp
  /// compresses the stream).
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return sender_.bytes_written(); }

 private:
  friend struct detail::stream_access;
  explicit body_writer(detail::stream_sender& sender, detail::piece_encoder encoder = {}) noexcept
      : sender_(sender), encoder_(encoder) {}
  detail::stream_sender& sender_;
  detail::piece_encoder encoder_;
};

/// The shape of a stream's producer: called once with the writer, it returns a `task<void>`.
/// It is moved into the response and may outlive the handler: capture by value. The request
/// (taken by reference in a handler) stays valid until the body is sent (an event stream's
/// does not: see events.hpp).
template <class Producer>
concept stream_producer = std::move_constructible<Producer> && requires(Producer& produce, body_writer& out) {
  { produce(out) } -> std::same_as<task<void>>;
};

/// A response whose body `produce` writes. `length`, when known, is sent as Content-Length and
/// the producer must write exactly that many bytes (the connection is closed otherwise).
template <class Producer>
[[nodiscard]] response stream(Producer produce, std::string_view content_type = "application/octet-stream",
                              std::optional<std::uint64_t> length = std::nullopt);

/// A response that sends the regular file at `path` with sendfile(2): the kernel copies it to the
/// socket, and the process never holds it in memory. Throws `http_error` 404 when the file does
/// not exist or is not a regular file, 403 when it cannot be read.
[[nodiscard]] response file(const std::filesystem::path& path,
                            std::string_view content_type = "application/octet-stream");

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest::detail {

struct stream_access {
  static body_writer writer(stream_sender& sender) noexcept { return body_writer(sender); }
  /// A writer whose pieces go through `encoder` before they are sent (a compressed stream).
  static body_writer writer(stream_sender& sender, piece_encoder encoder) noexcept {
    return body_writer(sender, encoder);
  }
  /// For bodies built on a stream (an event stream): the connection's side of the writer.
  static stream_sender& sender(body_writer& writer) noexcept { return writer.sender_; }
};

}  // namespace asyncrest::detail

namespace asyncrest {

template <class Producer>
response stream(Producer produce, std::string_view content_type, std::optional<std::uint64_t> length) {
  static_assert(
      stream_producer<Producer>,
      "asyncrest::stream(producer): the producer must be callable as `task<void>(body_writer&)`, "
      "for example [](asyncrest::body_writer& out) -> asyncrest::task<void> { co_await out.write(\"...\"); }");
  response result;
  result.headers.set("Content-Type", content_type);
  detail::body_source_access::adopt(result.source,
                                    new detail::stream_producer_state<Producer>(std::move(produce), length));
  return result;
}

inline response file(const std::filesystem::path& path, std::string_view content_type) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, with the whole thread; it is
  // refused below as not a regular file, on which the flag changes nothing.
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (descriptor < 0) {
    if (errno == EACCES) throw http_error(status::forbidden, "the file cannot be read");
    throw http_error(status::not_found, "no such file");
  }
  struct stat facts {};
  if (::fstat(descriptor, &facts) != 0 || !S_ISREG(facts.st_mode)) {
    ::close(descriptor);
    throw http_error(status::not_found, "no such file");
  }
  response result;
  detail::file_body_state* state = nullptr;
  try {
    state = new detail::file_body_state(descriptor, 0, static_cast<std::uint64_t>(facts.st_size));
  } catch (...) {
    ::close(descriptor);
    throw;
  }
  // Owned by the response from here: an exception below closes the descriptor.
  detail::body_source_access::adopt(result.source, state);
  result.headers.set("Content-Type", content_type);
  return result;
}

}  // namespace asyncrest
