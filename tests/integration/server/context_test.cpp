// The request's typed context, over real sockets: values set by middleware and read by the
// handler, kept in the request's memory or on the heap, replaced, missing (a 500), and destroyed
// once the request is answered.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace ar = asyncrest;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

std::atomic<int> live_values{0};  // context values made and not yet destroyed

/// Who the client is, as an authentication middleware found it.
struct principal {
  explicit principal(std::string who) : name(std::move(who)) { ++live_values; }
  principal(const principal&) = delete;
  principal& operator=(const principal&) = delete;
  ~principal() { --live_values; }
  std::string name;
};

/// Too large for the request's arena: kept on the heap.
struct large_value {
  large_value() { ++live_values; }
  large_value(const large_value&) = delete;
  large_value& operator=(const large_value&) = delete;
  ~large_value() { --live_values; }
  std::array<char, 1024> bytes{};
};

/// Aligned beyond what the arena promises: on the heap, aligned.
struct alignas(128) aligned_value {
  aligned_value() { ++live_values; }
  aligned_value(const aligned_value&) = delete;
  aligned_value& operator=(const aligned_value&) = delete;
  ~aligned_value() { --live_values; }
  std::uint64_t number = 42;
};

struct request_number {
  int value;
};

/// Sets a principal from X-User (a stand-in for checking a token), and the other values.
struct authenticate {
  std::optional<ar::response> before(ar::request& req) const {
    if (const auto user = req.header("X-User")) {
      req.context().emplace<principal>(std::string(*user));
      req.context().emplace<large_value>().bytes[0] = 'L';
      req.context().emplace<aligned_value>();
    }
    req.context().emplace<request_number>(1);
    req.context().emplace<request_number>(2);  // replaces the first
    return std::nullopt;
  }
};

auto make_app() {
  return ar::app{ar::routes(ar::get<"/me">([](ar::request& req) {
                              const auto& context = req.context();
                              const principal& who = context.get<principal>();
                              const auto* aligned = context.find<aligned_value>();
                              const bool aligned_well =
                                  aligned != nullptr && reinterpret_cast<std::uintptr_t>(aligned) % 128 == 0;
                              return ar::text(who.name + " " + context.get<large_value>().bytes[0] + " " +
                                              std::to_string(context.get<request_number>().value) + " " +
                                              (aligned_well ? "aligned" : "misaligned") + " " +
                                              std::to_string(live_values.load()));
                            }),
                            ar::get<"/anonymous">([](ar::request& req) {
                              return ar::text(req.context().contains<principal>() ? "someone" : "nobody");
                            })),
                 authenticate{}};
}

using server_type = test_server<decltype(&make_app)>;

std::string request_for(std::string_view path, std::string_view user) {
  std::string text = "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n";
  if (!user.empty()) text += "X-User: " + std::string(user) + "\r\n";
  return text + "\r\n";
}

}  // namespace

TEST_CASE("a middleware's typed values reach the handler and are destroyed with the request") {
  server_type server(&make_app);
  raw_client client(server.port());
  // Two on one connection, pipelined: each request has its own values.
  REQUIRE(client.send(request_for("/me", "ada") + request_for("/me", "grace")));
  CHECK(client.read_response().body == "ada L 2 aligned 3");
  CHECK(client.read_response().body == "grace L 2 aligned 3");
  REQUIRE(client.send(request_for("/anonymous", "")));
  CHECK(client.read_response().body == "nobody");
  client.shutdown_send();
  CHECK(client.closed_by_server());
  CHECK(live_values == 0);
}

TEST_CASE("a handler that needs a value no middleware set answers 500") {
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(request_for("/me", "")));
  const auto reply = client.read_response();
  CHECK(reply.status == 500);
  CHECK(reply.header("Content-Type") == "application/problem+json");
}
