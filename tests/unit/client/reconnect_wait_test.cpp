// The event source's wait before reconnecting: the delay after a stream that opened, a backoff
// over failed attempts in a row, the ceiling, and the jitter that only lengthens.
#include <asyncrest/client/events.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::detail::reconnect_wait;

TEST_CASE("after a stream that opened, or one failure, the wait is the delay") {
  const ar::event_source_settings settings{.jitter = 0};
  CHECK(reconnect_wait(3s, 0, settings, 0.0) == 3s);
  CHECK(reconnect_wait(3s, 1, settings, 0.0) == 3s);
}

TEST_CASE("failed attempts in a row double the wait, up to max_retry") {
  const ar::event_source_settings settings{.max_retry = 20s, .jitter = 0};
  CHECK(reconnect_wait(3s, 2, settings, 0.0) == 6s);
  CHECK(reconnect_wait(3s, 3, settings, 0.0) == 12s);
  CHECK(reconnect_wait(3s, 4, settings, 0.0) == 20s);
  CHECK(reconnect_wait(3s, 1000000, settings, 0.0) == 20s);  // no overflow, no long loop
}

TEST_CASE("a backoff of 1 keeps the wait fixed") {
  const ar::event_source_settings settings{.backoff = 1.0, .jitter = 0};
  CHECK(reconnect_wait(500ms, 7, settings, 0.0) == 500ms);
  CHECK(reconnect_wait(500ms, 4000000000U, settings, 0.0) == 500ms);
}

TEST_CASE("the jitter lengthens a wait by up to its share, never shortens it") {
  const ar::event_source_settings settings{.jitter = 0.25};
  CHECK(reconnect_wait(4s, 0, settings, 0.0) == 4s);
  CHECK(reconnect_wait(4s, 0, settings, 0.5) == 4500ms);
  CHECK(reconnect_wait(4s, 0, settings, 0.999) < 5s);
  CHECK(reconnect_wait(4s, 0, settings, 0.999) > 4900ms);
}
