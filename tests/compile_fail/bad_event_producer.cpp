// An event stream's producer that takes a body_writer instead of an event_sink.
// expected error: the producer must be callable as `task<void>\(event_sink&\)`
#include <asyncrest/server/events.hpp>

namespace ar = asyncrest;

ar::response broken() {
  return ar::event_stream([](ar::body_writer& out) -> ar::task<void> { co_await out.write("data: x\n\n"); });
}
