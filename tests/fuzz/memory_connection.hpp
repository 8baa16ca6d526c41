// A server connection fed from memory: the bytes of one connection arrive in pieces, and what the
// server would write comes back as one string. No socket and no event loop: the connection's own
// parsing, checks, request building, routing and response writing run as they do on a socket, in
// the order connection::run() drives them, so that a fuzzer can try millions of inputs a minute.
// Handlers must answer at once (no coroutine handlers).
#pragma once

#include <asyncrest/server/detail/connection.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest::detail {

struct memory_connection {
  /// Serves `input` through `dispatch`, the bytes arriving in pieces that end at each of `cuts`
  /// (ascending offsets) and at the end. Returns the bytes written; `closed` tells whether the
  /// server closed the connection, rather than waiting for more; `heads` gets, for each final
  /// response in order, whether it was framed for HEAD (no body); `accepted` sees each request
  /// the connection read whole and accepted, before it is answered (by the app, or with 400 for
  /// a path that does not percent-decode).
  static std::string serve(dispatcher dispatch, const server_settings& settings, std::string_view input,
                           std::span<const std::size_t> cuts, bool& closed, std::vector<bool>* heads = nullptr,
                           const std::function<void(const request&)>& accepted = {}) {
    shared_state shared;
    shared.settings = settings;
    shared.dispatch = dispatch;
    worker owner(shared);
    asio::io_context unused;
    asio::ip::tcp::socket socket(unused);
    connection_state state(socket);
    plain_connection self(owner, state);

    std::string written;
    std::size_t offset = 0;
    std::size_t next_cut = 0;
    // One read: up to the next cut, and no more than the buffer's free space, as read_some reads.
    const auto receive = [&]() -> bool {
      if (offset == input.size()) return false;
      while (next_cut < cuts.size() && cuts[next_cut] <= offset) ++next_cut;
      std::size_t end = next_cut < cuts.size() ? std::min(cuts[next_cut], input.size()) : input.size();
      self.make_room();
      end = std::min(end, offset + (self.space().read_buffer.capacity() - self.end_));
      std::copy(input.begin() + static_cast<std::ptrdiff_t>(offset), input.begin() + static_cast<std::ptrdiff_t>(end),
                self.buffer() + self.end_);
      self.end_ += end - offset;
      offset = end;
      return true;
    };
    const auto flush = [&] {
      written += self.space().write_buffer;
      self.space().write_buffer.clear();
    };

    closed = true;
    for (;;) {
      if (!self.memory_ || self.parsed_ == self.end_) {
        release_request_memory(std::move(self.memory_));
        self.begin_ = self.parsed_ = self.end_ = 0;
        if (offset == input.size()) {
          closed = false;  // idle, waiting for the next request
          return written;
        }
        self.memory_ = acquire_request_memory(settings.limits, {});
        receive();
      }
      self.space().clear_request();
      self.parser().begin_request(self.space().raw_headers, self.space().body);
      request_access::reset(self.message(), &self.space());
      self.memory_->parse_again = false;

      // read_request(), without the waiting.
      for (auto progress = self.parse_buffered(); progress != plain_connection::parse_progress::complete;
           progress = self.parse_buffered()) {
        if (progress == plain_connection::parse_progress::refused) {
          self.queue_failure(self.memory_->refusal.first, self.memory_->refusal.second);
          flush();
          return written;
        }
        if (progress == plain_connection::parse_progress::malformed) {
          while (self.parser().error_needs_more_bytes() && self.end_ - self.begin_ < settings.limits.max_header_bytes &&
                 receive()) {
            self.parser().reclassify_error(self.request_start(), self.buffer() + self.end_);
          }
          if (self.parser().error_needs_more_bytes()) {
            closed = false;
            return written;
          }
          self.queue_failure(self.parser().error_status(), self.parser().error_detail());
          flush();
          return written;
        }
        if (progress == plain_connection::parse_progress::send_continue) {
          self.space().write_buffer.append("HTTP/1.1 100 Continue\r\n\r\n");
          flush();
          continue;
        }
        // need_bytes
        if (!self.parser().headers_complete() && self.end_ - self.begin_ >= settings.limits.max_header_bytes) {
          self.queue_failure(status::request_header_fields_too_large, "the request's header block is too large");
          flush();
          return written;
        }
        flush();
        if (!receive()) {
          closed = false;  // waiting for the rest of the request
          return written;
        }
      }

      answer& reply = self.memory_->reply;
      const bool path_decodes = self.fill_request();
      if (accepted) accepted(self.message());
      start_answer(dispatch, self.message(), reply, path_decodes);
      if (reply.pending.valid()) std::abort();  // a coroutine handler: not for this driver
      const response& answer = reply.value;
      const response_framing framing = self.framing_for(answer);
      if (heads != nullptr) heads->push_back(framing.head_request);
      self.begin_ = self.parsed_;
      if (!self.queue(answer, framing)) self.space().write_buffer.append(answer.body);
      flush();
      if (!framing.keep_alive) return written;
    }
  }
};

}  // namespace asyncrest::detail
