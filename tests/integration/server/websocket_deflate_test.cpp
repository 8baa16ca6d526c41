// permessage-deflate on real connections: the server's routes with compression on, checked over
// raw frames (RFC 7692's own examples, RSV1 where it may not be, corrupt data, a bomb past the
// limit) and with Python's websockets, which offers compression by default, as client and server.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/python_script.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/websocket_frames.hpp>

#include <string>

namespace ar = asyncrest;
using ar::testing::client_frame;
using ar::testing::close_payload;
using ar::testing::handshake_request;
using ar::testing::raw_client;
using ar::testing::read_server_frame;
using ar::testing::server_frame;
using ar::testing::test_server;

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB

namespace {

ar::websocket_route_settings compressed() {
  ar::websocket_route_settings settings;
  settings.connection.deflate.enabled = true;
  settings.connection.max_message_bytes = 100000;
  return settings;
}

auto make_app() {
  return ar::app{ar::routes(
      ar::websocket<"/deflate">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); },
          compressed()),
      ar::websocket<"/plain">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); }))};
}

const std::string hello_compressed("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);  // RFC 7692 §7.2.3.1

/// The raw DEFLATE of `data` as a message payload (no trailing 00 00 FF FF), as a client with a
/// fresh context makes it.
std::string deflate(const std::string& data) {
  ar::deflate_settings settings;
  settings.enabled = true;
  ar::detail::message_deflater deflater(settings, ar::detail::deflate_direction{15, true});
  std::string out;
  deflater.compress(data, out);
  return out;
}

void open_compressed(raw_client& client) {
  client.send(handshake_request("/deflate", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
  const ar::testing::http_reply reply = client.read_response(true);
  REQUIRE(reply.status == 101);
  CHECK(reply.header("Sec-WebSocket-Extensions") == "permessage-deflate");
}

void expect_close(raw_client& client, int code) {
  const server_frame frame = read_server_frame(client);
  CHECK(frame.opcode() == 0x8);
  CHECK(frame.close_code() == code);
  CHECK(client.closed_by_server());
}

}  // namespace

TEST_CASE("raw frames: RFC 7692's examples, whole and fragmented, and compressed answers") {
  test_server server(make_app);
  raw_client client(server.port());
  open_compressed(client);
  client.send(client_frame(0xC1, hello_compressed));  // FIN, RSV1, text
  server_frame frame = read_server_frame(client);
  CHECK(frame.first == 0x81);  // shorter than minimum_size: sent as it is, RSV1 clear
  CHECK(frame.payload == "Hello");
  client.send(client_frame(0x41, hello_compressed.substr(0, 3)) + client_frame(0x89, "between") +
              client_frame(0x80, hello_compressed.substr(3)));
  frame = read_server_frame(client);
  CHECK(frame.opcode() == 0xA);
  frame = read_server_frame(client);
  CHECK(frame.payload == "Hello");
  const std::string long_text(5000, 'w');
  client.send(client_frame(0xC1, deflate(long_text)));
  frame = read_server_frame(client);
  CHECK(frame.first == 0xC1);  // compressed by the server
  CHECK(frame.payload.size() < 100);
  client.send(client_frame(0x81, long_text));  // an uncompressed message is still allowed
  CHECK(read_server_frame(client).first == 0xC1);
}

TEST_CASE("raw frames: what compression does not allow") {
  test_server server(make_app);
  SUBCASE("RSV1 on a continuation frame: 1002") {
    raw_client client(server.port());
    open_compressed(client);
    client.send(client_frame(0x41, hello_compressed.substr(0, 3)) + client_frame(0xC0, hello_compressed.substr(3)));
    expect_close(client, 1002);
  }
  SUBCASE("RSV1 on a control frame: 1002") {
    raw_client client(server.port());
    open_compressed(client);
    client.send(client_frame(0xC9, ""));
    expect_close(client, 1002);
  }
  SUBCASE("RSV1 when compression was not agreed: 1002") {
    raw_client client(server.port());
    client.send(handshake_request("/plain", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    const ar::testing::http_reply reply = client.read_response(true);
    REQUIRE(reply.status == 101);
    CHECK(!reply.header("Sec-WebSocket-Extensions"));
    client.send(client_frame(0xC1, hello_compressed));
    expect_close(client, 1002);
  }
  SUBCASE("data that is not DEFLATE: 1007") {
    raw_client client(server.port());
    open_compressed(client);
    client.send(client_frame(0xC2, std::string("\xff\xff\xff\xff\xff", 5)));
    expect_close(client, 1007);
  }
  SUBCASE("compressed text that is not UTF-8: 1007") {
    raw_client client(server.port());
    open_compressed(client);
    client.send(client_frame(0xC1, deflate(std::string(100, 'a') + "\xed\xa0\x80")));
    expect_close(client, 1007);
  }
  SUBCASE("a small message that inflates past the limit: 1009") {
    raw_client client(server.port());
    open_compressed(client);
    const std::string bomb = deflate(std::string(1000000, '\0'));
    CHECK(bomb.size() < 2000);
    client.send(client_frame(0xC2, bomb));
    expect_close(client, 1009);
  }
}

TEST_CASE("Python's websockets with compression, as client of the server and as server of the client") {
  test_server server(make_app);
  const std::string client_script = R"(
import asyncio, sys, websockets
async def main(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/deflate") as ws:
        assert [e.name for e in ws.extensions] == ["permessage-deflate"], ws.extensions
        for message in ["short", "κόσμε " * 2000, b"\x00" * 50000, ["frag" * 100, "mented" * 100]]:
            await ws.send(message)
            expected = "".join(message) if isinstance(message, list) else message
            assert await ws.recv() == expected
        await ws.close()
    print("OK")
asyncio.run(main(int(sys.argv[1])))
)";
  ar::testing::python_script python_client(client_script, std::to_string(server.port()));
  const auto [output, status] = python_client.finish();
  CHECK(output == "OK\n");
  CHECK(status == 0);

  const std::string server_script = R"(
import asyncio, websockets
stop = None
async def handler(ws):
    if ws.path == "/quit":
        stop.set_result(None)
        return
    await ws.send("extensions: " + ",".join(e.name for e in ws.extensions))
    async for message in ws:
        await ws.send(message)
async def main():
    global stop
    stop = asyncio.get_running_loop().create_future()
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop
asyncio.run(main())
)";
  ar::testing::python_script python_server(server_script, "");
  const std::string port = python_server.read_line();
  REQUIRE(!port.empty());
  ar::testing::run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_client_options options;
    options.settings.deflate.enabled = true;
    ar::websocket_connection socket = co_await http.websocket("ws://127.0.0.1:" + port + "/", options);
    CHECK((co_await socket.receive()).data == "extensions: permessage-deflate");
    for (const std::string& message :
         {std::string("tiny"), std::string(70000, 'r'), std::string("again, with context")}) {
      CHECK(co_await socket.send_text(message));
      CHECK((co_await socket.receive()).data == message);
    }
    co_await socket.close();
    while (!(co_await socket.receive()).closed()) {
    }
    ar::websocket_connection quit = co_await http.websocket("ws://127.0.0.1:" + port + "/quit");
    while (!(co_await quit.receive()).closed()) {
    }
  });
  CHECK(python_server.finish().second == 0);
}

#else

TEST_CASE("permessage-deflate needs zlib") {
  MESSAGE("asyncrest::zlib is not available (zlib1g-dev): WebSocket compression is not tested");
}

#endif
