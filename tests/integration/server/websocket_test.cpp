// WebSocket routes in use: a third-party client (Python's websockets), receiving and sending
// at once from two coroutines, one encoded frame sent to many, keep-alive pings, the drain, and
// wss:// through the server's TLS.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <asio/experimental/awaitable_operators.hpp>
#include <support/python_script.hpp>
#include <support/raw_client.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>
#include <support/websocket_frames.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using ar::testing::client_frame;
using ar::testing::close_payload;
using ar::testing::open_websocket;
using ar::testing::raw_client;
using ar::testing::read_server_frame;
using ar::testing::server_frame;
using ar::testing::test_server;
using ar::testing::text_frame;

namespace {

/// "tick <n>" and 16 KiB of padding: 2,000 of them fill the socket's buffers, so writes stop part
/// way and another frame would land inside one if sends were not serialized.
std::string tick_message(int tick) {
  return ar::testing::joined(ar::testing::joined("tick ", std::to_string(tick)), std::string(16384, '.'));
}

/// Sends `count` ticks while another coroutine echoes what arrives.
ar::task<void> ticks(ar::websocket_connection& socket, int count) {
  for (int tick = 0; tick < count; ++tick) {
    if (!co_await socket.send_text(tick_message(tick))) co_return;
  }
  co_await socket.send_text("ticks done");
}

ar::websocket_route_settings keep_alive() {
  ar::websocket_route_settings settings;
  settings.connection.ping_interval = 50ms;
  settings.connection.pong_timeout = 200ms;
  return settings;
}

std::atomic<int> sessions_ended{0};
std::atomic<int> stuck_sends_failed{0};

ar::websocket_route_settings short_send_deadline() {
  ar::websocket_route_settings settings;
  settings.connection.send_timeout = 200ms;
  return settings;
}

auto make_app() {
  return ar::app{ar::routes(
      ar::websocket<"/echo">([](ar::websocket_connection& socket) -> ar::task<void> {
        co_await ar::testing::websocket_echo(socket);
        ++sessions_ended;
      }),
      ar::websocket<"/both">([](ar::websocket_connection& socket) -> ar::task<void> {
        co_await (ar::testing::websocket_echo(socket) && ticks(socket, 2000));
      }),
      ar::websocket<"/broadcast">([](ar::websocket_connection& socket) -> ar::task<void> {
        static const ar::websocket_frame shared = ar::websocket_frame::text("to everyone");
        co_await socket.send(shared);
        co_await socket.send(shared);
        co_await ar::testing::websocket_echo(socket);
      }),
      ar::websocket<"/stuck">(
          [](ar::websocket_connection& socket) -> ar::task<void> {
            // Sends until a send fails: the client reads nothing, so the socket's buffers fill.
            const std::string padding(64 * 1024, '.');
            for (int sent = 0; sent < 100000; ++sent) {
              if (!co_await socket.send_text(padding)) {
                ++stuck_sends_failed;
                co_return;
              }
            }
          },
          short_send_deadline()),
      ar::websocket<"/alive">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); },
          keep_alive()))};
}

}  // namespace

TEST_CASE("receive and send at once: frames never interleave, automatic pongs included") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/both");
  // Not reading for a moment lets the ticks fill the socket's buffers, so that the echoes and
  // pongs below are sent while a tick's write is stopped part way (the test holds either way).
  std::this_thread::sleep_for(200ms);
  for (int round = 0; round < 200; ++round) {
    // Appended piece by piece: g++ 12 at -O2 reports a false -Wstringop-overflow for a + b here.
    std::string frames = text_frame(ar::testing::joined("echo ", std::to_string(round)));
    frames.append(client_frame(0x89, ar::testing::joined("p", std::to_string(round))));
    client.send(frames);
  }
  int next_tick = 0;
  int next_echo = 0;
  int next_pong = 0;
  bool ticks_done = false;
  while (!ticks_done || next_echo < 200 || next_pong < 200) {
    const server_frame frame = read_server_frame(client);
    REQUIRE(frame.final());
    if (frame.opcode() == 0xA) {
      CHECK(frame.payload == ar::testing::joined("p", std::to_string(next_pong++)));
    } else if (frame.payload == "ticks done") {
      ticks_done = true;
    } else if (frame.payload.rfind("tick ", 0) == 0) {
      CHECK(frame.payload == tick_message(next_tick++));
    } else {
      CHECK(frame.payload == ar::testing::joined("echo ", std::to_string(next_echo++)));
    }
  }
  CHECK(next_tick == 2000);
  client.send(client_frame(0x88, close_payload(1000)));
  const server_frame closing = read_server_frame(client);
  CHECK(closing.opcode() == 0x8);
  CHECK(client.closed_by_server());
}

TEST_CASE("one encoded frame sent to many connections") {
  test_server server(make_app);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int index = 0; index < 3; ++index) {
    clients.push_back(std::make_unique<raw_client>(server.port()));
    open_websocket(*clients.back(), "/broadcast");
  }
  for (auto& client : clients) {
    for (int copy = 0; copy < 2; ++copy) {
      const server_frame frame = read_server_frame(*client);
      CHECK(frame.opcode() == 0x1);
      CHECK(frame.payload == "to everyone");
    }
  }
}

TEST_CASE("keep-alive pings: answered, the connection lives; missed, it is closed") {
  test_server server(make_app);
  SUBCASE("answered") {
    raw_client client(server.port());
    open_websocket(client, "/alive");
    for (int ping = 0; ping < 3; ++ping) {
      const server_frame frame = read_server_frame(client);
      REQUIRE(frame.opcode() == 0x9);
      client.send(client_frame(0x8A, frame.payload));
    }
    client.send(text_frame("still open"));
    server_frame frame = read_server_frame(client);
    while (frame.opcode() == 0x9) frame = read_server_frame(client);
    CHECK(frame.payload == "still open");
  }
  SUBCASE("missed") {
    raw_client client(server.port());
    open_websocket(client, "/alive");
    const server_frame frame = read_server_frame(client);
    REQUIRE(frame.opcode() == 0x9);
    CHECK(client.closed_by_server(10s));  // no pong: the server gives up after pong_timeout
  }
}

TEST_CASE("a peer that stops reading: the send deadline ends the connection and the send returns false") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/stuck");
  // Nothing is read: the server's writes stop when the buffers are full, and after the deadline
  // the send gives up instead of waiting for ever.
  REQUIRE(ar::testing::wait_until([] { return stuck_sends_failed.load() == 1; }));
  // What the kernel had buffered arrives, then the end: the server shut the connection, with
  // no close frame (it could not have been written).
  const std::string rest = client.read_until_closed();
  CHECK(rest.size() > 64 * 1024);
}

TEST_CASE("a drain sends 1001 Going Away to every open WebSocket before run() returns") {
  sessions_ended = 0;
  test_server server(make_app);
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int index = 0; index < 3; ++index) {
    clients.push_back(std::make_unique<raw_client>(server.port()));
    open_websocket(*clients.back(), "/echo");
    clients.back()->send(text_frame("ready"));
    CHECK(read_server_frame(*clients.back()).payload == "ready");
  }
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server.stop();
    stopped = true;
  });
  for (auto& client : clients) {
    const server_frame frame = read_server_frame(*client);
    CHECK(frame.opcode() == 0x8);
    CHECK(frame.close_code() == 1001);
    CHECK(!stopped);  // run() waits for the closing handshakes
    client->send(client_frame(0x88, close_payload(1001)));
    CHECK(client->closed_by_server());
  }
  stopper.join();
  CHECK(sessions_ended == 3);
}

TEST_CASE("Python's websockets as a client: text, binary, fragments, pings, close codes") {
  test_server server(make_app);
  const std::string script = R"(
import asyncio, sys, websockets
async def main(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/echo", max_size=None) as ws:
        await ws.send("hello, κόσμε")
        assert await ws.recv() == "hello, κόσμε"
        await ws.send(b"\x00\x01binary\xff")
        assert await ws.recv() == b"\x00\x01binary\xff"
        await ws.send(["frag", "mented ", "text"])
        assert await ws.recv() == "fragmented text"
        big = bytes(range(256)) * 4096
        await ws.send(big)
        assert await ws.recv() == big
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        await ws.close(4001, "done here")
        assert ws.close_code == 4001, ws.close_code
    print("OK")
asyncio.run(main(int(sys.argv[1])))
)";
  ar::testing::python_script python(script, std::to_string(server.port()));
  const auto [output, status] = python.finish();
  CHECK(output == "OK\n");
  CHECK(status == 0);
}

TEST_CASE("wss://: Python's websockets through the server's TLS") {
  ar::testing::test_certificates certificates;
  test_server server(make_app, certificates.server_tls_settings());
  const std::string script = R"(
import asyncio, ssl, sys, websockets
async def main(port, ca):
    context = ssl.create_default_context(cafile=ca)
    async with websockets.connect(f"wss://localhost:{port}/echo", ssl=context) as ws:
        for size in (0, 10, 70000):
            await ws.send("x" * size)
            assert await ws.recv() == "x" * size
        await ws.close(1000)
    print("OK")
asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
)";
  ar::testing::python_script python(script, std::to_string(server.port()) + " " + certificates.ca_file());
  const auto [output, status] = python.finish();
  CHECK(output == "OK\n");
  CHECK(status == 0);
}
