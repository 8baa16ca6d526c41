// A call's total timeout within the deadline of the handler it is made in: the smaller of the
// two, the budget when the call has no limit of its own, and a timeout error when nothing is left.
#include <asyncrest/client/detail/deadline_budget.hpp>

#include <asyncrest/client/error.hpp>
#include <asyncrest/core/request_deadline.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace ar = asyncrest;
using namespace std::chrono_literals;

TEST_CASE("within_deadline: no deadline keeps the call's own limit") {
  CHECK(ar::detail::within_deadline(250ms, nullptr) == 250ms);
  CHECK(ar::detail::within_deadline(0ms, nullptr) == 0ms);
}

TEST_CASE("within_deadline: the smaller of the call's limit and the time left") {
  const ar::request_deadline far{ar::request_deadline::clock::now() + 1h};
  CHECK(ar::detail::within_deadline(250ms, &far) == 250ms);

  const ar::request_deadline near{ar::request_deadline::clock::now() + 10min};
  const std::chrono::milliseconds cut = ar::detail::within_deadline(1h, &near);
  CHECK(cut > 0ms);
  CHECK(cut <= 10min);
  // A call with no limit of its own (zero) gets the time left, not "no limit".
  const std::chrono::milliseconds unlimited = ar::detail::within_deadline(0ms, &near);
  CHECK(unlimited > 0ms);
  CHECK(unlimited <= 10min);
}

TEST_CASE("within_deadline: a deadline already passed fails at once with the total timeout") {
  const ar::request_deadline passed{ar::request_deadline::clock::now() - 1ms};
  try {
    static_cast<void>(ar::detail::within_deadline(250ms, &passed));
    FAIL("no timeout_error");
  } catch (const ar::timeout_error& error) {
    CHECK(error.code() == ar::client_errc::total_timeout);
    CHECK(std::string(error.what()).find("no time left") != std::string::npos);
  }
}

TEST_CASE("request_deadline: remaining() is zero once passed, never negative") {
  const ar::request_deadline passed{ar::request_deadline::clock::now() - 1s};
  CHECK(passed.expired());
  CHECK(passed.remaining() == 0ms);
  const ar::request_deadline ahead{ar::request_deadline::clock::now() + 1h};
  CHECK_FALSE(ahead.expired());
  CHECK(ahead.remaining() > 59min);
  CHECK(ahead.remaining() <= 1h);
}
