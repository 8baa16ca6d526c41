// The test client's machinery that does not depend on its settings: where an exchange leaves the
// response for the reader, a request body gathered from a client_request's parts, the reader a
// streamed route takes that body from, and the writer a response stream's pieces are collected by.
#pragma once

#include <asyncrest/client/detail/body_part_access.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/http/detail/request_parser.hpp>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// Where an exchange leaves what its reader takes: the head once it is known, the body's pieces
/// as the app produces them, and how the exchange ended.
struct exchange_channel {
  client_response head;
  bool head_ready = false;
  std::deque<std::string> pieces;  // produced, not read yet
  std::size_t body_bytes = 0;      // produced in all
  // More body than this ends the exchange with `response_too_large`; a stream read piece by
  // piece has none.
  std::size_t body_limit = std::numeric_limits<std::size_t>::max();
  bool over_limit = false;
  bool finished = false;
  std::exception_ptr failure;  // why it ended, when it did not end with its whole body
};

/// Adds a piece of the response body; false when it is past the channel's limit.
inline bool deliver_piece(exchange_channel& channel, std::string_view piece) {
  if (piece.empty()) return true;
  if (piece.size() > channel.body_limit - channel.body_bytes) {
    channel.over_limit = true;
    return false;
  }
  channel.body_bytes += piece.size();
  channel.pieces.emplace_back(piece);
  return true;
}

/// Gives the reader of a synchronous stream a turn after each piece: a producer that never waits
/// would otherwise write its whole (perhaps endless) body in one turn of the event loop.
inline task<void> give_reader_a_turn() { co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable); }

/// Status and fields of a head the server's own writer made ("HTTP/1.1 200 OK\r\nName: value
/// ...\r\n\r\n"), as a client reads them: the Date, framing and Connection fields included, a
/// field the writer dropped (one that cannot be sent) left out.
inline void read_written_head(std::string_view head, asyncrest::status code, client_response& into) {
  into.status = code;
  into.headers = {};
  std::string_view rest = head.substr(head.find("\r\n") + 2);
  for (;;) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    if (line.empty() || end == std::string_view::npos) return;
    rest.remove_prefix(end + 2);
    const std::size_t colon = line.find(':');
    into.headers.add(line.substr(0, colon), trim_optional_whitespace(line.substr(colon + 1)));
  }
}

/// A request body as the client would send it: its pieces in the order written (the body, then
/// each part's bytes, a file's blocks, a stream producer's writes), stopped once past `limit`.
struct gathered_body {
  std::vector<std::string> pieces;
  std::uint64_t bytes = 0;
  std::uint64_t limit = 0;
  bool over_limit = false;

  bool add(std::string_view piece) {
    if (over_limit) return false;
    if (piece.empty()) return true;
    pieces.emplace_back(piece);
    bytes += piece.size();
    over_limit = bytes > limit;
    return !over_limit;
  }

  [[nodiscard]] std::string joined() const {
    std::string whole;
    whole.reserve(static_cast<std::size_t>(bytes));
    for (const std::string& piece : pieces) whole += piece;
    return whole;
  }
};

/// Thrown through a request stream's producer once its body is past the limit: the server would
/// have answered 413 and read no more of it.
struct body_gathering_stopped {};

inline task<void> gather_written_piece(void* body, std::string_view piece) {
  if (!static_cast<gathered_body*>(body)->add(piece)) throw body_gathering_stopped{};
  co_return;
}

/// The length of the whole body when every part has one (sent with Content-Length); none when a
/// stream part has none (sent chunked). Throws what the client throws for a file it cannot send.
[[nodiscard]] inline std::optional<std::uint64_t> declared_body_length(const client_request& outgoing) {
  std::uint64_t total = outgoing.body.size();
  for (const request_body_part& part : outgoing.body_parts) {
    if (const body_producer* producer = request_body_part_access::producer(part)) {
      if (!producer->length) return std::nullopt;
      total += *producer->length;
    } else if (part.is_file()) {
      std::error_code error;
      const std::uintmax_t size = std::filesystem::file_size(part.file_path(), error);
      if (error) {
        throw client_error(client_errc::invalid_request,
                           "cannot send the file " + part.file_path().string() + ": " + error.message());
      }
      total += size;
    } else {
      total += part.content().size();
    }
  }
  return total;
}

/// Gathers the body of `outgoing` into `into`, running its stream parts' producers, until its
/// end or its limit.
inline task<void> gather_request_body(const client_request& outgoing, gathered_body& into) {
  if (!into.add(outgoing.body)) co_return;
  for (const request_body_part& part : outgoing.body_parts) {
    if (body_producer* producer = request_body_part_access::producer(part)) {
      if (producer->started) {
        throw client_error(client_errc::invalid_request,
                           "a stream body's producer runs once: its part was sent already");
      }
      producer->started = true;
      client_body_writer out = client_body_writer_access::make(&into, &gather_written_piece, producer->length);
      bool stopped = false;
      try {
        co_await producer->run(*producer, out);
      } catch (const body_gathering_stopped&) {
        stopped = true;
      }
      if (stopped || into.over_limit) co_return;
      if (producer->length && out.bytes_written() != *producer->length) {
        throw client_error(client_errc::invalid_request, "a stream body wrote " + std::to_string(out.bytes_written()) +
                                                             " bytes of the " + std::to_string(*producer->length) +
                                                             " it declared");
      }
    } else if (part.is_file()) {
      const int descriptor = ::open(part.file_path().c_str(), O_RDONLY | O_CLOEXEC);
      if (descriptor < 0) {
        throw client_error(client_errc::invalid_request, "cannot send the file " + part.file_path().string());
      }
      const std::unique_ptr<int, void (*)(int*)> closer(new int(descriptor), [](int* opened) {
        ::close(*opened);
        delete opened;
      });
      std::string block(64 * 1024, '\0');
      for (;;) {
        const ssize_t read = ::read(descriptor, block.data(), block.size());
        if (read < 0 && errno == EINTR) continue;
        if (read < 0) {
          throw client_error(client_errc::invalid_request, "cannot read the file " + part.file_path().string());
        }
        if (read == 0) break;
        if (!into.add(std::string_view(block.data(), static_cast<std::size_t>(read)))) co_return;
      }
    } else if (!into.add(part.content())) {
      co_return;
    }
  }
}

/// The body a streamed route reads with `read_body()`: the gathered pieces, one per call, held to
/// the route's limit as the connection holds a body arriving from a socket.
struct streamed_request_body {
  const gathered_body* body = nullptr;
  std::size_t limit = 0;
  bool route_limit = false;
  std::size_t next = 0;
  std::uint64_t read = 0;
  bool finished = false;  // read to its end: otherwise the connection would close after the response
  bool broken = false;    // past the limit: every later read fails the same

  static task<std::string_view> next_piece(void* source) {
    auto& self = *static_cast<streamed_request_body*>(source);
    if (self.broken)
      throw http_error(status::payload_too_large, std::string(request_parser::body_too_large(self.route_limit)));
    if (self.next == self.body->pieces.size()) {
      self.finished = true;
      co_return std::string_view{};
    }
    const std::string& piece = self.body->pieces[self.next++];
    self.read += piece.size();
    if (self.read > self.limit) {
      self.broken = true;
      throw http_error(status::payload_too_large, std::string(request_parser::body_too_large(self.route_limit)));
    }
    co_return std::string_view(piece);
  }
};

/// Where a response stream's sender writes (stream_sender's `buffers_writer`): the head, the
/// first time, marks the channel's head ready; the rest is one piece of the body.
struct stream_collector {
  exchange_channel* channel;

  static task<asio::error_code> collect(void* self, std::span<const asio::const_buffer> buffers) {
    exchange_channel& channel = *static_cast<stream_collector*>(self)->channel;
    std::string piece;
    for (std::size_t index = 0; index < buffers.size(); ++index) {
      if (index == 0 && buffers[0].size() != 0) {
        channel.head_ready = true;  // the head leaves with the first write
        continue;
      }
      piece.append(static_cast<const char*>(buffers[index].data()), buffers[index].size());
    }
    if (!deliver_piece(channel, piece)) co_return asio::error::message_size;
    co_await give_reader_a_turn();
    co_return asio::error_code{};
  }
};

}  // namespace asyncrest::detail
