// Dependencies through the in-process test client, with each middleware shape: values set by an
// around middleware, a before hook and a route's middleware, made by providers given to the app
// and to routes (at once, waiting, taking the request or nothing) and passed over by the chain;
// and, at compile time, which steps provide what, and a route's description and OpenAPI document
// without its dependencies.
#include <asyncrest/server/dependencies.hpp>

#include <asyncrest/server/app.hpp>
#include <asyncrest/server/detail/dependency_check.hpp>
#include <asyncrest/server/detail/route_description.hpp>
#include <asyncrest/server/openapi.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/test_client.hpp>
#include <asyncrest/server/typed_parameters.hpp>

#include <doctest/doctest.h>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace {

namespace ar = asyncrest;
using ar::status;

struct principal {
  std::string name;
};
struct trace_note {
  std::string text;
};
struct counter_value {
  int number;
};
struct clock_reading {
  int tick;
};

/// An around middleware that provides a value.
struct around_principal {
  using provides = ar::provides<principal>;

  ar::task<ar::response> operator()(ar::request& req, ar::next rest) const {
    req.context().emplace<principal>("ada");
    co_return co_await rest(req);
  }
};

/// Before and after hooks; provides two values.
struct noting {
  using provides = ar::provides<trace_note, clock_reading>;

  std::optional<ar::response> before(ar::request& req) const {
    req.context().emplace<trace_note>("noted");
    req.context().emplace<clock_reading>(7);
    return std::nullopt;
  }
  void after(const ar::request&, ar::response& res) const { res.headers.set("X-Noted", "yes"); }
};

std::atomic<int> counted{0};

auto make_app() {
  return ar::app{
      ar::routes(ar::get<"/who">([](ar::depends<principal> who) { return ar::text(who->name); }),
                 ar::get<"/count">([](ar::depends<counter_value> count) -> ar::task<ar::response> {
                   co_return ar::text(std::to_string(count->number));
                 }),
                 ar::get<"/note/{id:int}">([](ar::request& req, std::int64_t id, ar::depends<trace_note> note,
                                              const ar::depends<counter_value>& count) {
                   return ar::text(std::string(req.path()) + " " + std::to_string(id) + " " + note->text + " " +
                                   std::to_string(count->number));
                 }).use(noting{}),
                 // A route provider that waits, behind an around middleware of the route: the chain's
                 // coroutine path passes over the provider too.
                 ar::get<"/tick">([](ar::depends<clock_reading> reading, ar::depends<principal> who) {
                   return ar::text(who->name + " " + std::to_string(reading->tick));
                 })
                     .use(ar::provide<clock_reading>([]() -> ar::task<clock_reading> {
                       co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
                       co_return clock_reading{42};
                     }))
                     .use(around_principal{})),
      around_principal{}, ar::provide<counter_value>([] { return counter_value{++counted}; })};
}

}  // namespace

TEST_CASE("dependencies: values from an around middleware, hooks and providers reach the handler") {
  counted = 0;
  auto app = make_app();
  ar::test_client client{app};

  CHECK(client.get("/who").body == "ada");
  CHECK(counted == 0);  // the provider runs only for the handlers that ask

  CHECK(client.get("/count").body == "1");
  CHECK(client.get("/count").body == "2");

  const ar::client_response noted = client.get("/note/5");
  CHECK(noted.body == "/note/5 5 noted 3");
  CHECK(noted.headers.get("X-Noted") == "yes");

  CHECK(client.get("/tick").body == "ada 42");
}

TEST_CASE("dependencies: which steps provide what, at compile time") {
  using ar::detail::count_makers;
  using ar::detail::count_setters;
  using steps = std::tuple<noting, around_principal, ar::provider<counter_value, int (*)()>>;
  static_assert(count_setters<trace_note, steps> == 1);
  static_assert(count_setters<clock_reading, steps> == 1);
  static_assert(count_setters<principal, steps> == 1);
  static_assert(count_setters<counter_value, steps> == 0);
  static_assert(count_makers<counter_value, steps> == 1);
  static_assert(count_makers<principal, steps> == 0);
  static_assert(ar::detail::provider_index<counter_value, steps>() == 2);
  static_assert(ar::detail::provider_index<principal, steps>() == 3);
  static_assert(ar::detail::is_value_provider<ar::provider<counter_value, int (*)()>>);
  static_assert(!ar::detail::is_value_provider<noting>);
  static_assert(!ar::detail::providers_are_distinct<ar::provider<counter_value, int (*)()>, noting,
                                                    ar::provider<counter_value, int (*)()>>());
  static_assert(ar::detail::providers_are_distinct<ar::provider<counter_value, int (*)()>, noting,
                                                   ar::provider<principal, int (*)()>>());

  using route_type = decltype(ar::get<"/x/{id:int}">([](std::int64_t, ar::depends<principal>, ar::query<clock_reading>,
                                                        const ar::depends<counter_value>&) { return ar::text(""); }));
  using parts = ar::detail::route_parts<route_type>;
  static_assert(std::is_same_v<parts::dependencies, std::tuple<principal, counter_value>>);
  static_assert(std::is_same_v<parts::spelled_path,
                               ar::detail::route_path<'/', 'x', '/', '{', 'i', 'd', ':', 'i', 'n', 't', '}'>>);
  // Not part of the wire: no parameter of the route's description.
  using described = ar::detail::route_description<route_type>;
  static_assert(std::is_same_v<described::query, clock_reading>);
  static_assert(std::is_same_v<described::body, void>);
  static_assert(std::is_same_v<described::headers, std::tuple<>>);
}

TEST_CASE("dependencies: absent from the OpenAPI document") {
  const auto table = ar::routes(ar::get<"/who/{id:int}">([](std::int64_t, ar::depends<principal>) {
                                  return ar::text("");
                                }).use(around_principal{}));
  const std::string document = ar::openapi_document(table, {});
  CHECK(document.find("principal") == std::string::npos);
  CHECK(document.find(R"("name":"id")") != std::string::npos);
  CHECK(document.find(R"("in":"query")") == std::string::npos);
  CHECK(document.find(R"("in":"header")") == std::string::npos);
}
