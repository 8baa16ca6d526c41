// Rate limits on one thread with a clock the test moves: bursts, refills, several policies, the
// RateLimit fields and Retry-After at each step, the key table's bound and idle expiry, and
// the settings refused. (Over sockets: integration/server/rate_limit_test.cpp.)
#include <asyncrest/server/rate_limit.hpp>

#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace {

namespace ar = asyncrest;
using namespace std::chrono_literals;

/// A clock that moves only when the test moves it.
struct manual_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<manual_clock>;
  static inline time_point current{std::chrono::hours(1)};
  static time_point now() noexcept { return current; }
};

/// A request through `limit`, answered "ok" by the handler when it passes.
struct test_request {
  ar::request req;
  ar::detail::workspace space;

  test_request() {
    ar::detail::request_access::reset(req, &space);
    ar::detail::request_access::fill(req, ar::method::get, "GET", "/", "/", "/", {}, {}, 1, 1, true);
  }
};

/// `req` through the limit's hooks, as the middleware chain runs them around a plain handler
/// that answers "ok"; the request's context is cleared after, as the server does.
template <class Limit>
ar::response answer(const Limit& limit, ar::request& req) {
  ar::response result;
  if (std::optional<ar::response> early = limit.before(req)) {
    result = std::move(*early);
  } else {
    result = ar::text("ok");
  }
  limit.after(req, result);
  req.context().erase<ar::detail::rate_limit_reports>();
  return result;
}

template <class Limit>
ar::response through(const Limit& limit) {
  test_request incoming;
  return answer(limit, incoming.req);
}

std::string field(const ar::response& res, std::string_view name) {
  return std::string(res.headers.get(name).value_or("<absent>"));
}

using manual_limit = ar::rate_limit<ar::client_address, manual_clock>;

// Hooks, not an around middleware: a plain handler's request takes no coroutine frame for them.
static_assert(ar::before_middleware<manual_limit> && ar::after_middleware<manual_limit> &&
              !ar::around_middleware<manual_limit>);

}  // namespace

TEST_CASE("a burst passes, then requests are refused until a token comes back") {
  // 10 a second with 20 saved: a token every 100 ms, a spent burst refilled in 2 s.
  const manual_limit limit{{.policies = {{.name = "burst", .requests = 10, .per = 1s, .burst = 20}}}};
  for (int taken = 1; taken <= 20; ++taken) {
    const ar::response res = through(limit);
    REQUIRE(res.status == ar::status::ok);
    CHECK(field(res, "RateLimit-Policy") == "\"burst\";q=20;w=2");
    // r: what is left; t: until the bucket is full, each token 100 ms, rounded up.
    const int until_full_seconds = (taken * 100 + 999) / 1000;
    CHECK(field(res, "RateLimit") ==
          "\"burst\";r=" + std::to_string(20 - taken) + ";t=" + std::to_string(until_full_seconds));
  }
  ar::response refused = through(limit);
  CHECK(refused.status == ar::status::too_many_requests);
  CHECK(field(refused, "Content-Type") == "application/problem+json");
  CHECK(refused.body.find("\"status\":429") != std::string::npos);
  CHECK(refused.body.find("\\\"burst\\\"") != std::string::npos);
  CHECK(field(refused, "Retry-After") == "1");  // 100 ms, rounded up
  CHECK(field(refused, "RateLimit") == "\"burst\";r=0;t=2");
  CHECK(field(refused, "RateLimit-Policy") == "\"burst\";q=20;w=2");

  manual_clock::current += 99ms;
  CHECK(through(limit).status == ar::status::too_many_requests);
  manual_clock::current += 1ms;  // exactly one token
  CHECK(field(through(limit), "RateLimit") == "\"burst\";r=0;t=2");
  CHECK(through(limit).status == ar::status::too_many_requests);

  manual_clock::current += 350ms;  // three tokens and half of a fourth
  for (int left = 2; left >= 0; --left) {
    const ar::response res = through(limit);
    REQUIRE(res.status == ar::status::ok);
    CHECK(field(res, "RateLimit") == "\"burst\";r=" + std::to_string(left) + ";t=2");
  }
  refused = through(limit);
  CHECK(refused.status == ar::status::too_many_requests);
  CHECK(field(refused, "Retry-After") == "1");  // 50 ms

  manual_clock::current += 10s;  // full again, and no more than full
  CHECK(field(through(limit), "RateLimit") == "\"burst\";r=19;t=1");
  const ar::rate_limit_statistics counts = limit.statistics();
  CHECK(counts.allowed == 25);
  CHECK(counts.refused == 4);
  CHECK(counts.keys == 1);
}

TEST_CASE("Retry-After and t are whole seconds rounded up") {
  // 2 every 3 s: a token every 1.5 s.
  const manual_limit limit{{.policies = {{.name = "slow", .requests = 2, .per = 3s}}}};
  CHECK(field(through(limit), "RateLimit") == "\"slow\";r=1;t=2");  // 1.5 s
  CHECK(field(through(limit), "RateLimit") == "\"slow\";r=0;t=3");
  const ar::response refused = through(limit);
  CHECK(field(refused, "Retry-After") == "2");  // 1.5 s
  CHECK(field(refused, "RateLimit-Policy") == "\"slow\";q=2;w=3");
  manual_clock::current += 1400ms;
  CHECK(field(through(limit), "Retry-After") == "1");  // 100 ms
  manual_clock::current += 100ms;
  CHECK(field(through(limit), "RateLimit") == "\"slow\";r=0;t=3");
}

TEST_CASE("several policies: a request passes all or costs nothing, and the most restrictive is reported") {
  // 2 a second (a token every 500 ms) and 5 a minute (a token every 12 s).
  const manual_limit limit{
      {.policies = {{.name = "second", .requests = 2, .per = 1s}, {.name = "minute", .requests = 5, .per = 60s}}}};
  ar::response res = through(limit);
  CHECK(field(res, "RateLimit-Policy") == "\"second\";q=2;w=1, \"minute\";q=5;w=60");
  CHECK(field(res, "RateLimit") == "\"second\";r=1;t=1");
  CHECK(field(through(limit), "RateLimit") == "\"second\";r=0;t=1");
  res = through(limit);  // refused by "second": "minute" is not charged
  CHECK(res.status == ar::status::too_many_requests);
  CHECK(field(res, "RateLimit") == "\"second\";r=0;t=1");
  CHECK(field(res, "Retry-After") == "1");

  manual_clock::current += 1s;
  CHECK(field(through(limit), "RateLimit") == "\"second\";r=1;t=1");  // "minute" has 2 left
  CHECK(field(through(limit), "RateLimit") == "\"second\";r=0;t=1");  // "minute" has 1 left
  manual_clock::current += 1s;
  CHECK(field(through(limit), "RateLimit") == "\"minute\";r=0;t=58");  // "second" has 1 left
  manual_clock::current += 1s;
  res = through(limit);  // refused by "minute", for 9 s; "second" is not charged
  CHECK(res.status == ar::status::too_many_requests);
  CHECK(field(res, "RateLimit") == "\"minute\";r=0;t=57");
  CHECK(field(res, "Retry-After") == "9");
  CHECK(res.body.find("\\\"minute\\\"") != std::string::npos);
  manual_clock::current += 9s;
  res = through(limit);
  CHECK(res.status == ar::status::ok);
  CHECK(field(res, "RateLimit") == "\"minute\";r=0;t=60");
  CHECK(limit.statistics().refused == 2);
}

TEST_CASE("clients are limited apart: by address, by header, by the context") {
  const ar::rate_limit_settings one_an_hour{.policies = {{.name = "hourly", .requests = 1, .per = 1h}}};
  {
    const manual_limit limit{one_an_hour};
    test_request first;
    test_request second;
    ar::detail::request_access::set_remote(first.req, {asio::ip::make_address("192.0.2.1"), 4000});
    ar::detail::request_access::set_remote(second.req, {asio::ip::make_address("2001:db8::1"), 4000});
    CHECK(answer(limit, first.req).status == ar::status::ok);
    CHECK(answer(limit, second.req).status == ar::status::ok);
    CHECK(answer(limit, first.req).status == ar::status::too_many_requests);
  }
  {
    struct principal {
      std::string user;
    };
    const ar::rate_limit<ar::context_key<principal, const std::string& (*)(const principal&)>, manual_clock> limit{
        one_an_hour,
        ar::key_from_context<principal>(+[](const principal& who) -> const std::string& { return who.user; })};
    test_request ada;
    ada.req.context().emplace<principal>(principal{"ada"});
    test_request grace;
    grace.req.context().emplace<principal>(principal{"grace"});
    test_request anonymous;  // counted by its address
    CHECK(answer(limit, ada.req).status == ar::status::ok);
    CHECK(answer(limit, grace.req).status == ar::status::ok);
    CHECK(answer(limit, anonymous.req).status == ar::status::ok);
    CHECK(answer(limit, ada.req).status == ar::status::too_many_requests);
    CHECK(answer(limit, anonymous.req).status == ar::status::too_many_requests);
    CHECK(limit.statistics().keys == 3);
  }
}

TEST_CASE("the key table stays within its bound under 100,000 distinct clients") {
  const ar::memory_rate_limit_store store(1000);
  const ar::token_bucket bucket{.interval = 100ms, .burst = 10};
  for (int client = 0; client < 100'000; ++client) {
    const std::string key = "client-" + std::to_string(client);
    REQUIRE(store.take(key, std::span(&bucket, 1), 1, manual_clock::now()).allowed);
    REQUIRE(store.keys_on_this_thread() <= 1000);
  }
  CHECK(store.keys_on_this_thread() == 1000);
  ar::rate_limit_statistics counts;
  store.add_counts(counts);
  CHECK(counts.keys == 1000);
  CHECK(counts.evicted_keys == 99'000);  // none was idle: each had just taken a token
  // The most recent clients are still remembered; the first are forgotten.
  CHECK(store.take("client-99999", std::span(&bucket, 1), 1, manual_clock::now()).remaining == 8);
  CHECK(store.take("client-0", std::span(&bucket, 1), 1, manual_clock::now()).remaining == 9);
}

TEST_CASE("idle keys, whose buckets are full again, expire") {
  const ar::memory_rate_limit_store store(1000);
  const ar::token_bucket bucket{.interval = 100ms, .burst = 10};
  for (int client = 0; client < 500; ++client) {
    (void)store.take("client-" + std::to_string(client), std::span(&bucket, 1), 3, manual_clock::now());
  }
  CHECK(store.keys_on_this_thread() == 500);
  manual_clock::current += 299ms;  // not yet full: nothing is idle
  (void)store.take("busy", std::span(&bucket, 1), 1, manual_clock::now());
  CHECK(store.keys_on_this_thread() == 501);
  manual_clock::current += 1ms;  // 300 ms: every client's bucket is full again
  for (int request = 0; request < 250; ++request) {
    (void)store.take("busy", std::span(&bucket, 1), 0, manual_clock::now());
  }
  CHECK(store.keys_on_this_thread() == 1);  // two idle keys dropped per request
  ar::rate_limit_statistics counts;
  store.add_counts(counts);
  CHECK(counts.evicted_keys == 0);

  // A table full of idle keys makes room by dropping them (two as the request comes, as above),
  // never by evicting a live one.
  const ar::memory_rate_limit_store small(10);
  for (int client = 0; client < 10; ++client) {
    (void)small.take("client-" + std::to_string(client), std::span(&bucket, 1), 1, manual_clock::now());
  }
  manual_clock::current += 100ms;
  (void)small.take("newcomer", std::span(&bucket, 1), 1, manual_clock::now());
  ar::rate_limit_statistics small_counts;
  small.add_counts(small_counts);
  CHECK(small_counts.keys == 9);
  CHECK(small_counts.evicted_keys == 0);
}

TEST_CASE("policies that cannot work are refused with a message that says why") {
  const auto refusal = [](ar::rate_limit_settings settings) -> std::string {
    try {
      const ar::rate_limit made{std::move(settings)};
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "<accepted>";
  };
  const auto contains = [](std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
  };
  CHECK(contains(refusal({}), "give one to 4 policies"));
  CHECK(
      contains(refusal({.policies = {{"a", 1, 1s}, {"b", 1, 1s}, {"c", 1, 1s}, {"d", 1, 1s}, {"e", 1, 1s}}}), "not 5"));
  CHECK(contains(refusal({.policies = {{"a", 1, 1s}, {"a", 2, 1s}}}), "named twice"));
  CHECK(contains(refusal({.policies = {{"", 1, 1s}}}), "printable ASCII"));
  CHECK(contains(refusal({.policies = {{"quote\"d", 1, 1s}}}), "printable ASCII"));
  CHECK(contains(refusal({.policies = {{"none", 0, 1s}}}), "allows no requests"));
  CHECK(contains(refusal({.policies = {{"zero", 1, 0s}}}), "at least 1 s"));
  CHECK(contains(refusal({.policies = {{"fast", 2'000'000'000, 1s}}}), "more than one request per nanosecond"));
  CHECK(refusal({.policies = {{"ok", 10, 1s, 20}}}) == "<accepted>");
}
