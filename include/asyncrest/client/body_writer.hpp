// Request bodies produced by a coroutine as they are sent: an upload whose length is not known in
// advance, or one forwarded as it arrives from elsewhere.
//
//     ar::client_request upload{ar::method::post, url};
//     upload.body_parts.push_back(ar::request_body_part::stream([&](ar::client_body_writer& out) -> ar::task<void> {
//       while (auto piece = co_await source.next()) co_await out.write(*piece);  // completes when sent
//     }));
//     auto res = co_await http.request(std::move(upload));
//
// Without a length the body goes out with Transfer-Encoding: chunked, each write one chunk; with
// `request_body_part::stream(producer, length)` it has a Content-Length, and a producer that
// writes more or fewer bytes fails the request. The producer runs once: a request whose
// producer has started is neither retried nor sent again to a 307 or 308 redirect.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/core/task.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest {

namespace detail {
struct client_body_writer_access;
}

/// Where a stream body's producer writes. Lent to the producer for the length of its call.
class client_body_writer {
 public:
  client_body_writer(const client_body_writer&) = delete;
  client_body_writer& operator=(const client_body_writer&) = delete;

  /// Sends `piece`, one chunk when the length is unknown, and completes when the socket has
  /// taken it: a slow server slows the producer down instead of growing the client's memory.
  /// An empty piece sends nothing. Throws what the request throws when the body cannot be sent
  /// (`connection_error`, `timeout_error`, ...), and `client_error` with
  /// `client_errc::invalid_request` for a piece past the declared length.
  task<void> write(std::string_view piece) {
    if (piece.empty()) co_return;
    if (declared_length_ && piece.size() > *declared_length_ - bytes_written_) {
      throw client_error(client_errc::invalid_request, "a stream body wrote more than the " +
                                                           std::to_string(*declared_length_) + " bytes it declared");
    }
    co_await send_(sender_, piece);
    bytes_written_ += piece.size();
  }

  /// The body's bytes sent so far, chunk framing not counted.
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_written_; }
  /// The length given to `request_body_part::stream`, if one was.
  [[nodiscard]] std::optional<std::uint64_t> declared_length() const noexcept { return declared_length_; }

 private:
  friend struct detail::client_body_writer_access;
  using send_function = task<void> (*)(void* sender, std::string_view piece);

  client_body_writer(void* sender, send_function send, std::optional<std::uint64_t> declared_length) noexcept
      : sender_(sender), send_(send), declared_length_(declared_length) {}

  void* sender_;
  send_function send_;
  std::optional<std::uint64_t> declared_length_;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace asyncrest
