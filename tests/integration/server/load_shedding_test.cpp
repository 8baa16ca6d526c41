// Load shedding over real sockets: past the requests in flight an app or a route allows, 503
// with Retry-After and a problem body, and 200 again once the handlers waiting on the test's
// signal are released; a request that waited behind a pipelined one longer than allowed is
// refused without its handler running.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using asyncrest::testing::get_request;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;
using namespace std::chrono_literals;

namespace {

/// Handlers on /wait hold their request until the test opens the gate.
struct gate {
  std::atomic<int> waiting{0};
  std::atomic<bool> open{false};
};

ar::task<ar::response> wait_for(gate& signal) {
  ++signal.waiting;
  asio::steady_timer pause{co_await asio::this_coro::executor};
  while (!signal.open) {
    pause.expires_after(2ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
  --signal.waiting;
  co_return ar::text("released");
}

http_reply fetch(std::uint16_t port, std::string_view target) {
  return asyncrest::testing::exchange(port, get_request(target));
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

}  // namespace

TEST_CASE("past the app's requests in flight, 503 with Retry-After; after the release, 200 again") {
  gate signal;
  const ar::load_shedding shedding{{.max_in_flight = 2, .retry_after = 3s}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/wait">([&](ar::request&) { return wait_for(signal); }),
                              ar::get<"/items">([]() -> ar::response { return ar::text("items"); })),
                   shedding};
  });

  raw_client first(server.port());
  raw_client second(server.port());
  REQUIRE(first.send(get_request("/wait")));
  REQUIRE(second.send(get_request("/wait")));
  REQUIRE(wait_until([&] { return signal.waiting == 2; }));
  CHECK(shedding.statistics().in_flight == 2);

  for (const std::string_view target : {"/wait", "/items"}) {
    const http_reply refused = fetch(server.port(), target);
    CHECK(refused.status == 503);
    CHECK(field(refused, "Retry-After") == "3");
    CHECK(field(refused, "Content-Type") == "application/problem+json");
    CHECK(refused.body.find("\"status\":503") != std::string::npos);
    CHECK(refused.body.find("as many requests as it allows (2)") != std::string::npos);
  }
  CHECK(signal.waiting == 2);  // the refused /wait never reached its handler

  signal.open = true;
  CHECK(first.read_response().status == 200);
  CHECK(second.read_response().status == 200);
  CHECK(shedding.statistics().in_flight == 0);
  CHECK(fetch(server.port(), "/items").status == 200);
  CHECK(fetch(server.port(), "/wait").status == 200);
  const ar::load_shedding_statistics counts = shedding.statistics();
  CHECK(counts.refused_in_flight == 2);
  CHECK(counts.refused_queue_time == 0);
  CHECK(counts.in_flight == 0);
}

TEST_CASE("a route's limit holds that route only") {
  gate signal;
  const ar::load_shedding shedding{{.max_in_flight = 1}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/wait">([&](ar::request&) { return wait_for(signal); }).use(shedding),
                              ar::get<"/items">([]() -> ar::response { return ar::text("items"); }))};
  });
  raw_client held(server.port());
  REQUIRE(held.send(get_request("/wait")));
  REQUIRE(wait_until([&] { return signal.waiting == 1; }));
  const http_reply refused = fetch(server.port(), "/wait");
  CHECK(refused.status == 503);
  CHECK(field(refused, "Retry-After") == "1");
  CHECK(fetch(server.port(), "/items").status == 200);
  signal.open = true;
  CHECK(held.read_response().status == 200);
  CHECK(fetch(server.port(), "/wait").status == 200);
  CHECK(shedding.statistics().refused_in_flight == 1);
}

TEST_CASE("a request that waited behind a pipelined one longer than max_queue_time is refused unhandled") {
  std::atomic<int> handled{0};
  const ar::load_shedding shedding{{.max_queue_time = 20ms}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/block">([&]() -> ar::response {
                                // Holds the event loop, as a handler with heavy work would: the
                                // request pipelined behind it waits at least this long.
                                std::this_thread::sleep_for(60ms);
                                return ar::text("blocked");
                              }),
                              ar::get<"/items">([&]() -> ar::response {
                                ++handled;
                                return ar::text("items");
                              })),
                   shedding};
  });
  raw_client client(server.port());
  REQUIRE(client.send(get_request("/block") + get_request("/items")));  // one write: read together
  CHECK(client.read_response().status == 200);
  const http_reply refused = client.read_response();
  CHECK(refused.status == 503);
  CHECK(field(refused, "Retry-After") == "1");
  CHECK(refused.body.find("waited longer than 20 ms") != std::string::npos);
  CHECK(handled == 0);

  // The same connection, a request that waits for nothing: handled.
  REQUIRE(client.send(get_request("/items")));
  CHECK(client.read_response().status == 200);
  CHECK(handled == 1);
  CHECK(shedding.statistics().refused_queue_time == 1);
}
