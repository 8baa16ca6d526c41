// What a response's body_source holds for a file (an open descriptor and the part of it to send)
// and for a stream (the producer, called through one function pointer).
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/body_source.hpp>

#include <unistd.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace asyncrest {
class body_writer;
}  // namespace asyncrest

namespace asyncrest::detail {

/// A file to send: an open descriptor and the part of it that is the body.
struct file_body_state final : body_source_state {
  file_body_state(int opened, std::uint64_t first, std::uint64_t count) noexcept
      : body_source_state(kind::file, &destroy_this), descriptor(opened), offset(first), length(count) {}

  static void destroy_this(body_source_state* state) noexcept {
    auto* self = static_cast<file_body_state*>(state);
    if (self->descriptor >= 0) ::close(self->descriptor);
    delete self;
  }

  int descriptor;
  std::uint64_t offset;  // where the body starts in the file (ranges start elsewhere than 0)
  std::uint64_t length;
};

/// What the connection sees of a stream: the declared length and a call that runs the
/// producer, through one function pointer per streamed response.
struct stream_body_state : body_source_state {
  stream_body_state(std::optional<std::uint64_t> declared, task<void> (*run)(stream_body_state&, body_writer&),
                    void (*destroyer)(body_source_state*) noexcept) noexcept
      : body_source_state(kind::stream, destroyer), length(declared), produce(run) {}

  std::optional<std::uint64_t> length;
  task<void> (*produce)(stream_body_state&, body_writer&);
};

template <class Producer>
struct stream_producer_state final : stream_body_state {
  explicit stream_producer_state(Producer&& made, std::optional<std::uint64_t> declared)
      : stream_body_state(declared, &run_producer, &destroy_this), producer(std::move(made)) {}

  static task<void> run_producer(stream_body_state& state, body_writer& out) {
    return static_cast<stream_producer_state&>(state).producer(out);
  }
  static void destroy_this(body_source_state* state) noexcept { delete static_cast<stream_producer_state*>(state); }

  Producer producer;
};
}  // namespace asyncrest::detail
