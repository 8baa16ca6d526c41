// The client's event source over real sockets: a tricky stream from a scripted server, cut at
// every byte, close-delimited and chunked; reconnecting with Last-Event-ID after the server's
// retry:, and 204 ending it; the failures that close it; cancellation and close(); an endless
// line; asyncrest's own server over plain TCP and TLS; and which timeout applies between events.
#include <asyncrest/client/events.hpp>

#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/scripted_server.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::run_client;
using ar::testing::scripted_connection;
using ar::testing::scripted_server;
using ar::testing::wait_until;

namespace {

ar::task<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// Views, not strings: g++ 12 miscompiles a temporary aggregate holding strings made inside a
// co_await expression, which is where these are made.
struct expected_event {
  std::string_view event;
  std::string_view data;
  std::string_view id;
};

void check_event(const std::optional<ar::received_event>& got, const expected_event& wanted) {
  REQUIRE(got.has_value());
  CHECK(got->event == wanted.event);
  CHECK(got->data == wanted.data);
  CHECK(got->id == wanted.id);
}

// A BOM; CRLF, CR and LF, and CR LF CRLF in a row; one space removed after the colon, and only
// one; a field with no colon; a comment; an unknown field; an id with NUL (ignored); retry with
// a letter (ignored); a named event with no data (not dispatched); an unfinished last event.
const std::string tricky = std::string("\xEF\xBB\xBF") +
                           "data: a\r\n"
                           "data:b\r"
                           "data:  c\n"
                           "\n"
                           ": a comment\r\n"
                           "event: update\n"
                           "id: 7\n"
                           "unknown: field\n"
                           "data\n"
                           "\n" +
                           std::string("id: bad\0id\n", 11) +
                           "data: y\r\n"
                           "\r\n"
                           "retry: 12a\r"
                           "event: named but empty\r"
                           "\r"
                           "data: one\r\r\n\n"
                           "data: never finished\n";
const std::vector<expected_event> tricky_events{
    {"message", "a\nb\n c", ""}, {"update", "", "7"}, {"message", "y", "7"}, {"message", "one", "7"}};

std::string chunk(std::string_view data) {
  char size[20];
  const int length = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size, static_cast<std::size_t>(length)) + std::string(data) + "\r\n";
}

/// Requests the scripted servers received, in order.
struct request_log {
  std::mutex mutex;
  std::vector<std::string> requests;
  void add(std::string request) {
    std::lock_guard lock(mutex);
    requests.push_back(std::move(request));
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return requests;
  }
};

/// A 200 text/event-stream head with `fields` (each ending in CRLF) and the blank line, then
/// `body`. (Appended piece by piece: g++ 12 at -O2 warns falsely about chains of `+`.)
std::string event_stream_head(std::string_view fields, std::string_view body = "") {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
  head.append(fields);
  head.append("\r\n");
  head.append(body);
  return head;
}

}  // namespace

TEST_CASE("a tricky stream, cut at every byte, close-delimited and chunked, gives the same events") {
  // Connection n sends the first n bytes, pauses, then the rest: a CRLF, the BOM and the NUL
  // are each cut somewhere. Even connections are close-delimited, odd ones chunked.
  scripted_server server([](scripted_connection& connection, std::size_t index) {
    connection.read_request();
    const std::size_t cut = std::min(index, tricky.size());
    const bool chunked = index % 2 == 1;
    connection.write(event_stream_head(chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n"));
    for (const std::string_view piece :
         {std::string_view(tricky).substr(0, cut), std::string_view(tricky).substr(cut)}) {
      if (piece.empty()) continue;
      connection.write(chunked ? chunk(piece) : std::string(piece));
      std::this_thread::sleep_for(2ms);
    }
    connection.wait_for_close();
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    for (std::size_t cut = 0; cut <= tricky.size(); ++cut) {
      CAPTURE(cut);
      ar::event_source source = http.events(server.url("/events"));
      for (const expected_event& wanted : tricky_events) check_event(co_await source.next(), wanted);
      CHECK(source.last_event_id() == "7");
    }
  });
  CHECK(server.connections() == tricky.size() + 1);  // none reconnected
}

TEST_CASE("after the server ends the stream, the source reconnects after its retry: with Last-Event-ID; 204 stops it") {
  request_log log;
  scripted_server server([&](scripted_connection& connection, std::size_t index) {
    log.add(connection.read_request());
    if (index == 0) {
      connection.write(event_stream_head("Connection: close\r\n", "retry: 10\nid: 1\ndata: one\n\n"));
    } else if (index == 1) {
      // The unfinished event is dropped when the connection ends.
      connection.write(event_stream_head("Connection: close\r\n", "id: 2\ndata: two\n\ndata: cut off by the clo"));
    } else {
      connection.write("HTTP/1.1 204 No Content\r\n\r\n");
    }
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::event_source source = http.events(server.url("/events"), {.retry = 20s});
    check_event(co_await source.next(), {"message", "one", "1"});
    CHECK(source.retry_delay() == 10ms);  // the server's, not the 20 s asked for here
    check_event(co_await source.next(), {"message", "two", "2"});
    CHECK_FALSE(co_await source.next());
    CHECK_FALSE(co_await source.next());  // and stays ended
  });
  const auto requests = log.all();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].find("Last-Event-ID") == std::string::npos);
  CHECK(requests[0].find("Accept: text/event-stream\r\n") != std::string::npos);
  CHECK(requests[0].find("Cache-Control: no-cache\r\n") != std::string::npos);
  CHECK(requests[1].find("Last-Event-ID: 1\r\n") != std::string::npos);
  CHECK(requests[2].find("Last-Event-ID: 2\r\n") != std::string::npos);
}

TEST_CASE("a status other than 200 or a Content-Type other than text/event-stream fails, without reconnecting") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    const std::string request = connection.read_request();
    if (request.find("/unavailable") != std::string::npos) {
      connection.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
      connection.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    }
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::event_source unavailable = http.events(server.url("/unavailable"));
    try {
      co_await unavailable.next();
      FAIL("no error");
    } catch (const ar::http_status_error& error) {
      CHECK(error.status() == ar::status::service_unavailable);
    }
    CHECK_FALSE(co_await unavailable.next());  // closed
    ar::event_source plain = http.events(server.url("/plain"));
    try {
      co_await plain.next();
      FAIL("no error");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::not_event_stream);
    }
  });
  CHECK(server.connections() == 2);
}

TEST_CASE("a server that cannot be reached is retried, up to max_failed_attempts") {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    port = acceptor.local_endpoint().port();
  }
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::event_source source =
        http.events("http://127.0.0.1:" + std::to_string(port) + "/events", {.retry = 5ms, .max_failed_attempts = 3});
    CHECK_THROWS_AS(co_await source.next(), ar::connect_error);
  });
}

TEST_CASE("next() is cancelled through its cancellation slot, or ended by close(); the connection is dropped") {
  std::atomic<int> closed_by_client{0};
  scripted_server server([&](scripted_connection& connection, std::size_t) {
    connection.read_request();
    connection.write(event_stream_head("Transfer-Encoding: chunked\r\n", chunk(": hello\n")));
    connection.wait_for_close();
    ++closed_by_client;
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    using namespace asio::experimental::awaitable_operators;
    {
      ar::event_source source = http.events(server.url("/events"));
      const auto first = co_await (source.next() || sleep_for(50ms));
      CHECK(first.index() == 1);  // the timer won; next() was cancelled
      CHECK_FALSE(co_await source.next());
    }
    {
      ar::event_source source = http.events(server.url("/events"));
      asio::cancellation_signal cancel;
      std::exception_ptr outcome;
      bool done = false;
      asio::co_spawn(co_await asio::this_coro::executor, source.next(),
                     asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error, auto) {
                       outcome = error;
                       done = true;
                     }));
      co_await sleep_for(50ms);
      cancel.emit(asio::cancellation_type::terminal);
      while (!done) co_await sleep_for(1ms);
      REQUIRE(outcome);
      try {
        std::rethrow_exception(outcome);
      } catch (const ar::client_error& error) {
        CHECK(error.code() == ar::client_errc::cancelled);
      }
    }
    {
      ar::event_source source = http.events(server.url("/events"));
      std::optional<ar::received_event> got{ar::received_event{}};
      std::exception_ptr outcome;
      bool done = false;
      asio::co_spawn(co_await asio::this_coro::executor, source.next(),
                     [&](std::exception_ptr error, std::optional<ar::received_event> event) {
                       outcome = error;
                       got = std::move(event);
                       done = true;
                     });
      co_await sleep_for(50ms);
      source.close();
      while (!done) co_await sleep_for(1ms);
      CHECK_FALSE(outcome);
      CHECK_FALSE(got);
    }
  });
  CHECK(wait_until([&] { return closed_by_client == 3; }));
}

TEST_CASE("a server that sends an endless line gets an error once the line passes max_event_bytes") {
  scripted_server server([](scripted_connection& connection, std::size_t) {
    connection.read_request();
    connection.write(event_stream_head("Connection: close\r\n", "data: "));
    const std::string endless(64 * 1024, 'x');
    while (connection.write(endless)) {
    }
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::event_source source = http.events(server.url("/events"), {.max_event_bytes = 256 * 1024});
    try {
      co_await source.next();
      FAIL("no error");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::response_too_large);
    }
    CHECK_FALSE(co_await source.next());
  });
  CHECK(server.connections() == 1);
}

namespace {

std::atomic<int> quiet_connections{0};

auto make_app() {
  return ar::app{ar::routes(
      // Three events; resumed after the third; then 204.
      ar::get<"/feed">([](ar::request& req) -> ar::response {
        if (req.header("Last-Event-ID") == "4") return ar::empty(ar::status::no_content);
        return ar::event_stream(
            [](ar::event_sink& events) -> ar::task<void> {
              if (events.last_event_id().empty()) {
                for (int number = 1; number <= 3; ++number) {
                  std::string data = "event ";
                  data += std::to_string(number);
                  co_await events.send({.data = data, .id = std::to_string(number)});
                }
              } else {
                std::string data = "after ";
                data += events.last_event_id();
                co_await events.send({.event = "resumed", .data = data, .id = "4"});
              }
            },
            {.heartbeat = 0ms, .retry = 10ms});
      }),
      // "a", 400 ms of silence (heartbeats aside), "b"; a client resuming after "a" gets "b" at once.
      ar::get<"/quiet/{heartbeat:int}">([](ar::request&, int heartbeat) {
        ++quiet_connections;
        return ar::event_stream(
            [](ar::event_sink& events) -> ar::task<void> {
              if (events.last_event_id().empty()) {
                co_await events.send({.data = "a", .id = "1"});
                co_await sleep_for(400ms);
              }
              co_await events.send({.data = "b", .id = "2"});
            },
            {.heartbeat = std::chrono::milliseconds(heartbeat), .retry = 10ms});
      }))};
}

struct app_factory {
  auto operator()() const { return make_app(); }
};
using server_type = ar::testing::test_server<app_factory>;

ar::task<void> read_feed(ar::client& http, std::string url) {
  ar::event_source source = http.events(std::move(url));
  check_event(co_await source.next(), {"message", "event 1", "1"});
  check_event(co_await source.next(), {"message", "event 2", "2"});
  check_event(co_await source.next(), {"message", "event 3", "3"});
  check_event(co_await source.next(), {"resumed", "after 3", "4"});
  CHECK_FALSE(co_await source.next());
}

}  // namespace

TEST_CASE("against asyncrest's server: events, a reconnection that resumes, and 204") {
  server_type server{app_factory{}};
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    co_await read_feed(http, "http://127.0.0.1:" + std::to_string(server.port()) + "/feed");
  });
}

TEST_CASE("against asyncrest's server over TLS, heartbeats included") {
  ar::testing::test_certificates certificates;
  server_type server{app_factory{}, certificates.server_tls_settings()};
  const std::string origin = "https://localhost:" + std::to_string(server.port());
  run_client({.tls = {.ca_file = certificates.ca_file()}}, [&](ar::client& http) -> ar::task<void> {
    co_await read_feed(http, origin + "/feed");
    quiet_connections = 0;
    ar::event_source quiet = http.events(origin + "/quiet/20", {.idle_timeout = 150ms});
    check_event(co_await quiet.next(), {"message", "a", "1"});
    check_event(co_await quiet.next(), {"message", "b", "2"});
    CHECK(quiet_connections == 1);  // the heartbeats, through TLS, kept it under idle_timeout
  });
}

TEST_CASE("between events the client's read timeout does not apply; idle_timeout does, and heartbeats reset it") {
  server_type server{app_factory{}};
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port()) + "/quiet/";
  ar::client_settings settings;
  settings.timeouts.read = 100ms;  // far shorter than the silence
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    struct run {
      int heartbeat;
      std::chrono::milliseconds idle_timeout;
      int connections;
    };
    for (const run each : {run{0, 0ms, 1}, run{20, 150ms, 1}, run{0, 150ms, 2}}) {
      CAPTURE(each.heartbeat);
      CAPTURE(each.idle_timeout.count());
      quiet_connections = 0;
      ar::event_source source = http.events(base + std::to_string(each.heartbeat), {.idle_timeout = each.idle_timeout});
      check_event(co_await source.next(), {"message", "a", "1"});
      check_event(co_await source.next(), {"message", "b", "2"});
      CHECK(quiet_connections == each.connections);
    }
  });
}
