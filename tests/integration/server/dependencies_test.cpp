// Dependencies over real sockets: a principal an app middleware provides, a tenant a route's
// middleware provides, values made by the app's providers (one at once, one that waits) and by a
// route's own; providers run only for the handlers that ask, after a request has been found to
// fit, and their values die with the request; a middleware that breaks its promise is a 500.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ar = asyncrest;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

/// Who the client is, as the authentication middleware found it.
struct principal {
  std::string name;
};

/// The tenant a request is for, from a route's own middleware.
struct tenant {
  std::string name;
};

std::atomic<int> sessions_opened{0};
std::atomic<int> sessions_alive{0};

/// A handle the app's provider makes for each request that asks for one: counts how many were
/// made and how many are still alive.
struct database_session {
  explicit database_session(int made_as) : number(made_as) { ++sessions_alive; }
  database_session(database_session&& other) noexcept : number(other.number) { ++sessions_alive; }
  database_session(const database_session&) = delete;
  database_session& operator=(const database_session&) = delete;
  database_session& operator=(database_session&&) = delete;
  ~database_session() { --sessions_alive; }
  int number;
};

/// What the provider that waits makes.
struct exchange_rate {
  double value;
};

/// Sets the principal from X-User (a stand-in for checking a token); 401 without one.
struct authenticate {
  using provides = ar::provides<principal>;

  std::optional<ar::response> before(ar::request& req) const {
    const auto user = req.header("X-User");
    if (!user) return ar::problem(ar::status::unauthorized, "who are you?");
    req.context().emplace<principal>(std::string(*user));
    return std::nullopt;
  }
};

/// A route's middleware that promises a tenant and sets one only when X-Tenant is sent: the
/// broken promise a compiler cannot see.
struct tenant_from_header {
  using provides = ar::provides<tenant>;

  std::optional<ar::response> before(ar::request& req) const {
    if (const auto name = req.header("X-Tenant")) req.context().emplace<tenant>(std::string(*name));
    return std::nullopt;
  }
};

struct paging {
  int limit = 10;
};

auto make_app() {
  auto table = ar::routes(
      ar::get<"/me">([](ar::depends<principal> who) { return ar::text("me: " + who->name); }),
      // No dependency: the providers never run for it.
      ar::get<"/plain">([](ar::request&) { return ar::text("plain"); }),
      ar::get<"/orders/{id:int}">([](std::int64_t id, const ar::depends<principal>& who,
                                     ar::depends<database_session> session) -> ar::task<ar::response> {
        co_return ar::text(who->name + " order " + std::to_string(id) + " in session " +
                           std::to_string(session->number) + ", alive " + std::to_string(sessions_alive.load()));
      }),
      // The session is made only once the query fits.
      ar::get<"/orders">([](ar::query<paging> page, ar::depends<database_session> session) {
        return ar::text("limit " + std::to_string(page->limit) + " in session " + std::to_string(session->number));
      }),
      ar::get<"/tenant">([](ar::depends<tenant> which, ar::depends<principal> who) {
        return ar::text(who->name + " of " + which->name);
      }).use(tenant_from_header{}),
      ar::get<"/rate">([](ar::depends<exchange_rate> rate) { return ar::text("rate " + std::to_string(rate->value)); }),
      // A route's own provider is used instead of the app's.
      ar::get<"/replica">([](ar::depends<database_session> session) {
        return ar::text("session " + std::to_string(session->number));
      }).use(ar::provide<database_session>([] { return database_session(-1); })),
      ar::get<"/forbidden">([](ar::depends<database_session>) {
        return ar::text("never");
      }).use(ar::provide<database_session>([](ar::request&) -> database_session {
        throw ar::http_error(ar::status::forbidden, "no session for you");
      })));
  return ar::app{std::move(table), authenticate{},
                 ar::provide<database_session>([](ar::request&) { return database_session(++sessions_opened); }),
                 ar::provide<exchange_rate>([](ar::request& req) -> ar::task<exchange_rate> {
                   // Truly waits: the rest runs after a turn of the event loop.
                   co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
                   co_return exchange_rate{req.header("X-Rate") ? 2.5 : 1.5};
                 })};
}

using server_type = test_server<decltype(&make_app)>;

std::string get(std::string_view target, std::string_view extra_fields = "X-User: ada\r\n") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_fields) + "\r\n";
}

}  // namespace

TEST_CASE("an app middleware's value reaches a handler that depends on it") {
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/me") + get("/me", "X-User: grace\r\n")));
  CHECK(client.read_response().body == "me: ada");
  CHECK(client.read_response().body == "me: grace");
  // The middleware answers early: the handler does not run, and nothing is missing.
  REQUIRE(client.send(get("/me", "")));
  CHECK(client.read_response().status == 401);
}

TEST_CASE("an app provider runs for the requests that ask, and its value lives as long as the request") {
  sessions_opened = 0;
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/plain") + get("/me")));
  CHECK(client.read_response().body == "plain");
  CHECK(client.read_response().body == "me: ada");
  CHECK(sessions_opened == 0);

  // Pipelined, through a coroutine handler: each request has its own session, alive while the
  // handler runs and destroyed with its request.
  REQUIRE(client.send(get("/orders/7") + get("/orders/8")));
  CHECK(client.read_response().body == "ada order 7 in session 1, alive 1");
  CHECK(client.read_response().body == "ada order 8 in session 2, alive 1");
  CHECK(sessions_opened == 2);

  // A request that does not fit is answered 422 before the provider runs.
  REQUIRE(client.send(get("/orders?limit=many")));
  CHECK(client.read_response().status == 422);
  CHECK(sessions_opened == 2);
  REQUIRE(client.send(get("/orders?limit=3")));
  CHECK(client.read_response().body == "limit 3 in session 3");
  client.shutdown_send();
  CHECK(client.closed_by_server());
  CHECK(sessions_alive == 0);
}

TEST_CASE("a provider that waits is awaited before the handler runs") {
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/rate") + get("/rate", "X-User: ada\r\nX-Rate: high\r\n")));
  CHECK(client.read_response().body == "rate 1.500000");
  CHECK(client.read_response().body == "rate 2.500000");
}

TEST_CASE("a route's own middleware and provider serve its handler") {
  sessions_opened = 0;
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/tenant", "X-User: ada\r\nX-Tenant: acme\r\n")));
  CHECK(client.read_response().body == "ada of acme");
  REQUIRE(client.send(get("/replica")));
  CHECK(client.read_response().body == "session -1");
  CHECK(sessions_opened == 0);  // the app's provider was not used for that route
}

TEST_CASE("a provider's http_error is the answer") {
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/forbidden")));
  const auto reply = client.read_response();
  CHECK(reply.status == 403);
  CHECK(reply.body.find("no session for you") != std::string::npos);
}

TEST_CASE("a middleware that promised a value and set none is answered 500, and the handler does not run") {
  server_type server(&make_app);
  raw_client client(server.port());
  REQUIRE(client.send(get("/tenant")));
  const auto reply = client.read_response();
  CHECK(reply.status == 500);
  CHECK(reply.header("Content-Type") == "application/problem+json");
  CHECK(reply.body.find("tenant") == std::string::npos);  // no internals for the client
  // The connection goes on.
  REQUIRE(client.send(get("/me")));
  CHECK(client.read_response().body == "me: ada");
}
