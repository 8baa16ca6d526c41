// Handler deadlines over real sockets: a handler still waiting at its deadline is cancelled (its
// wait aborted, its frame destroyed) and answered 504 or 503 as problem+json on a connection that
// stays open; a fast or plain handler is untouched; a route's deadline holds that route only;
// the handler reads its time left; a client call made in it is cut at that time; work it spawns
// on its executor finds its own request's deadline, never the next one's.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace ar = asyncrest;
using asyncrest::testing::get_request;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;
using namespace std::chrono_literals;

namespace {

http_reply fetch(std::uint16_t port, std::string_view target) {
  return asyncrest::testing::exchange(port, get_request(target));
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// What became of a slow handler.
struct slow_handler_seen {
  std::atomic<bool> aborted{false};    // its wait completed with operation_aborted
  std::atomic<bool> destroyed{false};  // its frame's locals were destroyed
  std::atomic<bool> finished{false};   // it ran to its end
};

/// Sets its flag when the coroutine frame holding it unwinds.
struct frame_guard {
  std::atomic<bool>& destroyed;
  ~frame_guard() { destroyed = true; }
};

/// Waits far longer than any deadline of these tests.
ar::task<ar::response> sleep_long(slow_handler_seen& seen) {
  const frame_guard guard{seen.destroyed};
  asio::steady_timer timer{co_await asio::this_coro::executor, 30s};
  try {
    co_await timer.async_wait(asio::use_awaitable);
  } catch (const std::system_error& error) {
    if (error.code() == asio::error::operation_aborted) seen.aborted = true;
    throw;
  }
  seen.finished = true;
  co_return ar::text("slept");
}

/// Handlers hold their request until the test opens the gate.
ar::task<ar::response> wait_for(const std::atomic<bool>& open) {
  asio::steady_timer pause{co_await asio::this_coro::executor};
  while (!open) {
    pause.expires_after(2ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_return ar::text("released");
}

}  // namespace

TEST_CASE(
    "past the app's deadline a waiting handler is cancelled: 504 problem+json, its frame gone, the "
    "connection kept") {
  slow_handler_seen seen;
  const ar::handler_timeout timeout{{.after = 100ms}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/slow">([&]() { return sleep_long(seen); }),
                              ar::get<"/fast">([]() -> ar::task<ar::response> { co_return ar::text("fast"); }),
                              ar::get<"/plain">([]() -> ar::response { return ar::text("plain"); })),
                   timeout};
  });

  raw_client client(server.port());
  REQUIRE(client.send(get_request("/slow")));
  const http_reply late = client.read_response();
  CHECK(late.status == 504);
  CHECK(field(late, "Content-Type") == "application/problem+json");
  CHECK(contains(late.body, "\"title\":\"Gateway Timeout\""));
  CHECK(contains(late.body, "\"status\":504"));
  CHECK(contains(late.body, "the handler did not answer within 100 ms"));
  CHECK(seen.aborted);
  CHECK(seen.destroyed);
  CHECK_FALSE(seen.finished);

  // The same connection answers the next requests: a coroutine that answers in time, a plain one.
  REQUIRE(client.send(get_request("/fast")));
  const http_reply fast = client.read_response();
  CHECK(fast.status == 200);
  CHECK(fast.body == "fast");
  REQUIRE(client.send(get_request("/plain")));
  const http_reply plain = client.read_response();
  CHECK(plain.status == 200);
  CHECK(plain.body == "plain");
  CHECK(timeout.statistics().timed_out == 1);
}

namespace {

/// Counts the responses an after hook sees, and the 5xx among them.
struct response_counter {
  std::atomic<int>* seen;
  std::atomic<int>* server_errors;
  void after(const ar::request&, ar::response& res) const {
    ++*seen;
    if (static_cast<int>(res.status) >= 500) ++*server_errors;
  }
};

}  // namespace

TEST_CASE("a middleware inside the deadline sees the cancelled handler's abort, not a 500 of its own") {
  slow_handler_seen seen;
  std::atomic<int> responses{0};
  std::atomic<int> server_errors{0};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/slow">([&]() { return sleep_long(seen); }),
                              ar::get<"/fast">([]() -> ar::task<ar::response> { co_return ar::text("fast"); })),
                   ar::handler_timeout{{.after = 100ms}}, response_counter{&responses, &server_errors}};
  });
  CHECK(fetch(server.port(), "/slow").status == 504);
  CHECK(seen.destroyed);
  CHECK(fetch(server.port(), "/fast").status == 200);
  CHECK(responses == 1);
  CHECK(server_errors == 0);
}

TEST_CASE("a handler that catches the abort and waits again is stopped at its next wait") {
  std::atomic<bool> waited_again{false};
  std::atomic<bool> destroyed{false};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/persistent">([&]() -> ar::task<ar::response> {
                     const frame_guard guard{destroyed};
                     asio::steady_timer timer{co_await asio::this_coro::executor, 30s};
                     try {
                       co_await timer.async_wait(asio::use_awaitable);
                     } catch (const std::system_error&) {
                       waited_again = true;  // ignores the abort...
                     }
                     timer.expires_after(30s);
                     co_await timer.async_wait(asio::use_awaitable);  // ...and is stopped here
                     co_return ar::text("persistent");
                   })),
                   ar::handler_timeout{{.after = 100ms}}};
  });
  const http_reply late = fetch(server.port(), "/persistent");
  CHECK(late.status == 504);
  CHECK(waited_again);
  CHECK(destroyed);
}

TEST_CASE("a route's deadline holds that route only") {
  slow_handler_seen seen;
  std::atomic<bool> open{false};
  test_server server([&] {
    return ar::app{
        ar::routes(ar::get<"/slow">([&]() { return sleep_long(seen); }).use(ar::handler_timeout{{.after = 100ms}}),
                   ar::get<"/held">([&]() { return wait_for(open); }))};
  });

  raw_client held(server.port());
  REQUIRE(held.send(get_request("/held")));  // waits past the other route's deadline
  const http_reply late = fetch(server.port(), "/slow");
  CHECK(late.status == 504);
  CHECK(contains(late.body, "did not answer within 100 ms"));
  CHECK(seen.destroyed);
  CHECK_FALSE(seen.finished);

  open = true;
  const http_reply released = held.read_response();
  CHECK(released.status == 200);
  CHECK(released.body == "released");
}

TEST_CASE("status 503 when the settings ask for it; bad settings are refused") {
  slow_handler_seen seen;
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/slow">([&]() { return sleep_long(seen); })),
                   ar::handler_timeout{{.after = 100ms, .status = ar::status::service_unavailable}}};
  });
  const http_reply late = fetch(server.port(), "/slow");
  CHECK(late.status == 503);
  CHECK(field(late, "Content-Type") == "application/problem+json");
  CHECK(contains(late.body, "\"status\":503"));
  CHECK(contains(late.body, "did not answer within 100 ms"));
  CHECK(seen.destroyed);

  CHECK_THROWS_AS(ar::handler_timeout({.after = 0ms}), std::invalid_argument);
  CHECK_THROWS_AS(ar::handler_timeout({.after = std::chrono::milliseconds::max()}), std::invalid_argument);
  CHECK_THROWS_AS(ar::handler_timeout({.after = 1s, .status = ar::status::internal_server_error}),
                  std::invalid_argument);
}

TEST_CASE("the handler reads its time left; nested deadlines keep the earlier; a plain handler has none") {
  test_server server([&] {
    return ar::app{
        ar::routes(ar::get<"/budget">([](ar::request& req) -> ar::task<ar::response> {
                     co_return ar::text(std::to_string(req.context().get<ar::request_deadline>().remaining().count()));
                   }),
                   ar::get<"/inner">([](ar::request& req) -> ar::task<ar::response> {
                     co_return ar::text(std::to_string(req.context().get<ar::request_deadline>().remaining().count()));
                   }).use(ar::handler_timeout{{.after = 1s}}),
                   ar::get<"/plain">([](ar::request& req) -> ar::response {
                     return ar::text(req.context().contains<ar::request_deadline>() ? "deadline" : "none");
                   })),
        ar::handler_timeout{{.after = 5s}}};
  });
  const http_reply budget = fetch(server.port(), "/budget");
  REQUIRE(budget.status == 200);
  CHECK(std::stoll(budget.body) > 0);
  CHECK(std::stoll(budget.body) <= 5000);
  CHECK(std::stoll(budget.body) > 1000);  // five seconds less what the request took

  const http_reply inner = fetch(server.port(), "/inner");
  REQUIRE(inner.status == 200);
  CHECK(std::stoll(inner.body) > 0);
  CHECK(std::stoll(inner.body) <= 1000);

  CHECK(fetch(server.port(), "/plain").body == "none");
}

namespace {

/// What a client call made in a handler ended with.
struct call_outcome {
  std::atomic<bool> done{false};
  std::error_code code;
  std::string what;
};

ar::task<void> call_and_record(std::string url, call_outcome& outcome) {
  ar::client_settings settings;
  settings.timeouts.total = 20s;  // the call's own limit, far above the handler's time left
  ar::client http{co_await asio::this_coro::executor, settings};
  try {
    const ar::client_response answer = co_await http.get(url);
    outcome.what = "answered: " + answer.body;
  } catch (const ar::client_error& error) {
    outcome.code = error.code();
    outcome.what = error.what();
  }
  outcome.done = true;
}

/// The number of milliseconds in "... longer than N ms".
long long limit_in(std::string_view message) {
  const std::size_t start = message.find("longer than ");
  if (start == std::string_view::npos) return -1;
  return std::stoll(std::string(message.substr(start + 12)));
}

/// The call ended, cut by the handler's deadline: a total timeout whose limit was at most
/// `deadline_ms` (the time left), not the call's own 20 s.
void check_cut_at_deadline(const call_outcome& outcome, long long deadline_ms) {
  REQUIRE(wait_until([&] { return outcome.done.load(); }));
  CHECK(outcome.code == ar::client_errc::total_timeout);
  const long long limit = limit_in(outcome.what);
  CHECK(limit > 0);
  CHECK(limit <= deadline_ms);
}

}  // namespace

TEST_CASE("a client call made in a handler gets at most the handler's time left") {
  std::atomic<bool> open{false};
  test_server slow_service([&] {
    return ar::app{ar::routes(ar::get<"/held">([&]() { return wait_for(open); }),
                              ar::get<"/quick">([]() -> ar::response { return ar::text("quick"); }))};
  });
  const std::string base = "http://127.0.0.1:" + std::to_string(slow_service.port());

  call_outcome outcome;
  test_server server([&] {
    return ar::app{ar::routes(
                       // The call runs beside the handler, not cancelled with it: what ends it is
                       // its own limit, which the handler's deadline cut to what was left.
                       ar::get<"/call">([&]() -> ar::task<ar::response> {
                         const auto executor = co_await asio::this_coro::executor;
                         asio::co_spawn(executor, call_and_record(base + "/held", outcome), asio::detached);
                         asio::steady_timer timer{executor, 30s};
                         co_await timer.async_wait(asio::use_awaitable);
                         co_return ar::text("not cut");
                       }),
                       ar::get<"/quick">([&]() -> ar::task<ar::response> {
                         ar::client http{co_await asio::this_coro::executor};
                         const ar::client_response answer = co_await http.get(base + "/quick");
                         co_return ar::text("through: " + answer.body);
                       })),
                   ar::handler_timeout{{.after = 300ms}}};
  });

  CHECK(fetch(server.port(), "/call").status == 504);
  check_cut_at_deadline(outcome, 300);

  // A call that the other service answers in time goes through.
  const http_reply quick = fetch(server.port(), "/quick");
  CHECK(quick.status == 200);
  CHECK(quick.body == "through: quick");
  open = true;
}

TEST_CASE("a route's deadline alone also reaches the client calls of its handler") {
  std::atomic<bool> open{false};
  test_server slow_service([&] { return ar::app{ar::routes(ar::get<"/held">([&]() { return wait_for(open); }))}; });
  const std::string held_url = "http://127.0.0.1:" + std::to_string(slow_service.port()) + "/held";

  call_outcome outcome;
  // No middleware on the app: the route's asks for the request scopes the client reads.
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/call">([&]() -> ar::task<ar::response> {
                                const auto executor = co_await asio::this_coro::executor;
                                asio::co_spawn(executor, call_and_record(held_url, outcome), asio::detached);
                                asio::steady_timer timer{executor, 30s};
                                co_await timer.async_wait(asio::use_awaitable);
                                co_return ar::text("not cut");
                              }).use(ar::handler_timeout{{.after = 300ms}}))};
  });

  CHECK(fetch(server.port(), "/call").status == 504);
  check_cut_at_deadline(outcome, 300);
  open = true;
}

TEST_CASE("the test client meets the same deadline as a server on a port") {
  slow_handler_seen seen;
  ar::app app{ar::routes(ar::get<"/slow">([&]() { return sleep_long(seen); }),
                         ar::get<"/fast">([]() -> ar::task<ar::response> { co_return ar::text("fast"); })),
              ar::handler_timeout{{.after = 100ms}}};
  ar::test_client client{app};
  const ar::client_response late = client.get("/slow");
  CHECK(late.status == ar::status::gateway_timeout);
  CHECK(contains(late.body, "did not answer within 100 ms"));
  CHECK(seen.destroyed);
  CHECK(client.get("/fast").body == "fast");
}

namespace {

/// What work a handler spawned on its own executor found as its deadline, the way a client call
/// finds it: once while its request lasted, once while the next request on the connection ran.
struct spawned_work_seen {
  std::atomic<bool> during_done{false};
  std::atomic<bool> next_started{false};
  std::atomic<bool> later_done{false};
  ar::request_deadline::clock::time_point first_deadline{};
  ar::request_deadline::clock::time_point second_deadline{};
  std::optional<ar::request_deadline::clock::time_point> during_expires;
  std::optional<ar::request_deadline::clock::time_point> later_expires;
};

ar::task<void> until(const std::atomic<bool>& flag) {
  asio::steady_timer pause{co_await asio::this_coro::executor};
  while (!flag) {
    pause.expires_after(2ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

std::optional<ar::request_deadline::clock::time_point> deadline_found(const asio::any_io_executor& executor) {
  const ar::request_deadline* found = ar::detail::ambient_deadline(executor);
  if (found == nullptr) return std::nullopt;
  return found->expires_at();
}

ar::task<void> look_for_deadline(spawned_work_seen& seen) {
  const auto executor = co_await asio::this_coro::executor;
  seen.during_expires = deadline_found(executor);
  seen.during_done = true;
  co_await until(seen.next_started);
  seen.later_expires = deadline_found(executor);
  seen.later_done = true;
}

}  // namespace

TEST_CASE("work a handler spawns finds its own request's deadline, and never the next request's") {
  spawned_work_seen seen;
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/first">([&](ar::request& req) -> ar::task<ar::response> {
                                seen.first_deadline = req.context().get<ar::request_deadline>().expires_at();
                                asio::co_spawn(co_await asio::this_coro::executor, look_for_deadline(seen),
                                               asio::detached);
                                co_await until(seen.during_done);
                                co_return ar::text("first");
                              }),
                              ar::get<"/second">([&](ar::request& req) -> ar::task<ar::response> {
                                seen.second_deadline = req.context().get<ar::request_deadline>().expires_at();
                                seen.next_started = true;
                                co_await until(seen.later_done);
                                co_return ar::text("second");
                              })),
                   ar::handler_timeout{{.after = 5s}}};
  });
  raw_client client(server.port());
  REQUIRE(client.send(get_request("/first")));
  CHECK(client.read_response().body == "first");
  REQUIRE(client.send(get_request("/second")));
  CHECK(client.read_response().body == "second");

  REQUIRE(seen.during_expires.has_value());
  CHECK(*seen.during_expires == seen.first_deadline);
  // Its request over, the work is under no deadline; above all not the next request's.
  CHECK_FALSE(seen.later_expires.has_value());
  CHECK(seen.first_deadline != seen.second_deadline);
}
