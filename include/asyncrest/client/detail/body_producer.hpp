// The producer of a stream request body behind one function pointer: the request type is not a
// template, so what the user gave is kept in a small heap object that knows how to call it.
#pragma once

#include <asyncrest/core/task.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace asyncrest {
class client_body_writer;
}

namespace asyncrest::detail {

struct body_producer {
  using run_function = task<void> (*)(body_producer& self, client_body_writer& out);
  run_function run = nullptr;
  /// The length the producer promised, sent as Content-Length; none: the body is chunked.
  std::optional<std::uint64_t> length;
  /// Set when the producer is called: its body cannot be produced a second time.
  bool started = false;
};

template <class Producer>
struct body_producer_of : body_producer {
  body_producer_of(Producer made, std::optional<std::uint64_t> promised)
      : body_producer{&call, promised, false}, producer(std::move(made)) {}

  // The producer lives in this object until the request is done with it, so a lambda's
  // captures outlive the coroutine it starts.
  static task<void> call(body_producer& self, client_body_writer& out) {
    return static_cast<body_producer_of&>(self).producer(out);
  }

  Producer producer;
};

}  // namespace asyncrest::detail
