// What the library needs of a request body's parts and of the writer a stream part's producer
// writes to, which users cannot reach: the client sends them, the server's test client hands them
// to an app without a socket.
#pragma once

#include <asyncrest/client/body_writer.hpp>
#include <asyncrest/client/detail/body_producer.hpp>
#include <asyncrest/client/response.hpp>

#include <cstdint>
#include <optional>

namespace asyncrest::detail {

struct request_body_part_access {
  [[nodiscard]] static body_producer* producer(const request_body_part& part) noexcept { return part.producer_.get(); }
};

struct client_body_writer_access {
  [[nodiscard]] static client_body_writer make(void* sender, client_body_writer::send_function send,
                                               std::optional<std::uint64_t> declared_length) noexcept {
    return client_body_writer(sender, send, declared_length);
  }
};

}  // namespace asyncrest::detail
