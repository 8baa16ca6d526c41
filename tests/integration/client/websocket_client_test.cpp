// The client's WebSockets: against this project's server, against Python's websockets as a
// third-party server (ws:// and wss://, which rejects unmasked client frames on its own), and
// against scripted servers that answer the handshake wrongly or send what a server must not.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/idle_read_buffer.hpp>
#include <support/python_script.hpp>
#include <support/scripted_server.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>
#include <support/websocket_frames.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::run_client;
using ar::testing::test_server;

namespace {

ar::websocket_route_settings with_subprotocols() {
  ar::websocket_route_settings settings;
  settings.subprotocols = {"chat.v2", "chat.v1"};
  return settings;
}

auto make_app() {
  return ar::app{ar::routes(
      ar::websocket<"/echo">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); }),
      ar::websocket<"/idle">([](ar::websocket_connection& socket) -> ar::task<void> {
        co_await ar::testing::report_idle_read_buffer(socket);
      }),
      ar::websocket<"/greet/{name}">([](ar::websocket_connection& socket, std::string_view name) -> ar::task<void> {
        co_await socket.send_text(ar::testing::joined("hello ", name));  // may arrive with the 101
        co_await socket.send_binary(std::string(3, '\0'));
        co_await ar::testing::websocket_echo(socket);
      }),
      ar::websocket<"/goodbye">([](ar::websocket_connection& socket) -> ar::task<void> {
        co_await socket.close(static_cast<ar::websocket_close_code>(4003), "that is all");
        while (!(co_await socket.receive()).closed()) {
        }
      }),
      ar::websocket<"/protocol">(
          [](ar::websocket_connection& socket) -> ar::task<void> {
            co_await socket.send_text(std::string(socket.subprotocol()));
            co_await ar::testing::websocket_echo(socket);
          },
          with_subprotocols()))};
}

std::string base(std::uint16_t port) { return ar::testing::joined("ws://127.0.0.1:", std::to_string(port)); }

/// Receives until the end, returning the close code.
ar::task<ar::websocket_close_code> until_closed(ar::websocket_connection& socket) {
  for (;;) {
    const ar::websocket_message message = co_await socket.receive();
    if (message.closed()) co_return message.close_code;
  }
}

const std::string python_server = R"(
import asyncio, ssl, sys, websockets
stop = None
async def handler(ws):
    if ws.path == "/echo":
        async for message in ws:
            await ws.send(message)
    elif ws.path == "/fragments":
        await ws.send(["frag", "mented ", "κόσμε"])
        await ws.send([b"bi", b"nary"])
        async for message in ws:
            await ws.send(message)
    elif ws.path == "/ping":
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        await ws.send("pong received")
        await ws.wait_closed()
    elif ws.path == "/close":
        await ws.recv()
        await ws.close(4002, "custom reason")
    elif ws.path == "/protocol":
        await ws.send(ws.subprotocol or "none")
        await ws.wait_closed()
    elif ws.path == "/quit":
        stop.set_result(None)
async def main():
    global stop
    stop = asyncio.get_running_loop().create_future()
    context = None
    if len(sys.argv) > 1:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context, subprotocols=["chat.v1"],
                                max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop
asyncio.run(main())
)";

ar::task<void> quit_python(ar::client& http, const std::string& url) {
  ar::websocket_connection quit = co_await http.websocket(url + "/quit");
  co_await until_closed(quit);
}

}  // namespace

TEST_CASE("against this project's server: messages, frames behind the 101, close, subprotocols") {
  test_server server(make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_connection socket = co_await http.websocket(base(server.port()) + "/greet/ada");
    ar::websocket_message message = co_await socket.receive();
    CHECK(message.is_text());
    CHECK(message.data == "hello ada");
    message = co_await socket.receive();
    CHECK(message.is_binary());
    CHECK(message.data == std::string(3, '\0'));
    for (const std::size_t size : {0, 125, 126, 65535, 65536, 300000}) {
      const std::string payload(size, 'z');
      CHECK(co_await socket.send_binary(payload));
      message = co_await socket.receive();
      CHECK(message.data == payload);
    }
    CHECK(co_await socket.ping("hi"));
    CHECK(co_await socket.send_text("after a ping"));
    CHECK((co_await socket.receive()).data == "after a ping");
    CHECK(co_await socket.close(ar::websocket_close_code::normal, "done"));
    CHECK(!socket.is_open());
    CHECK(!co_await socket.send_text("too late"));
    CHECK(co_await until_closed(socket) == ar::websocket_close_code::normal);

    ar::websocket_connection closed_by_server = co_await http.websocket(base(server.port()) + "/goodbye");
    const ar::websocket_message end = co_await closed_by_server.receive();
    CHECK(end.closed());
    CHECK(end.close_code == static_cast<ar::websocket_close_code>(4003));
    CHECK(end.close_reason == "that is all");

    ar::websocket_client_options options;
    options.subprotocols = {"chat.v1", "chat.v2"};
    ar::websocket_connection chat = co_await http.websocket(base(server.port()) + "/protocol", options);
    CHECK(chat.subprotocol() == "chat.v2");
    CHECK((co_await chat.receive()).data == "chat.v2");
  });
}

TEST_CASE("refused and broken handshakes are errors") {
  test_server server(make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    try {
      co_await http.websocket(base(server.port()) + "/nowhere");
      FAIL("a 404 opened a WebSocket");
    } catch (const ar::http_status_error& error) {
      CHECK(error.status() == ar::status::not_found);
    }
    try {
      co_await http.websocket("http://127.0.0.1:1/echo");
      FAIL("an http:// URL opened a WebSocket");
    } catch (const ar::client_error& error) {
      CHECK(error.code() == ar::client_errc::invalid_url);
    }
  });
  for (const std::string answer : {
           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",  // the accept of another key
           "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       }) {
    CAPTURE(answer);
    ar::testing::scripted_server scripted([&](ar::testing::scripted_connection& connection, std::size_t) {
      connection.read_request();
      connection.write(answer);
      connection.wait_for_close();
    });
    run_client({}, [&](ar::client& http) -> ar::task<void> {
      try {
        co_await http.websocket(ar::testing::joined("ws://127.0.0.1:", std::to_string(scripted.port())) + "/");
        FAIL("the handshake was accepted");
      } catch (const ar::client_error& error) {
        CHECK((error.code() == ar::client_errc::malformed_response || error.code() == ar::client_errc::http_status));
      }
    });
  }
}

TEST_CASE("a masked frame from a server fails the connection with 1002") {
  ar::testing::scripted_server scripted([&](ar::testing::scripted_connection& connection, std::size_t) {
    const std::string request = connection.read_request();
    const std::size_t at = request.find("Sec-WebSocket-Key: ") + 19;
    const std::string key = request.substr(at, 24);
    connection.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        ar::detail::websocket_accept_value(key) + "\r\n\r\n" + std::string("\x81\x81\x01\x02\x03\x04x", 7));
    connection.wait_for_close();
  });
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_connection socket =
        co_await http.websocket(ar::testing::joined("ws://127.0.0.1:", std::to_string(scripted.port())) + "/");
    const ar::websocket_message message = co_await socket.receive();
    CHECK(message.closed());
    CHECK(message.close_code == ar::websocket_close_code::protocol_error);
  });
}

TEST_CASE("against Python's websockets as a server: masking, fragments, pings, close codes, subprotocols") {
  ar::testing::python_script python(python_server, "");
  const std::string port = python.read_line();
  REQUIRE(!port.empty());
  const std::string url = "ws://127.0.0.1:" + port;
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_connection socket = co_await http.websocket(url + "/echo");
    for (const std::size_t size : {0, 1, 125, 126, 65536, 1 << 20}) {
      std::string payload(size, 'a');
      for (std::size_t index = 0; index < size; ++index) payload[index] = static_cast<char>(index * 7);
      CHECK(co_await socket.send_binary(payload));
      const ar::websocket_message message = co_await socket.receive();
      CHECK(message.is_binary());
      CHECK(message.data == payload);
    }
    CHECK(co_await socket.send_text("κόσμε"));
    CHECK((co_await socket.receive()).data == "κόσμε");
    co_await socket.close();
    CHECK(co_await until_closed(socket) == ar::websocket_close_code::normal);

    ar::websocket_connection fragments = co_await http.websocket(url + "/fragments");
    ar::websocket_message message = co_await fragments.receive();
    CHECK(message.is_text());
    CHECK(message.data == "fragmented κόσμε");
    message = co_await fragments.receive();
    CHECK(message.is_binary());
    CHECK(message.data == "binary");

    ar::websocket_connection pinged = co_await http.websocket(url + "/ping");
    CHECK((co_await pinged.receive()).data == "pong received");  // our pong was sent by receive()

    ar::websocket_connection closing = co_await http.websocket(url + "/close");
    CHECK(co_await closing.send_text("close please"));
    const ar::websocket_message end = co_await closing.receive();
    CHECK(end.closed());
    CHECK(end.close_code == static_cast<ar::websocket_close_code>(4002));
    CHECK(end.close_reason == "custom reason");

    ar::websocket_client_options options;
    options.subprotocols = {"chat.v2", "chat.v1"};
    ar::websocket_connection chat = co_await http.websocket(url + "/protocol", options);
    CHECK(chat.subprotocol() == "chat.v1");
    CHECK((co_await chat.receive()).data == "chat.v1");
    co_await chat.close();
    co_await until_closed(chat);
    co_await quit_python(http, url);
  });
  CHECK(python.finish().second == 0);
}

TEST_CASE("wss:// to Python's websockets, verified with the test CA") {
  ar::testing::test_certificates certificates;
  ar::testing::python_script python(python_server, certificates.certificate_file() + " " + certificates.key_file());
  const std::string port = python.read_line();
  REQUIRE(!port.empty());
  const std::string url = "wss://localhost:" + port;
  ar::client_settings settings;
  settings.tls.ca_file = certificates.ca_file();
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_connection socket = co_await http.websocket(url + "/echo");
    const std::string large(100000, 's');
    CHECK(co_await socket.send_text(large));
    CHECK((co_await socket.receive()).data == large);
    co_await socket.close();
    CHECK(co_await until_closed(socket) == ar::websocket_close_code::normal);
    co_await quit_python(http, url);
  });
  CHECK(python.finish().second == 0);
}

TEST_CASE("wss:// to this project's TLS server") {
  ar::testing::test_certificates certificates;
  test_server server(make_app, certificates.server_tls_settings());
  ar::client_settings settings;
  settings.tls.ca_file = certificates.ca_file();
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    ar::websocket_connection socket =
        co_await http.websocket(ar::testing::joined("wss://localhost:", std::to_string(server.port())) + "/greet/tls");
    CHECK((co_await socket.receive()).data == "hello tls");
    CHECK((co_await socket.receive()).is_binary());
    const std::string large(200000, 't');
    CHECK(co_await socket.send_binary(large));
    CHECK((co_await socket.receive()).data == large);
    co_await socket.close();
    CHECK(co_await until_closed(socket) == ar::websocket_close_code::normal);

    // Over TLS too, an idle server connection waits without its read buffer.
    ar::websocket_connection idle =
        co_await http.websocket(ar::testing::joined("wss://localhost:", std::to_string(server.port())) + "/idle");
    CHECK(co_await idle.send_text("check"));
    asio::steady_timer pause(co_await asio::this_coro::executor, 100ms);
    co_await pause.async_wait(asio::use_awaitable);
    CHECK(co_await idle.send_text("report"));
    CHECK((co_await idle.receive()).data == "none");
    co_await idle.close();
    CHECK(co_await until_closed(idle) == ar::websocket_close_code::normal);
  });
}
