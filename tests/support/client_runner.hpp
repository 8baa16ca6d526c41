// Runs a test's client coroutine on an event loop of its own, on the test's thread; and a check
// that a call fails with a given error.
#pragma once

#include <asyncrest/client/client.hpp>

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <string>
#include <utility>

namespace asyncrest::testing {

/// Runs `body(client)` until it and the client are done; rethrows what the body threw.
template <class Body>
void run_client(const client_settings& settings, Body body) {
  asio::io_context io;
  std::exception_ptr failure;
  bool finished = false;
  {
    client http{io, settings};
    asio::co_spawn(io, body(http), [&](std::exception_ptr error) {
      failure = error;
      finished = true;
    });
    io.run();
  }
  REQUIRE(finished);
  if (failure) std::rethrow_exception(failure);
}

/// The message of the `Error` that `call` fails with; a test failure when it succeeds or fails
/// otherwise.
template <class Error>
task<std::string> expect_error(task<client_response> call) {
  try {
    co_await std::move(call);
  } catch (const Error& error) {
    co_return std::string(error.what());
  } catch (const std::exception& other) {
    FAIL("unexpected exception: " << other.what());
    co_return std::string();
  }
  FAIL("no exception");
  co_return std::string();
}

}  // namespace asyncrest::testing
