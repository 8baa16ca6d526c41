// The in-process test client: requests through a whole app (middleware, routing, handlers, error
// responses, after-hooks) without a socket; the request the handler sees; bodies in memory, in a
// file and streamed, endless ones read piece by piece; request bodies streamed to a route and held
// to its limit; what it refuses. (test_client_parity_test.cpp compares it with a real server.)
#include <asyncrest/server/test_client.hpp>

#include <asyncrest/client/authentication.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/events.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/static_files.hpp>
#include <asyncrest/server/upgrade.hpp>

#include <doctest/doctest.h>
#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::request;
using ar::response;
using ar::status;
using ar::task;

struct principal {
  std::string name;
};

// Global middleware of each shape, recording their order in a header of the response.
struct authenticate {
  std::optional<response> before(request& req) const {
    const auto token = req.header("Authorization");
    if (!token) return ar::problem(status::unauthorized, "who are you?");
    req.context().emplace<principal>(std::string(token->substr(token->find(' ') + 1)));
    return std::nullopt;
  }
};

struct stamp {
  void after(const request&, response& res) const { res.headers.add("X-Order", "after"); }
};

struct around {
  task<response> operator()(request& req, ar::next rest) const {
    response res = co_await rest(req);
    res.headers.add("X-Order", "around");
    co_return res;
  }
};

ar::headers signed_in(std::string_view token = "ann") {
  ar::headers fields;
  fields.set("Authorization", ar::bearer_authorization(token));
  return fields;
}

auto make_routes() {
  return ar::routes(
      ar::get<"/users/{id:int}">([](request& req, std::int64_t id) -> task<response> {
        co_return ar::json({{"id", id},
                            {"name", req.context().get<principal>().name},
                            {"full", req.query("full").value_or("no")},
                            {"host", req.header("Host").value_or("")},
                            {"remote", req.remote_endpoint().address().to_string()},
                            {"path", req.path()},
                            {"target", req.target()}});
      }),
      ar::post<"/echo">([](request& req) {
        response res = ar::text(std::string(req.body()));
        res.headers.set("X-Length", req.header("Content-Length").value_or("none"));
        return res;
      }),
      ar::get<"/conflict">([](request&) -> response { throw ar::http_error(status::conflict, "already taken"); }),
      ar::get<"/broken">([](request&) -> task<response> {
        throw std::runtime_error("internal detail");
        co_return ar::text("unreachable");
      }),
      ar::get<"/cookies">([](request& req) {
        response res = ar::text(std::string(req.cookie("theme").value_or("none")));
        res.set_cookie("a", "1");
        res.set_cookie("b", "2", {.max_age = std::chrono::seconds(60)});
        return res;
      }));
}

auto make_app() { return ar::app{make_routes(), authenticate{}, around{}, stamp{}}; }

}  // namespace

TEST_CASE("test_client: a request runs through the middleware, the router and the handler") {
  auto app = make_app();
  ar::test_client client{app};

  const ar::client_response res = client.get("/users/42?full=yes", signed_in("ann"));
  CHECK(res.status == status::ok);
  CHECK(res.ok());
  CHECK(res.headers.get("Content-Type") == "application/json");
  CHECK(res.headers.get("Content-Length") == std::to_string(res.body.size()));
  CHECK(res.headers.contains("Date"));
  CHECK(std::string_view(res.json()["name"].get_string().value()) == "ann");
  CHECK(res.json()["id"].get_int64().value() == 42);
  CHECK(std::string_view(res.json()["full"].get_string().value()) == "yes");
  CHECK(std::string_view(res.json()["host"].get_string().value()) == "localhost");
  CHECK(std::string_view(res.json()["remote"].get_string().value()) == "127.0.0.1");
  CHECK(std::string_view(res.json()["target"].get_string().value()) == "/users/42?full=yes");

  // The after-hook runs inside the around middleware, which was given first.
  std::vector<std::string> order;
  for (const auto& [name, value] : res.headers) {
    if (name == "X-Order") order.emplace_back(value);
  }
  CHECK(order == std::vector<std::string>{"after", "around"});

  // The before-hook's early answer passes through the hooks after it too.
  const ar::client_response refused = client.get("/users/42");
  CHECK(refused.status == status::unauthorized);
  CHECK(refused.headers.get("Content-Type") == "application/problem+json");
  CHECK(std::string_view(refused.json()["detail"].get_string().value()) == "who are you?");
}

TEST_CASE("test_client: a percent-encoded path is decoded; an absolute URL's host is sent") {
  auto app = make_app();
  ar::test_client client{app, {.remote = {asio::ip::make_address("192.0.2.7"), 4242}}};
  const ar::client_response res = client.get("http://api.example:8080/users/%37", signed_in());
  CHECK(res.status == status::ok);
  CHECK(std::string_view(res.json()["path"].get_string().value()) == "/users/7");
  CHECK(std::string_view(res.json()["host"].get_string().value()) == "api.example:8080");
  CHECK(std::string_view(res.json()["remote"].get_string().value()) == "192.0.2.7");
}

TEST_CASE("test_client: the router's and the server's error answers") {
  auto app = make_app();
  ar::test_client client{app, {.default_headers = signed_in()}};

  const ar::client_response missing = client.get("/nowhere");
  CHECK(missing.status == status::not_found);
  CHECK(std::string_view(missing.json()["detail"].get_string().value()) == "no route matches this path");

  const ar::client_response wrong_method = client.delete_("/echo");
  CHECK(wrong_method.status == status::method_not_allowed);
  CHECK(wrong_method.headers.get("Allow") == "POST, OPTIONS");

  const ar::client_response malformed = client.get("/users/%zz");
  CHECK(malformed.status == status::bad_request);
  CHECK(std::string_view(malformed.json()["detail"].get_string().value()) ==
        "the request path has a malformed percent-encoding");

  const ar::client_response conflict = client.get("/conflict");
  CHECK(conflict.status == status::conflict);
  CHECK(conflict.headers.get("Content-Type") == "application/problem+json");
  CHECK(std::string_view(conflict.json()["detail"].get_string().value()) == "already taken");
  CHECK(conflict.headers.contains("X-Order"));  // the middleware saw the error response

  const ar::client_response broken = client.get("/broken");
  CHECK(broken.status == status::internal_server_error);
  CHECK(broken.body.find("internal detail") == std::string::npos);

  CHECK_THROWS_AS((void)client.get("users/1"), ar::client_error);
  CHECK_THROWS_AS((void)client.get("/users/1 2"), ar::client_error);
  ar::headers injected;
  injected.add("X-Bad", "a\r\nInjected: yes");
  CHECK_THROWS_AS((void)client.get("/users/1", injected), ar::client_error);

  ar::test_client raising{app, {.default_headers = signed_in(), .raise_for_status = true}};
  CHECK_THROWS_AS((void)raising.get("/conflict"), ar::http_status_error);
}

TEST_CASE("test_client: request bodies, cookies both ways, HEAD") {
  auto app = make_app();
  ar::test_client client{app, {.default_headers = signed_in()}};

  const ar::client_response echoed = client.post("/echo", "hello");
  CHECK(echoed.body == "hello");
  CHECK(echoed.headers.get("X-Length") == "5");

  ar::headers with_cookie;
  with_cookie.set("Cookie", "theme=dark; other=1");
  const ar::client_response cookies = client.get("/cookies", with_cookie);
  CHECK(cookies.body == "dark");
  std::vector<std::string> set_cookies;
  for (const auto& [name, value] : cookies.headers) {
    if (name == "Set-Cookie") set_cookies.emplace_back(value);
  }
  REQUIRE(set_cookies.size() == 2);  // two fields, not one joined
  CHECK(set_cookies[0].starts_with("a=1; Path=/"));
  CHECK(set_cookies[1].starts_with("b=2; Path=/; Max-Age=60"));

  const ar::client_response head = client.head("/cookies");
  CHECK(head.status == status::ok);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length") == "4");  // "none"
}

namespace {

// A producer that counts how far it got and whether it was destroyed before its end.
struct producer_log {
  int written = 0;
  bool ended = false;
  bool destroyed = false;
};

struct destruction_flag {
  producer_log* log;
  ~destruction_flag() { log->destroyed = true; }
};

std::filesystem::path write_temporary_file(std::string_view content) {
  const auto path =
      std::filesystem::temp_directory_path() / ("asyncrest_test_client_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

TEST_CASE("test_client: file and stream bodies are collected; HEAD runs no producer") {
  const auto path = write_temporary_file("0123456789");
  producer_log log;
  ar::app app{ar::routes(ar::get<"/file">([path](request&) { return ar::file(path, "text/plain"); }),
                         ar::static_files<"/static">(path.parent_path()), ar::get<"/ticks">([&log](request&) {
                           return ar::stream(
                               [&log](ar::body_writer& out) -> task<void> {
                                 for (int tick = 0; tick < 3; ++tick) {
                                   co_await out.write("tick " + std::to_string(tick) + "\n");
                                   ++log.written;
                                 }
                                 log.ended = true;
                               },
                               "text/plain");
                         }),
                         ar::get<"/sized">([](request&) {
                           return ar::stream([](ar::body_writer& out) -> task<void> { co_await out.write("four"); },
                                             "text/plain", 4);
                         }),
                         ar::get<"/fails-early">([](request&) {
                           return ar::stream([](ar::body_writer&) -> task<void> {
                             throw ar::http_error(status::service_unavailable, "not now");
                             co_return;
                           });
                         }),
                         ar::get<"/fails-late">([](request&) {
                           return ar::stream([](ar::body_writer& out) -> task<void> {
                             co_await out.write("part");
                             throw std::runtime_error("the source went away");
                           });
                         }))};
  ar::test_client client{app};

  const ar::client_response file = client.get("/file");
  CHECK(file.body == "0123456789");
  CHECK(file.headers.get("Content-Length") == "10");
  CHECK(file.headers.get("Content-Type") == "text/plain");
  const ar::client_response file_head = client.head("/file");
  CHECK(file_head.body.empty());
  CHECK(file_head.headers.get("Content-Length") == "10");

  // Ranges of a static file: one is a part of the file, several a multipart stream.
  ar::headers one_range;
  one_range.set("Range", "bytes=2-4");
  const ar::client_response part = client.get("/static/" + path.filename().string(), one_range);
  CHECK(part.status == status::partial_content);
  CHECK(part.body == "234");
  CHECK(part.headers.get("Content-Range") == "bytes 2-4/10");
  ar::headers two_ranges;
  two_ranges.set("Range", "bytes=0-1,8-9");
  const ar::client_response parts = client.get("/static/" + path.filename().string(), two_ranges);
  CHECK(parts.status == status::partial_content);
  CHECK(parts.headers.get("Content-Type").value_or("").starts_with("multipart/byteranges"));
  CHECK(parts.body.find("\r\n\r\n01\r\n") != std::string::npos);
  CHECK(parts.body.find("\r\n\r\n89\r\n") != std::string::npos);

  const ar::client_response ticks = client.get("/ticks");
  CHECK(ticks.body == "tick 0\ntick 1\ntick 2\n");
  CHECK(ticks.headers.get("Transfer-Encoding") == "chunked");
  CHECK(log.ended);

  log = {};
  const ar::client_response ticks_head = client.head("/ticks");
  CHECK(ticks_head.body.empty());
  CHECK(log.written == 0);

  const ar::client_response sized = client.get("/sized");
  CHECK(sized.body == "four");
  CHECK(sized.headers.get("Content-Length") == "4");

  const ar::client_response early = client.get("/fails-early");
  CHECK(early.status == status::service_unavailable);
  CHECK(std::string_view(early.json()["detail"].get_string().value()) == "not now");

  CHECK_THROWS_AS((void)client.get("/fails-late"), ar::connection_error);

  ar::test_client small{app, {.max_body_bytes = 10}};
  CHECK_THROWS_AS((void)small.get("/ticks"), ar::protocol_error);
  std::filesystem::remove(path);
}

TEST_CASE("test_client: an endless stream is read piece by piece, and closing it cancels the producer") {
  producer_log log;
  ar::app app{ar::routes(ar::get<"/forever">([&log](request&) {
                           return ar::stream([&log](ar::body_writer& out) -> task<void> {
                             const destruction_flag flag{&log};
                             for (;;) {
                               co_await out.write(std::to_string(log.written));
                               ++log.written;
                             }
                           });
                         }),
                         ar::get<"/events">([](request&) {
                           return ar::event_stream([](ar::event_sink& events) -> task<void> {
                             co_await events.send({.event = "hello", .data = "first"});
                             co_await events.send({.data = "second"});
                             asio::steady_timer never(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
                             co_await never.async_wait(asio::use_awaitable);
                           });
                         }))};
  ar::test_client client{app};

  ar::test_response_stream forever = client.stream({ar::method::get, "/forever"});
  CHECK(forever.status() == status::ok);
  CHECK(forever.head().headers.get("Transfer-Encoding") == "chunked");
  CHECK(forever.read_some() == "0");
  CHECK(forever.read_some() == "1");
  CHECK(forever.read_some() == "2");
  CHECK_FALSE(forever.done());
  CHECK(log.written <= 3);  // the producer runs only as far as the pieces read
  CHECK_FALSE(log.destroyed);
  forever.close();
  CHECK(log.destroyed);
  CHECK(forever.done());
  CHECK(forever.read_some().empty());

  ar::test_response_stream events = client.stream({ar::method::get, "/events"});
  CHECK(events.head().headers.get("Content-Type") == "text/event-stream");
  std::string received;
  while (received.find("second") == std::string::npos) received += events.read_some();
  CHECK(received == "event: hello\ndata: first\n\ndata: second\n\n");
}

TEST_CASE("test_client: a streamed request body reaches the route in pieces, held to the route's limit") {
  ar::app app{ar::routes(
      ar::post<"/upload">([](request& req) -> task<response> {
        std::string pieces;
        for (auto piece = co_await req.read_body(); !piece.empty(); piece = co_await req.read_body()) {
          pieces += "[" + std::string(piece) + "]";
        }
        co_return ar::text(pieces);
      }).body({.max_bytes = 10, .streamed = true}),
      ar::post<"/whole">([](request& req) { return ar::text(std::string(req.body())); }).body({.max_bytes = 10}))};
  ar::test_client client{app, {.limits = {.max_body_bytes = 20}}};

  const auto streamed_request = [](std::string_view path, std::vector<std::string> pieces) {
    ar::client_request upload{ar::method::post, std::string(path)};
    upload.body_parts.push_back(ar::request_body_part::stream([pieces](ar::client_body_writer& out) -> task<void> {
      for (const std::string& piece : pieces) co_await out.write(piece);
    }));
    return upload;
  };

  const ar::client_response pieces = client.request(streamed_request("/upload", {"abc", "de", "f"}));
  CHECK(pieces.status == status::ok);
  CHECK(pieces.body == "[abc][de][f]");

  const ar::client_response too_long = client.request(streamed_request("/upload", {"abcdef", "ghijkl"}));
  CHECK(too_long.status == status::payload_too_large);
  CHECK(too_long.headers.get("Connection") == "close");
  CHECK(std::string_view(too_long.json()["detail"].get_string().value()) ==
        "the request body is larger than this route accepts");

  // Refused from its Content-Length before the handler runs; the same for a route that takes
  // its body whole, and for one past the server's limit on a route without its own.
  CHECK(client.post("/upload", "0123456789A").status == status::payload_too_large);
  CHECK(client.request(streamed_request("/whole", {"abcdef", "ghijkl"})).status == status::payload_too_large);
  CHECK(client.post("/whole", "0123456789").body == "0123456789");
}

TEST_CASE("test_client: an upgrade is refused with a clear error") {
  ar::app app{ar::routes(ar::get<"/socket">(
      [](request&) { return ar::upgrade("websocket", [](ar::upgraded_connection&) -> task<void> { co_return; }); }))};
  ar::test_client client{app};
  try {
    (void)client.get("/socket");
    FAIL("no exception");
  } catch (const ar::client_error& error) {
    CHECK(std::string_view(error.what()).find("switched protocols") != std::string_view::npos);
  }
}

TEST_CASE("test_client: a handler that waits for what nothing will do is an error, not a hang") {
  ar::app app{ar::routes(ar::get<"/stuck">([](request&) -> task<response> {
    // An operation whose completion is dropped: the event loop runs out of work.
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>([](auto&&) {}, asio::use_awaitable);
    co_return ar::text("unreachable");
  }))};
  ar::test_client client{app};
  CHECK_THROWS_AS((void)client.get("/stuck"), ar::timeout_error);
  CHECK_THROWS_AS((void)client.stream({ar::method::get, "/stuck"}), ar::timeout_error);
}

TEST_CASE("test_client: async_request runs on the awaiting coroutine's event loop") {
  auto app = make_app();
  ar::test_client client{app, {.default_headers = signed_in("bo")}};
  asio::io_context context;
  std::optional<ar::client_response> answer;
  asio::co_spawn(
      context,
      [&]() -> task<void> {
        answer = co_await client.async_request({ar::method::get, "/users/3"});
      },
      [](const std::exception_ptr& failure) {
        if (failure) std::rethrow_exception(failure);
      });
  context.run();
  REQUIRE(answer);
  CHECK(std::string_view(answer->json()["name"].get_string().value()) == "bo");
}
