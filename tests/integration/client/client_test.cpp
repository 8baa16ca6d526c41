// The HTTP client over real sockets on 127.0.0.1: requests of every method against asyncrest's
// own server, the pool (reuse, limits, idle expiry, stale connections), each kind of timeout,
// cancellation, chunked and close-delimited bodies, redirects, retries, broken servers,
// streaming, the error-code form, gather and bounded_map, and 10,000 requests without a leak.
#include <asyncrest/client/client.hpp>

#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/scripted_server.hpp>
#include <support/test_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace ar = asyncrest;
using ar::testing::expect_error;
using ar::testing::run_client;
using namespace std::chrono_literals;
using ar::testing::ok_response;
using ar::testing::scripted_connection;
using ar::testing::scripted_server;

namespace {

ar::task<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

std::size_t open_descriptors() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{}));
}

/// A port nothing listens on: bound, then closed.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint().port();
}

std::string big_body() {
  std::string text(1 << 20, 'x');
  for (std::size_t index = 0; index < text.size(); index += 1000) text[index] = static_cast<char>('a' + index % 26);
  return text;
}

auto make_app() {
  return ar::app{ar::routes(
      ar::get<"/hello">([](ar::request&) { return ar::text("hello"); }),
      ar::get<"/port">([](ar::request& req) { return ar::text(std::to_string(req.remote_endpoint().port())); }),
      ar::get<"/json">([](ar::request&) {
        return ar::json({{"name", "Ada"}, {"id", 7}});
      }),
      ar::get<"/big">([](ar::request&) { return ar::text(big_body()); }),
      ar::get<"/agent">([](ar::request& req) { return ar::text(std::string(req.header("User-Agent").value_or(""))); }),
      ar::post<"/echo">([](ar::request& req) {
        return ar::text("POST " + std::string(req.header("Content-Type").value_or("")) + " " + std::string(req.body()));
      }),
      ar::put<"/echo">([](ar::request& req) { return ar::text("PUT " + std::string(req.body())); }),
      ar::patch<"/echo">([](ar::request& req) { return ar::text("PATCH " + std::string(req.body())); }),
      ar::delete_<"/echo">([](ar::request&) { return ar::text("DELETE"); }),
      ar::get<"/hops/{count:int}">([](ar::request&, std::int64_t count) {
        if (count == 0) return ar::text("landed");
        return ar::redirect("/hops/" + std::to_string(count - 1), ar::status::found);
      }),
      ar::post<"/see-other">([](ar::request&) { return ar::redirect("/hello", ar::status::see_other); }),
      ar::get<"/teapot">([](ar::request&) { return ar::text("short and stout", static_cast<ar::status>(418)); }))};
}

// Made outside the coroutines: g++ 12 rejects string literals in braced lists inside them.
ar::json_value small_json() { return {{"k", 1}}; }

using app_server = ar::testing::test_server<decltype(&make_app)>;

std::string url(const app_server& server, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

}  // namespace

TEST_CASE("every method against asyncrest's server, with headers, JSON and status") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto hello = co_await http.get(url(server, "/hello"));
    CHECK(hello.status == ar::status::ok);
    CHECK(hello.ok());
    CHECK(hello.body == "hello");
    CHECK(hello.headers.get("Content-Type") == "text/plain; charset=utf-8");
    CHECK(hello.url == url(server, "/hello"));

    auto json = co_await http.get(url(server, "/json"));
    CHECK(json.json()["name"].get_string().value() == "Ada");
    CHECK(json.json()["id"].get_int64().value() == 7);

    CHECK((co_await http.post(url(server, "/echo"), "a body")).body == "POST text/plain; charset=utf-8 a body");
    CHECK((co_await http.post_json(url(server, "/echo"), small_json())).body == R"(POST application/json {"k":1})");
    CHECK((co_await http.put(url(server, "/echo"), "p")).body == "PUT p");
    CHECK((co_await http.patch(url(server, "/echo"), "q")).body == "PATCH q");
    CHECK((co_await http.delete_(url(server, "/echo"))).body == "DELETE");
    CHECK((co_await http.get(url(server, "/agent"))).body == "asyncrest");
    ar::headers fields;
    fields.set("User-Agent", "tests/1");
    CHECK((co_await http.get(url(server, "/agent"), fields)).body == "tests/1");

    auto head = co_await http.head(url(server, "/hello"));
    CHECK(head.status == ar::status::ok);
    CHECK(head.body.empty());
    CHECK(head.headers.get("Content-Length") == "5");

    auto missing = co_await http.get(url(server, "/nowhere"));
    CHECK(missing.status == ar::status::not_found);
    CHECK_THROWS_AS(missing.raise_for_status(), ar::http_status_error);
    auto teapot = co_await http.get(url(server, "/teapot"));
    CHECK(ar::to_number(teapot.status) == 418);

    auto general = co_await http.request({ar::method::put, url(server, "/echo"), {}, "general"});
    CHECK(general.body == "PUT general");
  });
}

TEST_CASE("raise_for_status turns 4xx and 5xx into http_status_error; try_ calls return it") {
  app_server server(&make_app);
  run_client({.raise_for_status = true}, [&](ar::client& http) -> ar::task<void> {
    const std::string what = co_await expect_error<ar::http_status_error>(http.get(url(server, "/nowhere")));
    CHECK(what.find("404") != std::string::npos);
    auto failed = co_await http.try_get(url(server, "/nowhere"));
    REQUIRE(!failed);
    CHECK(failed.error() == ar::client_errc::http_status);
    auto fine = co_await http.try_get(url(server, "/hello"));
    REQUIRE(fine);
    CHECK(fine->body == "hello");
  });
}

TEST_CASE("bad URLs and header fields are refused before anything is sent") {
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    const std::vector<std::string> bad_urls{"ftp://example.com/",         "http://",   "http://a b/",
                                            "http://host:99999/",         "/relative", "http://user:pw@host/",
                                            "http://127.0.0.1/with space"};
    for (const std::string& bad : bad_urls) {
      auto attempt = co_await http.try_get(bad);
      CHECK_MESSAGE(attempt.error() == ar::client_errc::invalid_url, bad);
    }
    ar::headers fields;
    fields.set("X-Split", "a\r\nInjected: yes");
    auto split = co_await http.try_get("http://127.0.0.1:1/", fields);
    CHECK(split.error() == ar::client_errc::invalid_request);
    auto unnamed = co_await http.try_request({ar::method::other, "http://127.0.0.1:1/"});
    CHECK(unnamed.error() == ar::client_errc::invalid_request);
  });
  asio::io_context io;
  CHECK_THROWS_AS(ar::client(io, {.user_agent = "a\r\nInjected: yes"}), std::invalid_argument);
}

TEST_CASE("the pool reuses one keep-alive connection for sequential requests") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    std::set<std::string> ports;
    for (int index = 0; index < 20; ++index) ports.insert((co_await http.get(url(server, "/port"))).body);
    CHECK(ports.size() == 1);
    CHECK(http.statistics().open_connections == 1);
    CHECK(http.statistics().idle_connections == 1);
    http.close_idle_connections();
    CHECK(http.statistics().open_connections == 0);
    ports.insert((co_await http.get(url(server, "/port"))).body);
    CHECK(ports.size() == 2);
  });
}

TEST_CASE("no more connections per host than the limit, however many requests wait") {
  scripted_server server(ar::testing::answer_each([](const std::string&) {
    std::this_thread::sleep_for(20ms);  // long enough for requests to pile up
    return ok_response("done");
  }));
  run_client({.pool = {.max_connections_per_host = 3}}, [&](ar::client& http) -> ar::task<void> {
    std::vector<ar::task<ar::client_response>> calls;
    for (int index = 0; index < 12; ++index) calls.push_back(http.get(server.url()));
    auto results = co_await ar::when_all(std::move(calls));
    for (auto& outcome : results) CHECK(outcome->body == "done");
    CHECK(http.statistics().open_connections == 3);
  });
  CHECK(server.connections() == 3);
  CHECK(server.most_at_once() == 3);
}

TEST_CASE("the total limit spans origins") {
  std::atomic<int> served{0};
  auto script = ar::testing::answer_each([&](const std::string&) {
    ++served;
    std::this_thread::sleep_for(10ms);
    return ok_response("ok");
  });
  scripted_server first(script);
  scripted_server second(script);
  run_client({.pool = {.max_connections_per_host = 10, .max_connections = 2}}, [&](ar::client& http) -> ar::task<void> {
    std::vector<ar::task<ar::client_response>> calls;
    for (int index = 0; index < 6; ++index) calls.push_back(http.get((index % 2 == 0 ? first : second).url()));
    auto results = co_await ar::when_all(std::move(calls));
    for (auto& outcome : results) CHECK(outcome.has_value());
    CHECK(http.statistics().open_connections <= 2);
  });
  CHECK(served == 6);
  CHECK(first.most_at_once() + second.most_at_once() <= 3);  // one may close as another opens
}

TEST_CASE("an idle connection past idle_timeout is not reused") {
  app_server server(&make_app);
  run_client({.pool = {.idle_timeout = 50ms}}, [&](ar::client& http) -> ar::task<void> {
    const std::string first = (co_await http.get(url(server, "/port"))).body;
    CHECK(first == (co_await http.get(url(server, "/port"))).body);
    co_await sleep_for(120ms);
    CHECK(first != (co_await http.get(url(server, "/port"))).body);
    CHECK(http.statistics().open_connections == 1);
  });
}

TEST_CASE("a connection the server closed while idle is noticed before it is used") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    if (connection.read_request().empty()) return;
    connection.write(ok_response("once"));  // keep-alive, then closed by the script's end
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get(server.url())).body == "once");
    co_await sleep_for(50ms);  // the server's close arrives
    // A POST is never retried: sent on the closed connection, it would fail with
    // connection_closed. Only noticing the close before use gives it a new connection.
    auto second = co_await http.try_post(server.url(), "x");
    REQUIRE_MESSAGE(second.has_value(), second.error_details().message);
    CHECK(second->body == "once");
  });
  CHECK(server.connections() == 2);
}

TEST_CASE("a request that meets a connection closed under it is retried once, if idempotent") {
  // Each connection answers one request, then reads the next and closes without answering, as
  // a server timing out an idle connection at the wrong moment does.
  auto script = [](scripted_connection& connection, std::size_t) {
    if (connection.read_request().empty()) return;
    connection.write(ok_response("answered"));
    (void)connection.read_request();
  };
  {
    scripted_server server(script);
    run_client({}, [&](ar::client& http) -> ar::task<void> {
      CHECK((co_await http.get(server.url())).body == "answered");
      CHECK((co_await http.get(server.url())).body == "answered");  // retried on a new connection
    });
    CHECK(server.connections() == 2);
  }
  {
    scripted_server server(script);
    run_client({}, [&](ar::client& http) -> ar::task<void> {
      CHECK((co_await http.post(server.url(), "x")).body == "answered");
      auto second = co_await http.try_post(server.url(), "x");  // may have been applied: not repeated
      CHECK(second.error() == ar::client_errc::connection_closed);
    });
    CHECK(server.connections() == 1);
  }
}

TEST_CASE("timeouts: connect, read and total are told apart") {
  SUBCASE("read: the server never answers") {
    scripted_server server([](scripted_connection& connection, std::size_t) {
      (void)connection.read_request();
      connection.wait_for_close();
    });
    run_client({.timeouts = {.read = 100ms}}, [&](ar::client& http) -> ar::task<void> {
      auto outcome = co_await http.try_get(server.url());
      CHECK(outcome.error() == ar::client_errc::read_timeout);
      CHECK_THROWS_AS(outcome.value(), ar::timeout_error);
      CHECK(http.statistics().open_connections == 0);
    });
  }
  SUBCASE("total: the server trickles, each byte in time but the whole too slow") {
    scripted_server server([](scripted_connection& connection, std::size_t) {
      (void)connection.read_request();
      const std::string reply = ok_response(std::string(100, 'z'));
      for (const char byte : reply) {
        if (!connection.write(std::string_view(&byte, 1))) return;
        std::this_thread::sleep_for(10ms);
      }
    });
    run_client({.timeouts = {.read = 1s, .total = 150ms}}, [&](ar::client& http) -> ar::task<void> {
      auto outcome = co_await http.try_get(server.url());
      CHECK(outcome.error() == ar::client_errc::total_timeout);
    });
  }
  SUBCASE("a request's own timeout replaces the client's total") {
    scripted_server server([](scripted_connection& connection, std::size_t) {
      (void)connection.read_request();
      connection.wait_for_close();
    });
    run_client({}, [&](ar::client& http) -> ar::task<void> {
      ar::client_request request{ar::method::get, server.url()};
      request.timeout = 100ms;
      auto outcome = co_await http.try_request(std::move(request));
      CHECK(outcome.error() == ar::client_errc::total_timeout);
    });
  }
  SUBCASE("connect: the TLS handshake, part of connecting, gets no answer") {
    // (A TCP connect cannot be stalled portably on loopback: a full backlog is absorbed by SYN
    // cookies. A server that accepts and stays silent stalls the TLS handshake instead.)
    scripted_server server([](scripted_connection& connection, std::size_t) { connection.wait_for_close(); });
    run_client({.timeouts = {.connect = 100ms}}, [&](ar::client& http) -> ar::task<void> {
      auto outcome = co_await http.try_get("https://127.0.0.1:" + std::to_string(server.port()) + "/");
      CHECK(outcome.error() == (ar::detail::client_has_tls ? ar::make_error_code(ar::client_errc::connect_timeout)
                                                           : ar::make_error_code(ar::client_errc::tls_unavailable)));
      CHECK(http.statistics().open_connections == 0);
    });
  }
}

TEST_CASE("the total timeout also bounds the wait for a pooled connection") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    (void)connection.read_request();
    connection.wait_for_close();
  });
  run_client({.pool = {.max_connections_per_host = 1}}, [&](ar::client& http) -> ar::task<void> {
    ar::client_request holder{ar::method::get, server.url()};
    holder.timeout = 300ms;
    ar::client_request waiter{ar::method::get, server.url()};
    waiter.timeout = 100ms;
    std::vector<ar::task<ar::result<ar::client_response>>> calls;
    calls.push_back(http.try_request(std::move(holder)));
    calls.push_back(http.try_request(std::move(waiter)));
    auto results = co_await ar::when_all(std::move(calls));
    CHECK(results[0]->error() == ar::client_errc::total_timeout);
    CHECK(results[1]->error() == ar::client_errc::total_timeout);
    CHECK(http.statistics().open_connections == 0);
  });
  CHECK(server.connections() == 1);  // the waiting request never had a connection of its own
}

TEST_CASE("a request cancelled by a racing timer closes its connection and leaves the pool usable") {
  using namespace asio::experimental::awaitable_operators;
  std::atomic<int> calls{0};
  scripted_server server([&](scripted_connection& connection, std::size_t) {
    for (;;) {
      const std::string request = connection.read_request();
      if (request.empty()) return;
      if (request.find("/slow") != std::string::npos) {
        ++calls;
        connection.wait_for_close();
        return;
      }
      connection.write(ok_response("quick"));
    }
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    auto winner = co_await (http.get(server.url("/slow")) || timer.async_wait(asio::use_awaitable));
    CHECK(winner.index() == 1);
    CHECK(http.statistics().open_connections == 0);
    CHECK((co_await http.get(server.url("/fast"))).body == "quick");
  });
  CHECK(calls == 1);
}

TEST_CASE("chunked bodies, close-delimited bodies, interim responses") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    for (;;) {
      const std::string request = connection.read_request();
      if (request.empty()) return;
      if (request.starts_with("GET /chunked")) {
        connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        std::this_thread::sleep_for(5ms);
        connection.write("1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: t\r\n\r\n");
      } else if (request.starts_with("GET /interim")) {
        connection.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                         ok_response("final"));
      } else {
        connection.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
        return;
      }
    }
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto chunked = co_await http.get(server.url("/chunked"));
    CHECK(chunked.body == "hello world");
    auto interim = co_await http.get(server.url("/interim"));
    CHECK(interim.status == ar::status::ok);
    CHECK(interim.body == "final");
    CHECK(!interim.headers.contains("Link"));
    CHECK(http.statistics().idle_connections == 1);
    auto delimited = co_await http.get(server.url("/close"));
    CHECK(delimited.body == "until the end");
    CHECK(http.statistics().open_connections == 0);  // a close-delimited body ends its connection
  });
  CHECK(server.connections() == 1);
}

TEST_CASE("broken responses are protocol or connection errors, never a hang") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    const std::string request = connection.read_request();
    if (request.starts_with("GET /mid-body")) {
      connection.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    } else if (request.starts_with("GET /garbage")) {
      connection.write("HTTP/1.1 2OO OK\r\n\r\n");
    } else if (request.starts_with("GET /smuggle")) {
      connection.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    } else if (request.starts_with("GET /nothing")) {
      // closes at once
    } else if (request.starts_with("GET /large")) {
      connection.write(ok_response(std::string(5000, 'L')));
    }
  });
  run_client({.max_body_bytes = 1000}, [&](ar::client& http) -> ar::task<void> {
    auto mid_body = co_await http.try_get(server.url("/mid-body"));
    CHECK(mid_body.error() == ar::client_errc::connection_closed);
    CHECK_THROWS_AS(mid_body.value(), ar::connection_error);
    auto garbage = co_await http.try_get(server.url("/garbage"));
    CHECK(garbage.error() == ar::client_errc::malformed_response);
    CHECK_THROWS_AS(garbage.value(), ar::protocol_error);
    auto smuggle = co_await http.try_get(server.url("/smuggle"));
    CHECK(smuggle.error() == ar::client_errc::malformed_response);
    auto nothing = co_await http.try_get(server.url("/nothing"));
    CHECK(nothing.error() == ar::client_errc::connection_closed);
    auto large = co_await http.try_get(server.url("/large"));
    CHECK(large.error() == ar::client_errc::response_too_large);
    CHECK(http.statistics().open_connections == 0);
  });
}

TEST_CASE("redirects are followed only when asked, up to the limit") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto not_followed = co_await http.get(url(server, "/hops/2"));
    CHECK(not_followed.status == ar::status::found);
    CHECK(not_followed.headers.get("Location") == "/hops/1");
  });
  run_client({.redirects = {.max_redirects = 5}}, [&](ar::client& http) -> ar::task<void> {
    auto landed = co_await http.get(url(server, "/hops/3"));
    CHECK(landed.body == "landed");
    CHECK(landed.url == url(server, "/hops/0"));
    auto too_far = co_await http.try_get(url(server, "/hops/6"));
    CHECK(too_far.error() == ar::client_errc::too_many_redirects);
    auto see_other = co_await http.post(url(server, "/see-other"), "data");
    CHECK(see_other.body == "hello");  // 303: followed with GET
  });
}

TEST_CASE("retries with backoff for idempotent requests, on statuses and on connect failures") {
  std::atomic<int> attempts{0};
  scripted_server server(ar::testing::answer_each([&](const std::string&) {
    return ++attempts < 3 ? ok_response("busy", "503 Service Unavailable") : ok_response("finally");
  }));
  const ar::client_settings retrying{.retries = {.max_retries = 3, .initial_backoff = 5ms}};
  run_client(retrying,
             [&](ar::client& http) -> ar::task<void> { CHECK((co_await http.get(server.url())).body == "finally"); });
  CHECK(attempts == 3);

  attempts = 0;
  run_client(retrying, [&](ar::client& http) -> ar::task<void> {
    auto posted = co_await http.post(server.url(), "x");
    CHECK(posted.status == ar::status::service_unavailable);  // POST is not retried by default
  });
  CHECK(attempts == 1);

  attempts = 0;
  run_client({.retries = {.max_retries = 1, .initial_backoff = 5ms}}, [&](ar::client& http) -> ar::task<void> {
    auto gave_up = co_await http.get(server.url());
    CHECK(gave_up.status == ar::status::service_unavailable);  // the last attempt's answer
  });
  CHECK(attempts == 2);

  run_client(retrying, [&](ar::client& http) -> ar::task<void> {
    auto refused = co_await http.try_get("http://127.0.0.1:" + std::to_string(closed_port()) + "/");
    CHECK(refused.error() == ar::client_errc::connect_failed);
    CHECK_THROWS_AS(refused.value(), ar::connect_error);
  });
}

TEST_CASE("a streamed body arrives in pieces and the connection returns to the pool at its end") {
  app_server server(&make_app);
  run_client({.max_body_bytes = 1024}, [&](ar::client& http) -> ar::task<void> {
    auto stream = co_await http.stream({ar::method::get, url(server, "/big")});
    CHECK(stream.status() == ar::status::ok);
    CHECK(stream.head().headers.get("Content-Length") == std::to_string(1 << 20));
    std::string body;
    std::size_t pieces = 0;
    for (;;) {
      const std::string_view piece = co_await stream.read_some();
      if (piece.empty()) break;
      CHECK(piece.size() <= 64 * 1024);
      body.append(piece);
      ++pieces;
    }
    CHECK(stream.done());
    CHECK(body == big_body());  // far over max_body_bytes, which applies to whole bodies only
    CHECK(pieces > 1);
    CHECK(http.statistics().idle_connections == 1);

    {
      auto abandoned = co_await http.stream({ar::method::get, url(server, "/big")});
      CHECK(!(co_await abandoned.read_some()).empty());
    }
    CHECK(http.statistics().idle_connections == 0);  // half-read: closed, not pooled
  });
}

TEST_CASE("gather: three origins at once, one of them down, each result its own") {
  app_server first(&make_app);
  app_server second(&make_app);
  const std::uint16_t down = closed_port();
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto [a, b, c] =
        co_await ar::gather(http.get(url(first, "/hello")), http.get("http://127.0.0.1:" + std::to_string(down) + "/"),
                            http.get(url(second, "/json")));
    REQUIRE(a);
    CHECK(a->body == "hello");
    REQUIRE(!b);
    CHECK(b.error() == ar::client_errc::connect_failed);
    CHECK_THROWS_AS(b.value(), ar::connect_error);
    REQUIRE(c);
    CHECK(c->json()["id"].get_int64().value() == 7);

    auto [none] = co_await ar::gather(sleep_for(1ms));
    CHECK(none.has_value());
  });
}

TEST_CASE("10,000 requests through a pool of 100 connections, with at most 200 in flight, leak nothing") {
  // Counted with the server stopped too: it runs in this process, so its sockets count.
  const std::size_t descriptors_before = open_descriptors();
  std::set<std::string> ports;
  {
    app_server server(&make_app);
    run_client({.pool = {.max_connections_per_host = 100}}, [&](ar::client& http) -> ar::task<void> {
      std::vector<std::string> urls(10000, url(server, "/port"));
      auto results = co_await ar::bounded_map(urls, 200, [&](const std::string& target) { return http.get(target); });
      REQUIRE(results.size() == 10000);
      std::size_t succeeded = 0;
      for (auto& outcome : results) {
        if (outcome) {
          ++succeeded;
          ports.insert(outcome->body);
        }
      }
      CHECK(succeeded == 10000);
      CHECK(http.statistics().open_connections <= 100);
    });
  }
  CHECK(ports.size() <= 100);
  CHECK(open_descriptors() == descriptors_before);
}

TEST_CASE("bounded_map keeps results in input order and at most K in flight") {
  run_client({}, [&](ar::client&) -> ar::task<void> {
    int in_flight = 0;
    int most = 0;
    std::vector<int> inputs{5, 1, 4, 2, 3, 0, 6};
    auto results = co_await ar::bounded_map(inputs, 3, [&](int value) -> ar::task<int> {
      most = std::max(most, ++in_flight);
      co_await sleep_for(std::chrono::milliseconds(value));
      --in_flight;
      if (value == 4) throw std::runtime_error("four");
      co_return value * 10;
    });
    CHECK(most == 3);
    REQUIRE(results.size() == inputs.size());
    for (std::size_t index = 0; index < inputs.size(); ++index) {
      if (inputs[index] == 4) {
        CHECK(results[index].error_details().message == "four");
      } else {
        CHECK(*results[index] == inputs[index] * 10);
      }
    }
  });
}

/// A handler's work: a client on the handler's own executor calls the backend.
ar::task<ar::response> call_backend(std::string backend_url) {
  ar::client http(co_await asio::this_coro::executor);
  auto upstream = co_await http.get(backend_url);
  const std::string name(upstream.json()["name"].get_string().value());
  co_return ar::text("upstream says " + name);
}

TEST_CASE("a client inside a server handler calls another service") {
  app_server backend(&make_app);
  const std::string backend_url = url(backend, "/json");
  auto make_front = [&backend_url] {
    return ar::app{ar::routes(ar::get<"/proxy">([&backend_url](ar::request&) { return call_backend(backend_url); }))};
  };
  ar::testing::test_server front(make_front);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get("http://127.0.0.1:" + std::to_string(front.port()) + "/proxy")).body ==
          "upstream says Ada");
  });
}

ar::task<ar::response> read_backend_json(std::string backend_url, std::string member) {
  ar::client http(co_await asio::this_coro::executor);
  auto upstream = co_await http.get(backend_url);
  co_return ar::text(std::string(upstream.json()[member].get_string().value()));
}

ar::task<ar::response> call_with_short_read_timeout(std::string target) {
  ar::client_settings settings;
  settings.timeouts.read = 50ms;
  ar::client http(co_await asio::this_coro::executor, settings);
  co_return ar::text((co_await http.get(target)).body);
}

TEST_CASE("another service's failure is a 502 or 504, never the caller's 400") {
  app_server backend(&make_app);
  const std::string json_url = url(backend, "/json");
  const std::string text_url = url(backend, "/hello");  // "hello": not JSON
  const std::string down_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  scripted_server silent([](scripted_connection& connection, std::size_t) {
    if (connection.read_request().empty()) return;
    std::this_thread::sleep_for(500ms);  // past the front's read timeout, without answering
  });
  auto make_front = [&] {
    return ar::app{
        ar::routes(ar::get<"/not-json">([&](ar::request&) { return read_backend_json(text_url, "name"); }),
                   ar::get<"/missing-member">([&](ar::request&) { return read_backend_json(json_url, "nobody"); }),
                   ar::get<"/down">([&](ar::request&) { return read_backend_json(down_url, "name"); }),
                   ar::get<"/slow">([&](ar::request&) { return call_with_short_read_timeout(silent.url()); }),
                   ar::post<"/own-body">([](ar::request& req) {
                     return ar::text(std::string(req.json()["name"].get_string().value()));
                   }))};
  };
  ar::testing::test_server front(make_front);
  const std::string front_url = "http://127.0.0.1:" + std::to_string(front.port());
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    // The other service answered, but not with JSON: its fault.
    auto not_json = co_await http.get(front_url + "/not-json");
    CHECK(ar::to_number(not_json.status) == 502);
    CHECK(not_json.body.find("hello") == std::string::npos);  // nothing of the other service leaks
    // A shape error in a document that is not the request's body: the server's fault.
    CHECK(ar::to_number((co_await http.get(front_url + "/missing-member")).status) == 500);
    CHECK(ar::to_number((co_await http.get(front_url + "/down")).status) == 502);
    CHECK(ar::to_number((co_await http.get(front_url + "/slow")).status) == 504);
    // The request's own body of another shape stays the caller's fault.
    CHECK(ar::to_number((co_await http.post(front_url + "/own-body", R"({"other": 1})")).status) == 400);
    CHECK((co_await http.post(front_url + "/own-body", R"({"name": "Ada"})")).body == "Ada");
  });
}

TEST_CASE("client_response::json() on a body that is not JSON is a protocol_error") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto response = co_await http.get(url(server, "/hello"));
    try {
      (void)response.json();
      FAIL("no exception");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::invalid_json);
      CHECK(std::string(error.what()).find("/hello") != std::string::npos);
    }
  });
}

TEST_CASE("https:// without asyncrest::tls, or to a plain server, fails clearly") {
  app_server server(&make_app);
  run_client({.timeouts = {.connect = 2s}}, [&](ar::client& http) -> ar::task<void> {
    auto outcome = co_await http.try_get("https://127.0.0.1:" + std::to_string(server.port()) + "/hello");
    REQUIRE(!outcome);
    if (ar::detail::client_has_tls) {
      CHECK(outcome.error() == ar::client_errc::tls_failed);
    } else {
      CHECK(outcome.error() == ar::client_errc::tls_unavailable);
      CHECK(outcome.error_details().message.find("asyncrest::tls") != std::string::npos);
    }
  });
}

TEST_CASE("a client used from another execution context refuses at once") {
  asio::io_context home;
  asio::io_context elsewhere;
  ar::client http{home};
  std::exception_ptr failure;
  asio::co_spawn(elsewhere, http.get("http://127.0.0.1:1/"),
                 [&](std::exception_ptr error, const ar::client_response&) { failure = error; });
  elsewhere.run();
  REQUIRE(failure);
  CHECK_THROWS_AS(std::rethrow_exception(failure), std::logic_error);
}
