// Waiting in a test's thread for something the server's threads do.
#pragma once

#include <chrono>
#include <thread>

namespace asyncrest::testing {

/// Polls `done` every few milliseconds; false when `limit` passes first.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace asyncrest::testing
