// Runs a test's client coroutine on an event loop of its own, on the test's thread.
#pragma once

#include <asyncrest/client/client.hpp>

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>

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

}  // namespace asyncrest::testing
