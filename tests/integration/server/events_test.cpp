// Server-Sent Events from the server, over real sockets: the framing of every kind of field and
// line end, read as raw bytes; the head; Last-Event-ID, and the request memory a waiting stream
// gives back; curl reading a live stream; heartbeats, and that they never interleave with an
// event a slow reader holds up; a client that leaves (found by a send, or by a heartbeat while
// the producer waits on a timer); and the drain.
#include <asyncrest/asyncrest.hpp>
#include <asyncrest/server/detail/request_memory.hpp>  // the pool a waiting stream gives back to

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::raw_client;
using ar::testing::test_server;
using ar::testing::wait_until;

namespace {

/// What the producers report to the test, from the server's thread.
struct probe {
  std::atomic<int> started{0};
  std::atomic<int> waiting{0};       // producers waiting on their long timer
  std::atomic<int> cancelled{0};     // ... whose wait was cancelled
  std::atomic<int> saw_stop{0};      // ... and that saw stop_requested() then
  std::atomic<int> closed_sends{0};  // sends that threw stream_closed
  std::atomic<int> refused{0};       // sends refused with invalid_argument
  std::atomic<int> big_events_sent{0};
  std::atomic<int> huge_sending{0};  // a send of 8 MiB has begun
  std::atomic<bool> release{false};  // lets /live and /memory send their last event
  std::atomic<int> pooled{-1};       // request memories in the server thread's pool, seen by /memory
};

struct table_row {
  ar::server_sent_event event;
  std::string_view bytes;  // what goes on the wire, inside one chunk
};

// The framing table: each kind of field, and data with every line end.
const std::array<table_row, 13> framing_table{{
    {{.data = "hello"}, "data: hello\n\n"},
    {{.data = "a\nb"}, "data: a\ndata: b\n\n"},
    {{.data = "a\rb"}, "data: a\ndata: b\n\n"},
    {{.data = "a\r\nb"}, "data: a\ndata: b\n\n"},
    {{.data = "a\n\nb"}, "data: a\ndata: \ndata: b\n\n"},
    {{.data = "a\r\n"}, "data: a\ndata: \n\n"},
    {{.data = "\r\r\n\n"}, "data: \ndata: \ndata: \ndata: \n\n"},
    {{.data = ""}, "data: \n\n"},
    {{.data = " leading space"}, "data:  leading space\n\n"},
    {{.event = "update", .data = "x", .id = "42", .retry = 2500ms}, "event: update\nid: 42\nretry: 2500\ndata: x\n\n"},
    {{.data = "x", .id = ""}, "id: \ndata: x\n\n"},
    {{.data = "{\"price\": 1.08}", .id = "caf\xc3\xa9"}, "id: caf\xc3\xa9\ndata: {\"price\": 1.08}\n\n"},
    {{.data = std::string_view("nul\0inside", 10)}, std::string_view("data: nul\0inside\n\n", 18)},
}};

ar::task<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

/// Waits on a timer far longer than any test; counts how the wait ends.
ar::task<void> wait_long(probe& p, ar::event_sink& events) {
  ++p.waiting;
  try {
    co_await pause(1h);
  } catch (const asio::system_error& error) {
    if (error.code() == asio::error::operation_aborted) {
      if (events.stop_requested()) ++p.saw_stop;
      ++p.cancelled;
    }
    throw;
  }
}

/// While it streams, looks at the server thread's pool of request memory (empty before this
/// connection's request took one); then, once the test says so, sends its Last-Event-ID.
ar::task<void> report_request_memory(probe& p, ar::event_sink& events) {
  p.pooled = static_cast<int>(ar::detail::thread_request_memory_pool().free.size());
  co_await events.send({.data = "waiting"});
  while (!p.release) co_await pause(5ms);
  co_await events.send({.data = std::string(events.last_event_id())});
}

auto make_app(probe& state) {
  probe* const p = &state;
  return ar::app{
      ar::routes(ar::get<"/table/{index:int}">([](ar::request&, int index) {
                   return ar::event_stream(
                       [index](ar::event_sink& events) -> ar::task<void> {
                         co_await events.send(framing_table.at(static_cast<std::size_t>(index)).event);
                       },
                       {.heartbeat = 0ms});
                 }),
                 ar::get<"/comment">([](ar::request&) {
                   return ar::event_stream(
                       [](ar::event_sink& events) -> ar::task<void> { co_await events.comment("keep\r\nalive"); },
                       {.heartbeat = 0ms});
                 }),
                 // A handler that is a coroutine, with the settings made inside it.
                 ar::get<"/retry">([p](ar::request&) -> ar::task<ar::response> {
                   co_return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         ++p->started;
                         co_await events.send({.data = "first"});
                       },
                       {.heartbeat = 0ms, .retry = 3s});
                 }),
                 // Bad names and ids are refused at the call; the stream goes on.
                 ar::get<"/refused">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         const std::array<ar::server_sent_event, 5> bad{{
                             {.data = "x", .id = "4\n2"},
                             {.data = "x", .id = "4\r2"},
                             {.data = "x",
                              .id = std::string_view("4\0"
                                                     "2",
                                                     3)},
                             {.event = "up\ndate", .data = "x"},
                             {.event = "up\rdate", .data = "x"},
                         }};
                         for (const auto& each : bad) {
                           try {
                             co_await events.send(each);
                           } catch (const std::invalid_argument&) {
                             ++p->refused;
                           }
                         }
                         co_await events.send({.data = "still fine"});
                       },
                       {.heartbeat = 0ms});
                 }),
                 ar::get<"/resume">([](ar::request&) {
                   return ar::event_stream(
                       [](ar::event_sink& events) -> ar::task<void> {
                         const std::string last(events.last_event_id());
                         co_await events.send({.data = last});
                       },
                       {.heartbeat = 0ms});
                 }),
                 ar::get<"/memory">([p](ar::request&) {
                   return ar::event_stream([p](ar::event_sink& events) { return report_request_memory(*p, events); },
                                           {.heartbeat = 0ms});
                 }),
                 // One event, then another once the test says so: for curl, which must show the first
                 // before the stream ends.
                 ar::get<"/live">([p](ar::request&) {
                   return ar::event_stream([p](ar::event_sink& events) -> ar::task<void> {
                     co_await events.send({.event = "greeting", .data = "one", .id = "1"});
                     while (!p->release) co_await pause(5ms);
                     co_await events.send({.data = "two", .id = "2"});
                   });
                 }),
                 // An event every few milliseconds until the client leaves, with no heartbeat.
                 ar::get<"/ticks">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         ++p->started;
                         try {
                           for (int tick = 0;; ++tick) {
                             co_await events.send({.data = std::to_string(tick)});
                             co_await pause(5ms);
                           }
                         } catch (const ar::stream_closed&) {
                           ++p->closed_sends;
                           throw;
                         }
                       },
                       {.heartbeat = 0ms});
                 }),
                 // Waits on a long timer after one event; heartbeat interval from the path (0: none).
                 ar::get<"/waits/{heartbeat:int}">([p](ar::request&, int heartbeat) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         ++p->started;
                         co_await events.send({.data = "ready"});
                         co_await wait_long(*p, events);
                       },
                       {.heartbeat = std::chrono::milliseconds(heartbeat)});
                 }),
                 // Ends when the server asks it to, with a last event.
                 ar::get<"/until-stop">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         ++p->started;
                         // Cancelled at the drain like any event stream, it checks stop_requested() itself
                         // and turns Asio's throw-on-cancel off, to send a last event after it.
                         co_await asio::this_coro::throw_if_cancelled(false);
                         while (!events.stop_requested()) {
                           co_await events.send({.data = "tick"});
                           asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
                           asio::error_code ignored;  // cancelled at the drain: not an exception
                           co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
                         }
                         ++p->saw_stop;
                         co_await events.send({.event = "bye", .data = "server stopping"});
                       },
                       {.heartbeat = 0ms});
                 }),
                 // Ignores the drain and its cancellation, waiting on timers forever: closed at the deadline.
                 ar::get<"/ignores-the-drain">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         co_await asio::this_coro::throw_if_cancelled(false);
                         co_await events.send({.data = "not stopping"});
                         ++p->started;
                         for (;;) {
                           asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
                           asio::error_code ignored;
                           co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
                         }
                       },
                       {.heartbeat = 10ms});
                 }),
                 // One event larger than the socket buffers hold, then a long wait.
                 ar::get<"/huge">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         const std::string payload(8 * 1024 * 1024, 'h');
                         ++p->huge_sending;
                         try {
                           co_await events.send({.data = payload});
                           co_await pause(1h);  // cancelled on the way in: Asio throws at the co_await
                         } catch (const asio::system_error& error) {
                           if (error.code() == asio::error::operation_aborted && events.stop_requested()) ++p->saw_stop;
                           throw;
                         }
                       },
                       {.heartbeat = 0ms});
                 }),
                 // Events of 256 KiB to a slow reader, with heartbeats due every 2 ms meanwhile.
                 ar::get<"/big">([p](ar::request&) {
                   return ar::event_stream(
                       [p](ar::event_sink& events) -> ar::task<void> {
                         const std::string payload(256 * 1024, 'b');
                         for (int index = 0; index < 8; ++index) {
                           co_await events.send({.data = payload, .id = std::to_string(index)});
                           ++p->big_events_sent;
                           co_await pause(3ms);
                         }
                       },
                       {.heartbeat = 2ms});
                 }))};
}

struct app_factory {
  probe* state;
  auto operator()() const { return make_app(*state); }
};
using server_type = test_server<app_factory>;

std::string get(std::string_view path, std::string_view extra_fields = "", std::string_view method = "GET") {
  return std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_fields) +
         "\r\n";
}

/// Reads chunks as they come: the size line, the data and its CRLF.
std::string read_chunk(raw_client& client) {
  const std::string size_line = client.read_line();
  REQUIRE(size_line.size() >= 3);
  const std::size_t size = std::stoul(size_line, nullptr, 16);
  std::string data = client.read_exactly(size);
  REQUIRE(client.read_exactly(2) == "\r\n");
  return data;
}

/// Reads a response's head, up to its blank line; returns the status.
int read_head(raw_client& client) {
  const std::string status_line = client.read_line();
  REQUIRE(status_line.rfind("HTTP/1.1 ", 0) == 0);
  while (client.read_line() != "\r\n") {
  }
  return std::stoi(status_line.substr(9, 3));
}

}  // namespace

TEST_CASE("each row of the framing table is one chunk of exactly its bytes") {
  probe state;
  server_type server(app_factory{&state});
  for (std::size_t index = 0; index < framing_table.size(); ++index) {
    CAPTURE(index);
    const auto reply = ar::testing::exchange(server.port(), get("/table/" + std::to_string(index)));
    CHECK(reply.status == 200);
    CHECK(reply.body == framing_table[index].bytes);
    CHECK(reply.chunk_sizes.size() == 1);  // one write per event
  }
  const auto comment = ar::testing::exchange(server.port(), get("/comment"));
  CHECK(comment.body == ": keep\n: alive\n");
}

TEST_CASE("the head says text/event-stream, no caching, no proxy buffering, chunked; HEAD gets the head alone") {
  probe state;
  server_type server(app_factory{&state});
  const auto reply = ar::testing::exchange(server.port(), get("/retry"));
  CHECK(reply.status == 200);
  CHECK(reply.header("Content-Type") == "text/event-stream");
  CHECK(reply.header("Cache-Control") == "no-cache");
  CHECK(reply.header("X-Accel-Buffering") == "no");
  CHECK(reply.header("Transfer-Encoding") == "chunked");
  CHECK(reply.body == "retry: 3000\n\ndata: first\n\n");  // the retry delay first, with the head
  CHECK(state.started == 1);

  const auto head = ar::testing::exchange(server.port(), get("/retry", "", "HEAD"), true);
  CHECK(head.status == 200);
  CHECK(head.header("Content-Type") == "text/event-stream");
  CHECK(state.started == 1);  // the producer did not run
}

TEST_CASE("an id with CR, LF or NUL and a name with CR or LF are refused before anything is sent") {
  probe state;
  server_type server(app_factory{&state});
  const auto reply = ar::testing::exchange(server.port(), get("/refused"));
  CHECK(state.refused == 5);
  CHECK(reply.body == "data: still fine\n\n");
}

TEST_CASE("the producer reads the request's Last-Event-ID") {
  probe state;
  server_type server(app_factory{&state});
  CHECK(ar::testing::exchange(server.port(), get("/resume", "Last-Event-ID: 17\r\n")).body == "data: 17\n\n");
  CHECK(ar::testing::exchange(server.port(), get("/resume")).body == "data: \n\n");
}

TEST_CASE("a waiting stream holds no request memory, and its Last-Event-ID outlives that memory's reuse") {
  probe state;
  server_type server(app_factory{&state});
  raw_client stream(server.port());
  REQUIRE(stream.send(get("/memory", "Last-Event-ID: first-id-0123456789\r\n")));
  REQUIRE(read_head(stream) == 200);
  CHECK(read_chunk(stream) == "data: waiting\n\n");
  CHECK(state.pooled == 1);  // the stream's request memory, given back
  // Another connection's request, of the same length, takes that memory and fills its buffer.
  CHECK(ar::testing::exchange(server.port(), get("/resume", "Last-Event-ID: other-id-9876543210\r\n")).body ==
        "data: other-id-9876543210\n\n");
  state.release = true;
  CHECK(read_chunk(stream) == "data: first-id-0123456789\n\n");
  CHECK(read_chunk(stream).empty());  // the last chunk
}

TEST_CASE("a request pipelined behind an event stream is answered after the stream's last chunk") {
  probe state;
  server_type server(app_factory{&state});
  raw_client client(server.port());
  // Both requests in one write: the second waits in the read buffer while the stream runs.
  REQUIRE(client.send(get("/table/0") + get("/resume", "Last-Event-ID: 5\r\n")));
  REQUIRE(read_head(client) == 200);
  CHECK(read_chunk(client) == "data: hello\n\n");
  CHECK(read_chunk(client).empty());
  REQUIRE(read_head(client) == 200);
  CHECK(read_chunk(client) == "data: 5\n\n");
  CHECK(read_chunk(client).empty());
}

TEST_CASE("curl -N receives an event while the stream is still open") {
  probe state;
  server_type server(app_factory{&state});
  const std::string command = "curl -sN --max-time 20 http://127.0.0.1:" + std::to_string(server.port()) + "/live";
  FILE* curl = ::popen(command.c_str(), "r");
  REQUIRE(curl != nullptr);
  std::vector<std::string> lines;
  std::array<char, 256> line{};
  while (lines.size() < 4 && std::fgets(line.data(), static_cast<int>(line.size()), curl) != nullptr) {
    lines.emplace_back(line.data());
  }
  // The first event arrived, and the producer has not been let go: the stream is open.
  CHECK(lines == std::vector<std::string>{"event: greeting\n", "id: 1\n", "data: one\n", "\n"});
  CHECK_FALSE(state.release);
  state.release = true;
  std::string rest;
  while (std::fgets(line.data(), static_cast<int>(line.size()), curl) != nullptr) rest += line.data();
  CHECK(rest == "id: 2\ndata: two\n\n");
  CHECK(::pclose(curl) == 0);  // curl saw a complete response
}

TEST_CASE("an idle stream gets heartbeats; when the client is gone, the heartbeat cancels the waiting producer") {
  probe state;
  server_type server(app_factory{&state});
  {
    raw_client client(server.port());
    REQUIRE(client.send(get("/waits/20")));
    REQUIRE(read_head(client) == 200);
    CHECK(read_chunk(client) == "data: ready\n\n");
    CHECK(read_chunk(client) == ":\n\n");  // nothing was sent for the interval
    CHECK(read_chunk(client) == ":\n\n");
  }
  // The producer waits on an hour-long timer: only the heartbeat's failed write can wake it.
  REQUIRE(wait_until([&] { return state.cancelled == 1; }));
  CHECK(state.saw_stop == 0);
  CHECK(ar::testing::exchange(server.port(), get("/table/0")).body == "data: hello\n\n");
}

TEST_CASE("a client that leaves ends the producer at its next send, with stream_closed") {
  probe state;
  server_type server(app_factory{&state});
  {
    raw_client client(server.port());
    REQUIRE(client.send(get("/ticks")));
    REQUIRE(read_head(client) == 200);
    CHECK(read_chunk(client) == "data: 0\n\n");
  }
  REQUIRE(wait_until([&] { return state.closed_sends == 1; }));
}

TEST_CASE("heartbeats never cut into an event that a slow reader holds up") {
  probe state;
  server_type server(app_factory{&state});
  raw_client client(server.port(), 10s, 16 * 1024);
  REQUIRE(client.send(get("/big")));
  // Read slowly, so each big event waits for the socket many heartbeat intervals.
  std::this_thread::sleep_for(50ms);
  const auto reply = client.read_response();
  CHECK(state.big_events_sent == 8);
  // The body is whole events and heartbeats, one after the other, never one inside another.
  std::string_view body = reply.body;
  const std::string payload(256 * 1024, 'b');
  int events = 0;
  int heartbeats = 0;
  while (!body.empty()) {
    if (body.substr(0, 3) == ":\n\n") {
      ++heartbeats;
      body.remove_prefix(3);
      continue;
    }
    const std::string event = "id: " + std::to_string(events) + "\ndata: " + payload + "\n\n";
    REQUIRE(body.substr(0, event.size()) == event);
    body.remove_prefix(event.size());
    ++events;
  }
  CHECK(events == 8);
  MESSAGE("heartbeats between the events: " << heartbeats);
}

TEST_CASE("a drain ends every open stream with its last chunk, and run() returns") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 60s;  // far longer than the test: the streams end because they are told to
  server_type server(app_factory{&state}, settings);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (const std::string_view path : {"/waits/0", "/waits/0", "/waits/50", "/until-stop"}) {
    clients.push_back(std::make_unique<raw_client>(server.port()));
    REQUIRE(clients.back()->send(get(path)));
    REQUIRE(read_head(*clients.back()) == 200);
    CHECK(read_chunk(*clients.back()).rfind("data: ", 0) == 0);
  }
  REQUIRE(wait_until([&] { return state.waiting == 3 && state.started == 4; }));
  server.stop();  // returns when run() has
  CHECK(state.cancelled == 3);
  CHECK(state.saw_stop == 4);
  for (std::size_t index = 0; index < clients.size(); ++index) {
    CAPTURE(index);
    const std::string rest = clients[index]->read_until_closed();
    REQUIRE(rest.size() >= 5);
    CHECK(rest.substr(rest.size() - 5) == "0\r\n\r\n");
    if (index == 3) CHECK(rest.find("event: bye\ndata: server stopping\n\n") != std::string::npos);
  }
}

TEST_CASE("a drain that cancels a producer in the middle of a send lets the event finish, then the last chunk") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 60s;
  server_type server(app_factory{&state}, settings);
  raw_client client(server.port(), 10s, 16 * 1024);
  REQUIRE(client.send(get("/huge")));
  // The event cannot fit in the socket buffers: its send waits for this reader, which reads
  // only once the drain has begun.
  REQUIRE(wait_until([&] { return state.huge_sending == 1; }));
  std::thread stopping([&] { server.stop(); });
  std::this_thread::sleep_for(100ms);  // lets the drain reach the stream first (not needed to pass)
  const auto reply = client.read_response();
  stopping.join();
  CHECK(reply.body == "data: " + std::string(8 * 1024 * 1024, 'h') + "\n\n");  // whole, and the last chunk after it
  CHECK(state.saw_stop == 1);
}

TEST_CASE("a producer that ignores the drain and its cancellation is closed at the drain deadline") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 300ms;
  server_type server(app_factory{&state}, settings);
  raw_client client(server.port());
  REQUIRE(client.send(get("/ignores-the-drain")));
  REQUIRE(read_head(client) == 200);
  CHECK(read_chunk(client) == "data: not stopping\n\n");
  REQUIRE(wait_until([&] { return state.started == 1; }));
  server.stop();  // returns: the connection is closed at the deadline, and the producer's frame freed
  const std::string rest = client.read_until_closed();
  CHECK(rest.find("0\r\n\r\n") == std::string::npos);  // cut, not ended: the client can tell
}
