// The rate limit middleware over real sockets: 429 with its problem body, Retry-After and the
// RateLimit fields; keys from a header; a route's limit beside an app's; a key too long; and two
// server threads, which together stay within twice the burst. The policies refill in minutes
// or hours, so nothing comes back while a test runs.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using namespace std::chrono_literals;

namespace {

http_reply fetch(std::uint16_t port, std::string_view target, std::string_view fields = "") {
  return asyncrest::testing::exchange(
      port, "GET " + std::string(target) + " HTTP/1.1\r\nHost: api.example\r\n" + std::string(fields) + "\r\n");
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

/// Every field named `name` (as sent: the case the server writes), joined as one list.
std::string all_fields(const http_reply& reply, std::string_view name) {
  std::string joined;
  for (const auto& [field_name, value] : reply.headers) {
    if (field_name != name) continue;
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

auto make_routes() {
  return ar::routes(ar::get<"/items">([]() -> ar::response { return ar::text("items"); }),
                    ar::get<"/slow">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("slow"); }));
}

// Three an hour: a token every 20 minutes.
ar::rate_limit_settings three_an_hour() { return {.policies = {{.name = "hourly", .requests = 3, .per = 1h}}}; }

}  // namespace

TEST_CASE("past its quota a client gets 429 with a problem body, Retry-After and the RateLimit fields") {
  const ar::rate_limit limit{three_an_hour()};
  test_server server([&] { return ar::app{make_routes(), limit}; });

  for (int taken = 1; taken <= 3; ++taken) {
    const http_reply reply = fetch(server.port(), taken == 2 ? "/slow" : "/items");
    REQUIRE(reply.status == 200);
    CHECK(field(reply, "RateLimit-Policy") == "\"hourly\";q=3;w=3600");
    // 20 minutes a token: t is the time until the bucket is full, less the moments between requests.
    CHECK(field(reply, "RateLimit") ==
          "\"hourly\";r=" + std::to_string(3 - taken) + ";t=" + std::to_string(1200 * taken));
  }
  const http_reply refused = fetch(server.port(), "/items");
  CHECK(refused.status == 429);
  CHECK(field(refused, "Content-Type") == "application/problem+json");
  CHECK(refused.body.find("\"status\":429") != std::string::npos);
  CHECK(refused.body.find("\"title\":\"Too Many Requests\"") != std::string::npos);
  CHECK(refused.body.find("retry in 1200 seconds") != std::string::npos);
  CHECK(field(refused, "Retry-After") == "1200");
  CHECK(field(refused, "RateLimit") == "\"hourly\";r=0;t=3600");
  CHECK(field(refused, "RateLimit-Policy") == "\"hourly\";q=3;w=3600");

  // Every response of the app carries the fields, a 404 too: the router's answers pass through it.
  const http_reply missing = fetch(server.port(), "/nowhere");
  CHECK(missing.status == 429);
  const ar::rate_limit_statistics counts = limit.statistics();
  CHECK(counts.allowed == 3);
  CHECK(counts.refused == 2);
  CHECK(counts.keys == 1);
}

TEST_CASE("keyed by a header, each API key has its own bucket; requests without it are limited by address") {
  test_server server([] {
    return ar::app{make_routes(), ar::rate_limit{three_an_hour(), ar::header_key{"X-Api-Key"}}};
  });
  for (int taken = 0; taken < 3; ++taken) CHECK(fetch(server.port(), "/items", "X-Api-Key: alpha\r\n").status == 200);
  CHECK(fetch(server.port(), "/items", "X-Api-Key: alpha\r\n").status == 429);
  const http_reply other = fetch(server.port(), "/items", "X-Api-Key: beta\r\n");
  CHECK(other.status == 200);
  CHECK(field(other, "RateLimit") == "\"hourly\";r=2;t=1200");
  const http_reply keyless = fetch(server.port(), "/items");
  CHECK(keyless.status == 200);
  CHECK(field(keyless, "RateLimit") == "\"hourly\";r=2;t=1200");
  const http_reply longest = fetch(server.port(), "/items", "X-Api-Key: " + std::string(256, 'k') + "\r\n");
  CHECK(longest.status == 200);
  const http_reply too_long = fetch(server.port(), "/items", "X-Api-Key: " + std::string(257, 'k') + "\r\n");
  CHECK(too_long.status == 400);
  CHECK(field(too_long, "Content-Type") == "application/problem+json");
  CHECK(too_long.body.find("longer than 256 bytes") != std::string::npos);
}

namespace {
struct principal {
  std::string user;
};

/// Stands for an authentication middleware: whoever X-User names is the request's principal.
struct authenticate {
  [[nodiscard]] std::optional<ar::response> before(ar::request& req) const {
    if (const auto user = req.header("X-User")) req.context().emplace<principal>(principal{std::string(*user)});
    return std::nullopt;
  }
};
}  // namespace

TEST_CASE("keyed by the principal an authentication middleware put in the request's context") {
  test_server server([] {
    return ar::app{
        make_routes(), authenticate{},
        ar::rate_limit{three_an_hour(), ar::key_from_context<principal>(
                                            [](const principal& who) -> const std::string& { return who.user; })}};
  });
  for (int taken = 0; taken < 3; ++taken) CHECK(fetch(server.port(), "/items", "X-User: ada\r\n").status == 200);
  CHECK(fetch(server.port(), "/items", "X-User: ada\r\n").status == 429);
  const http_reply grace = fetch(server.port(), "/items", "X-User: grace\r\n");
  CHECK(grace.status == 200);
  CHECK(field(grace, "RateLimit") == "\"hourly\";r=2;t=1200");
  const http_reply anonymous = fetch(server.port(), "/items");  // no principal: its address
  CHECK(anonymous.status == 200);
  CHECK(field(anonymous, "RateLimit") == "\"hourly\";r=2;t=1200");
}

TEST_CASE("a route's limit applies to that route only, beside the app's") {
  const ar::rate_limit route_limit{{.policies = {{.name = "search", .requests = 1, .per = 1h}}}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/search">([]() -> ar::response { return ar::text("found"); }).use(route_limit),
                              ar::get<"/free">([]() -> ar::response { return ar::text("free"); })),
                   ar::rate_limit{{.policies = {{.name = "app", .requests = 100, .per = 1h}}}}};
  });
  const http_reply first = fetch(server.port(), "/search");
  CHECK(first.status == 200);
  // Both limits' fields: the route's first, added nearer the handler, then the app's.
  CHECK(all_fields(first, "RateLimit-Policy") == "\"search\";q=1;w=3600, \"app\";q=100;w=3600");
  CHECK(all_fields(first, "RateLimit") == "\"search\";r=0;t=3600, \"app\";r=99;t=36");
  const http_reply second = fetch(server.port(), "/search");
  CHECK(second.status == 429);
  CHECK(second.body.find("\\\"search\\\"") != std::string::npos);
  CHECK(all_fields(second, "RateLimit") == "\"search\";r=0;t=3600, \"app\";r=98;t=72");
  for (int request = 0; request < 5; ++request) {
    const http_reply free = fetch(server.port(), "/free");
    CHECK(free.status == 200);
    CHECK(all_fields(free, "RateLimit-Policy") == "\"app\";q=100;w=3600");
  }
  CHECK(route_limit.statistics().allowed == 1);
  CHECK(route_limit.statistics().refused == 1);
}

TEST_CASE("with two server threads a client gets at most twice the burst; one connection exactly the burst") {
  ar::server_settings settings = asyncrest::testing::test_settings();
  settings.threads = 2;
  const ar::rate_limit per_connection_limit{{.policies = {{.name = "burst", .requests = 5, .per = 1h}}}};
  const ar::rate_limit spread_limit{{.policies = {{.name = "burst", .requests = 5, .per = 1h}}}};
  test_server server(
      [&] {
        return ar::app{
            ar::routes(ar::get<"/kept">([]() -> ar::response { return ar::text("kept"); }).use(per_connection_limit),
                       ar::get<"/spread">([]() -> ar::response { return ar::text("spread"); }).use(spread_limit))};
      },
      settings);

  // One keep-alive connection stays on one thread: exactly the burst.
  raw_client kept(server.port());
  int kept_allowed = 0;
  for (int request = 0; request < 12; ++request) {
    REQUIRE(kept.send("GET /kept HTTP/1.1\r\nHost: api.example\r\n\r\n"));
    const http_reply reply = kept.read_response();
    if (reply.status == 200) ++kept_allowed;
  }
  CHECK(kept_allowed == 5);

  // A connection per request: the kernel spreads them over both threads, each with its buckets.
  int spread_allowed = 0;
  for (int request = 0; request < 60; ++request) {
    if (fetch(server.port(), "/spread").status == 200) ++spread_allowed;
  }
  CHECK(spread_allowed >= 5);
  CHECK(spread_allowed <= 10);
  const ar::rate_limit_statistics counts = spread_limit.statistics();
  CHECK(counts.allowed == static_cast<std::uint64_t>(spread_allowed));
  CHECK(counts.allowed + counts.refused == 60);
  CHECK(counts.keys <= 2);  // one key per thread that served the client
}
