// The wait between retries: exponential, capped, shortened by jitter, or the server's Retry-After.
#include <asyncrest/client/detail/exchange.hpp>

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include <chrono>

namespace ar = asyncrest;
using namespace std::chrono_literals;

TEST_CASE("backoff grows by the multiplier up to the cap; jitter only shortens it") {
  asio::io_context io;
  ar::client_settings settings;
  settings.retries = {.max_retries = 10, .initial_backoff = 100ms, .max_backoff = 1s, .multiplier = 2.0, .jitter = 0.0};
  auto exact = ar::detail::client_state::make(io.get_executor(), settings);
  CHECK(ar::detail::backoff_delay(*exact, 1, nullptr) == 100ms);
  CHECK(ar::detail::backoff_delay(*exact, 2, nullptr) == 200ms);
  CHECK(ar::detail::backoff_delay(*exact, 3, nullptr) == 400ms);
  CHECK(ar::detail::backoff_delay(*exact, 5, nullptr) == 1s);

  settings.retries.jitter = 0.5;
  auto jittered = ar::detail::client_state::make(io.get_executor(), settings);
  for (int sample = 0; sample < 100; ++sample) {
    const auto delay = ar::detail::backoff_delay(*jittered, 3, nullptr);
    CHECK(delay >= 200ms);
    CHECK(delay <= 400ms);
  }
}

TEST_CASE("Retry-After in seconds replaces the backoff, within the cap") {
  asio::io_context io;
  ar::client_settings settings;
  settings.retries = {.max_retries = 3, .initial_backoff = 100ms, .max_backoff = 5s, .multiplier = 2.0, .jitter = 0.0};
  auto state = ar::detail::client_state::make(io.get_executor(), settings);
  ar::client_response answer;
  answer.headers.set("Retry-After", "2");
  CHECK(ar::detail::backoff_delay(*state, 1, &answer) == 2s);
  answer.headers.set("Retry-After", "3600");
  CHECK(ar::detail::backoff_delay(*state, 1, &answer) == 5s);
  answer.headers.set("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");  // a date: the backoff applies
  CHECK(ar::detail::backoff_delay(*state, 1, &answer) == 100ms);
}
