// Health over real sockets: /readyz follows its checks and /healthz does not; the two-phase
// shutdown fails readiness first while every route is still served, then drains without losing
// the request in flight.
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
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;

namespace {

std::string get(std::string_view target, bool close = true) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// Whether a new connection to `port` is refused: connect fails, or it is closed unanswered.
bool connection_refused(std::uint16_t port) {
  try {
    raw_client client(port, 2s);
    if (!client.send(get("/work"))) return true;
    return client.closed_by_server(2s);
  } catch (const std::runtime_error&) {
    return true;
  }
}

}  // namespace

TEST_CASE("health: /readyz answers 503 naming the failing checks; /healthz answers 200 regardless") {
  ar::health health;
  std::atomic<bool> database_up{true};
  std::atomic<bool> cache_throws{false};
  health.add_check("database", [&] { return database_up.load(); });
  health.add_check("cache", [&]() -> bool {
    if (cache_throws) throw std::runtime_error("unreachable");
    return true;
  });
  test_server server([&] { return ar::app{ar::routes(ar::health_routes(health))}; });

  http_reply ready = ar::testing::exchange(server.port(), get("/readyz"));
  CHECK(ready.status == 200);
  CHECK(ready.body == R"({"status":"ready"})");
  CHECK(ready.header("Cache-Control") == "no-store");

  database_up = false;
  ready = ar::testing::exchange(server.port(), get("/readyz"));
  CHECK(ready.status == 503);
  CHECK(ready.header("Content-Type") == "application/problem+json");
  CHECK(contains(ready.body, R"("detail":"the check \"database\" fails")"));
  CHECK(contains(ready.body, R"("failing_checks":["database"])"));

  cache_throws = true;  // a check that throws has not passed
  ready = ar::testing::exchange(server.port(), get("/readyz"));
  CHECK(ready.status == 503);
  CHECK(contains(ready.body, R"("failing_checks":["database","cache"])"));

  const http_reply alive = ar::testing::exchange(server.port(), get("/healthz"));
  CHECK(alive.status == 200);
  CHECK(alive.body == R"({"status":"alive"})");

  database_up = true;
  cache_throws = false;
  CHECK(ar::testing::exchange(server.port(), get("/readyz")).status == 200);
}

TEST_CASE("health: a stop fails readiness first, serves every route through the grace, then drains") {
  ar::health health;
  std::atomic<bool> slow_started{false};
  std::atomic<bool> release_slow{false};
  auto routes = ar::routes(ar::health_routes(health), ar::get<"/work">([] { return ar::text("worked"); }),
                           ar::get<"/slow">([&](ar::request&) -> ar::task<ar::response> {
                             slow_started = true;
                             asio::steady_timer pause{co_await asio::this_coro::executor};
                             while (!release_slow) {
                               pause.expires_after(5ms);
                               co_await pause.async_wait(asio::use_awaitable);
                             }
                             co_return ar::text("slow done");
                           }));
  ar::app app{std::move(routes)};
  app.attach(health);
  ar::server_settings settings = ar::testing::test_settings();
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.handle_signals = false;
  settings.timeouts.keep_alive = 60s;
  // Long enough for every check below to happen within it; the test waits for its end, it never
  // measures it.
  settings.timeouts.readiness_grace = 5s;
  settings.timeouts.drain = 30s;
  const std::uint16_t port = app.listen(settings);
  std::thread runner([&] { app.run(); });
  struct finish_on_failure {  // a failed REQUIRE must not leave the server's thread running
    std::function<void()> finish;
    ~finish_on_failure() { finish(); }
  } const finish{[&] {
    release_slow = true;
    app.stop();
    if (runner.joinable()) runner.join();
  }};

  raw_client kept(port);  // a keep-alive connection opened before the stop
  REQUIRE(kept.send(get("/readyz", false)));
  REQUIRE(kept.read_response().status == 200);
  raw_client in_flight(port);
  REQUIRE(in_flight.send(get("/slow", false)));
  REQUIRE(wait_until([&] { return slow_started.load(); }));

  app.stop();
  REQUIRE(wait_until([&] { return health.stopping(); }));
  CHECK(app.stopping());

  // The grace: readiness fails, everything else is served as before, on old and new connections.
  REQUIRE(kept.send(get("/readyz", false)));
  const http_reply not_ready = kept.read_response();
  CHECK(not_ready.status == 503);
  CHECK(contains(not_ready.body, "the server is shutting down"));
  CHECK_FALSE(not_ready.header("Connection").has_value());
  REQUIRE(kept.send(get("/work", false)));
  CHECK(kept.read_response().status == 200);
  CHECK(ar::testing::exchange(port, get("/healthz")).status == 200);
  CHECK(ar::testing::exchange(port, get("/work")).body == "worked");
  CHECK(ar::testing::exchange(port, get("/readyz")).status == 503);

  // Then the drain: the port closes, the idle connection is closed, the request in flight is
  // answered.
  CHECK(wait_until([&] { return connection_refused(port); }, 30s));
  CHECK(kept.closed_by_server(10s));
  release_slow = true;
  const http_reply slow = in_flight.read_response();
  CHECK(slow.status == 200);
  CHECK(slow.body == "slow done");
  CHECK(slow.header("Connection") == "close");
  runner.join();
}

TEST_CASE("health: without a grace, the drain begins at once and readiness still fails") {
  ar::health health;
  ar::app app{ar::routes(ar::health_routes(health))};
  app.attach(health);
  CHECK_FALSE(health.stopping());
  app.stop();  // before run(): run() begins with the stop
  ar::server_settings settings = ar::testing::test_settings();
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.handle_signals = false;
  (void)app.listen(settings);
  app.run();  // returns: nothing to drain
  CHECK(health.stopping());
  CHECK(health.readiness().status == ar::status::service_unavailable);
}
