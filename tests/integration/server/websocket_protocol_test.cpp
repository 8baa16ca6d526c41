// The WebSocket protocol over raw frames against the server, by the categories of the Autobahn
// test suite: framing, pings, reserved bits, opcodes, fragmentation, UTF-8, limits, close codes,
// masking, and the handshake. Each failure is checked on the wire: the close frame's code, then
// the connection closed by the server.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/idle_read_buffer.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/websocket_frames.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::client_frame;
using ar::testing::close_payload;
using ar::testing::handshake_request;
using ar::testing::http_reply;
using ar::testing::open_websocket;
using ar::testing::raw_client;
using ar::testing::read_server_frame;
using ar::testing::server_frame;
using ar::testing::test_server;
using ar::testing::text_frame;

namespace {

struct principal {
  std::string name;
};

/// Refuses a request without "Authorization: letmein" with 401; records who it is otherwise.
struct require_token {
  std::optional<ar::response> before(ar::request& req) const {
    if (req.header("Authorization") != "letmein") return ar::problem(ar::status::unauthorized, "who are you?");
    req.context().emplace<principal>(principal{"ada"});
    return std::nullopt;
  }
};

ar::websocket_route_settings limited() {
  ar::websocket_route_settings settings;
  settings.connection.max_message_bytes = 1000;
  return settings;
}

ar::websocket_route_settings with_origins() {
  ar::websocket_route_settings settings;
  settings.allowed_origins = {"https://good.example"};
  return settings;
}

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
      ar::websocket<"/limited">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); },
          limited()),
      ar::websocket<"/origin">(
          [](ar::websocket_connection& socket) -> ar::task<void> { co_await ar::testing::websocket_echo(socket); },
          with_origins()),
      ar::websocket<"/rooms/{room}/ws/{seat:int}">(
          [](ar::websocket_connection& socket, std::string_view room, std::int64_t seat) -> ar::task<void> {
            co_await socket.send_text(ar::testing::joined(room, ar::testing::joined("#", std::to_string(seat))));
            co_await ar::testing::websocket_echo(socket);
          }),
      ar::websocket<"/hello">([](ar::request& req) {
        std::string name(req.query("name").value_or("guest"));
        std::string user = req.context().get<principal>().name;
        return ar::accept_websocket([name, user](ar::websocket_connection& socket) -> ar::task<void> {
          co_await socket.send_text("hello " + name + " (" + user + ")");
          co_await ar::testing::websocket_echo(socket);
        });
      }).use(require_token{}),
      ar::websocket<"/protocol">(
          [](ar::websocket_connection& socket) -> ar::task<void> {
            co_await socket.send_text(ar::testing::joined("chose ", socket.subprotocol()));
            co_await ar::testing::websocket_echo(socket);
          },
          with_subprotocols()))};
}

/// The server's close frame carries `code`, and the server then closes the connection.
void expect_close(raw_client& client, int code) {
  const server_frame frame = read_server_frame(client);
  CHECK(frame.opcode() == 0x8);
  CHECK(frame.close_code() == code);
  CHECK(client.closed_by_server());
}

void expect_echo(raw_client& client, std::uint8_t opcode, std::string_view payload) {
  const server_frame frame = read_server_frame(client);
  CHECK(frame.final());
  CHECK(frame.opcode() == opcode);
  CHECK(frame.payload == payload);
}

}  // namespace

TEST_CASE("framing: every payload length encoding, echoed in the shortest form") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/echo");
  for (const std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 200000}) {
    CAPTURE(size);
    std::string payload(size, 'x');
    for (std::size_t index = 0; index < size; ++index) payload[index] = static_cast<char>('a' + index % 26);
    client.send(client_frame(0x82, payload));
    const server_frame frame = read_server_frame(client);
    CHECK(frame.opcode() == 0x2);
    CHECK(frame.payload == payload);
    CHECK(frame.length_field == (size < 126 ? size : size <= 0xFFFF ? 126 : 127));
  }
  client.send(client_frame(0x88, close_payload(1000)));
  expect_close(client, 1000);
}

TEST_CASE("framing: a frame split at every byte boundary") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/echo");
  const std::string payload(130, 'q');
  const std::string frame = text_frame(payload);
  for (std::size_t at = 1; at < frame.size(); ++at) {
    CAPTURE(at);
    ar::testing::send_split(client, frame, at);
    expect_echo(client, 0x1, payload);
  }
}

TEST_CASE("an idle connection holds no read buffer while it waits, and reads on after") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/idle");
  client.send(text_frame("check"));
  std::this_thread::sleep_for(100ms);  // the check runs while the server waits for the next message
  client.send(text_frame("report"));
  expect_echo(client, 0x1, "none");
  // A frame split in two: the first part is buffered while the server waits for the rest.
  ar::testing::send_split(client, text_frame("report again"), 3);
  expect_echo(client, 0x1, "none");
  client.send(client_frame(0x88, close_payload(1000)));
  expect_close(client, 1000);
}

TEST_CASE("pings") {
  test_server server(make_app);
  SUBCASE("empty and 125 bytes: answered with the same payload") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x89, ""));
    expect_echo(client, 0xA, "");
    const std::string payload(125, '\xfe');
    client.send(client_frame(0x89, payload));
    expect_echo(client, 0xA, payload);
  }
  SUBCASE("126 bytes: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x89, std::string(126, 'p')));
    expect_close(client, 1002);
  }
  SUBCASE("fragmented: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x09, "a"));
    expect_close(client, 1002);
  }
  SUBCASE("an unsolicited pong is ignored") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x8A, "unasked"));
    client.send(text_frame("after"));
    expect_echo(client, 0x1, "after");
  }
}

TEST_CASE("reserved bits and opcodes without an extension: 1002") {
  test_server server(make_app);
  std::vector<std::uint8_t> firsts = {0xC1, 0xA1, 0x91, 0xC9};  // RSV1, RSV2, RSV3 on text; RSV1 on a ping
  for (std::uint8_t code : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15})
    firsts.push_back(static_cast<std::uint8_t>(0x80 | code));
  for (const std::uint8_t first : firsts) {
    CAPTURE(static_cast<int>(first));
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(first, "x"));
    expect_close(client, 1002);
  }
}

TEST_CASE("fragmentation") {
  test_server server(make_app);
  SUBCASE("fragments are joined, with pings between them answered first") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x01, "Hel") + client_frame(0x89, "ping") + client_frame(0x00, "lo, ") +
                client_frame(0x8A, "pong") + client_frame(0x80, "world"));
    expect_echo(client, 0xA, "ping");
    expect_echo(client, 0x1, "Hello, world");
  }
  SUBCASE("empty fragments") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x02, "") + client_frame(0x00, "") + client_frame(0x80, ""));
    expect_echo(client, 0x2, "");
  }
  SUBCASE("a continuation without a message: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x80, "orphan"));
    expect_close(client, 1002);
  }
  SUBCASE("a new message inside a fragmented one: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x01, "first") + client_frame(0x81, "second"));
    expect_close(client, 1002);
  }
}

TEST_CASE("UTF-8 of text messages") {
  test_server server(make_app);
  SUBCASE("multi-byte characters split across fragments") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    const std::string text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80";  // κόσμε 😀
    for (std::size_t at = 1; at < text.size(); ++at) {
      CAPTURE(at);
      client.send(client_frame(0x01, text.substr(0, at)) + client_frame(0x80, text.substr(at)));
      expect_echo(client, 0x1, text);
    }
  }
  SUBCASE("invalid sequences: 1007") {
    const std::vector<std::string> invalid = {
        "\xff",              // never in UTF-8
        "\x80",              // a continuation byte first
        "\xc0\xaf",          // overlong '/'
        "\xe0\x80\xaf",      // overlong, three bytes
        "\xf0\x80\x80\xaf",  // overlong, four bytes
        "\xed\xa0\x80",      // a surrogate
        "\xf4\x90\x80\x80",  // past U+10FFFF
        "\xf5\x80\x80\x80",  // past U+10FFFF, by its lead
        "abc\xce",           // ends inside a character
    };
    for (const std::string& text : invalid) {
      CAPTURE(text);
      raw_client client(server.port());
      open_websocket(client, "/echo");
      client.send(text_frame(text));
      expect_close(client, 1007);
    }
  }
  SUBCASE("fail fast: the first fragment with a bad byte is refused before the message ends") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x01, "good \xed\xa0\x80"));  // no final frame follows
    expect_close(client, 1007);
  }
  SUBCASE("a close reason that is not UTF-8: 1007") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x88, close_payload(1000, "\xce")));
    expect_close(client, 1007);
  }
}

TEST_CASE("limits: a message over the maximum is 1009") {
  test_server server(make_app);
  SUBCASE("in one frame, refused from its header") {
    raw_client client(server.port());
    open_websocket(client, "/limited");
    client.send(text_frame(std::string(1000, 'a')));
    expect_echo(client, 0x1, std::string(1000, 'a'));
    client.send(client_frame(0x82, std::string(1001, 'b')));
    expect_close(client, 1009);
  }
  SUBCASE("over several fragments") {
    raw_client client(server.port());
    open_websocket(client, "/limited");
    client.send(client_frame(0x02, std::string(600, 'b')) + client_frame(0x80, std::string(401, 'b')));
    expect_close(client, 1009);
  }
  SUBCASE("a 64-bit length with its top bit set: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    std::string frame = "\x82\xff";
    frame += std::string("\x80\x00\x00\x00\x00\x00\x00\x01", 8);
    frame += std::string("\x01\x02\x03\x04", 4);
    client.send(frame);
    expect_close(client, 1002);
  }
}

TEST_CASE("close codes") {
  test_server server(make_app);
  SUBCASE("valid codes are echoed") {
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
      CAPTURE(code);
      raw_client client(server.port());
      open_websocket(client, "/echo");
      client.send(client_frame(0x88, close_payload(static_cast<std::uint16_t>(code), "bye")));
      expect_close(client, code);
    }
  }
  SUBCASE("a close without a code is answered with an empty close") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x88, ""));
    const server_frame frame = read_server_frame(client);
    CHECK(frame.opcode() == 0x8);
    CHECK(frame.payload.empty());
    CHECK(client.closed_by_server());
  }
  SUBCASE("invalid codes: 1002") {
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
      CAPTURE(code);
      raw_client client(server.port());
      open_websocket(client, "/echo");
      client.send(client_frame(0x88, close_payload(static_cast<std::uint16_t>(code))));
      expect_close(client, 1002);
    }
  }
  SUBCASE("a close payload of one byte: 1002") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x88, "x"));
    expect_close(client, 1002);
  }
}

TEST_CASE("masking: an unmasked client frame is 1002") {
  test_server server(make_app);
  raw_client client(server.port());
  open_websocket(client, "/echo");
  client.send(client_frame(0x81, "plain", false));
  expect_close(client, 1002);
}

TEST_CASE("handshake") {
  test_server server(make_app);
  const auto answer = [&](const std::string& request) { return ar::testing::exchange(server.port(), request); };
  const std::string base = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";

  SUBCASE("accepted: 101 with the accept value of RFC 6455's example") {
    raw_client client(server.port());
    client.send(handshake_request("/echo"));
    const http_reply reply = client.read_response(true);
    CHECK(reply.status == 101);
    CHECK(reply.header("Sec-WebSocket-Accept") == std::string(ar::testing::sample_accept));
    CHECK(reply.header("Upgrade") == "websocket");
    CHECK(!reply.header("Sec-WebSocket-Protocol"));
  }
  SUBCASE("tokens in lists and in any case") {
    raw_client client(server.port());
    client.send(base + "Upgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n" + key + version + "\r\n");
    CHECK(client.read_response(true).status == 101);
  }
  SUBCASE("a missing or malformed key: 400") {
    CHECK(answer(base + upgrade + version + "\r\n").status == 400);
    CHECK(answer(base + upgrade + version + "Sec-WebSocket-Key: c2hvcnQ=\r\n\r\n").status == 400);
    CHECK(answer(base + upgrade + version + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=!\r\n\r\n").status == 400);
    const http_reply reply = answer(base + upgrade + version + "\r\n");
    CHECK(reply.header("Content-Type") == "application/problem+json");
  }
  SUBCASE("version 8: 426 naming version 13") {
    const http_reply reply = answer(base + upgrade + key + "Sec-WebSocket-Version: 8\r\n\r\n");
    CHECK(reply.status == 426);
    CHECK(reply.header("Sec-WebSocket-Version") == "13");
  }
  SUBCASE("no Upgrade: 426; another protocol or no Connection: upgrade: 400") {
    const http_reply plain = answer(base + "\r\n");
    CHECK(plain.status == 426);
    CHECK(plain.header("Upgrade") == "websocket");
    CHECK(answer(base + "Upgrade: h2c\r\nConnection: Upgrade\r\n" + key + version + "\r\n").status == 400);
    CHECK(answer(base + "Upgrade: websocket\r\nConnection: keep-alive\r\n" + key + version + "\r\n").status == 400);
  }
  SUBCASE("another method: 405") {
    CHECK(answer("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n" + upgrade + key + version + "\r\n")
              .status == 405);
  }
  SUBCASE("Origin: the server's own, a listed one, or none are accepted; another is 403") {
    CHECK(answer(base + upgrade + key + version + "Origin: http://127.0.0.1\r\n\r\n").status == 101);
    CHECK(answer(base + upgrade + key + version + "Origin: https://evil.example\r\n\r\n").status == 403);
    const std::string origin_route = "GET /origin HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade + key + version;
    CHECK(answer(origin_route + "Origin: https://good.example\r\n\r\n").status == 101);
    CHECK(answer(origin_route + "Origin: https://evil.example\r\n\r\n").status == 403);
    CHECK(answer(origin_route + "\r\n").status == 101);
  }
  SUBCASE("a middleware refuses the handshake with its own status") {
    CHECK(answer("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade + key + version + "\r\n").status == 401);
  }
}

TEST_CASE("routes: path parameters, the handshake request, subprotocols") {
  test_server server(make_app);
  SUBCASE("typed path parameters reach the simple form") {
    raw_client client(server.port());
    open_websocket(client, "/rooms/lobby/ws/7");
    expect_echo(client, 0x1, "lobby#7");
    raw_client wrong(server.port());
    wrong.send(handshake_request("/rooms/lobby/ws/seven"));
    CHECK(wrong.read_response().status == 404);
  }
  SUBCASE("the two-step form reads the query and the middleware's context") {
    raw_client client(server.port());
    open_websocket(client, "/hello?name=Bob", "Authorization: letmein\r\n");
    expect_echo(client, 0x1, "hello Bob (ada)");
    client.send(text_frame("still here"));
    expect_echo(client, 0x1, "still here");
  }
  SUBCASE("the server's preferred subprotocol among the client's") {
    raw_client client(server.port());
    client.send(handshake_request("/protocol", "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n"));
    const http_reply reply = client.read_response(true);
    REQUIRE(reply.status == 101);
    CHECK(reply.header("Sec-WebSocket-Protocol") == "chat.v2");
    expect_echo(client, 0x1, "chose chat.v2");
  }
  SUBCASE("none in common: no Sec-WebSocket-Protocol") {
    raw_client client(server.port());
    client.send(handshake_request("/protocol", "Sec-WebSocket-Protocol: other\r\n"));
    const http_reply reply = client.read_response(true);
    REQUIRE(reply.status == 101);
    CHECK(!reply.header("Sec-WebSocket-Protocol"));
    expect_echo(client, 0x1, "chose ");
  }
  SUBCASE("the handler's end closes with 1000 and waits for the peer's close") {
    raw_client client(server.port());
    open_websocket(client, "/echo");
    client.send(client_frame(0x88, close_payload(1000)));
    expect_close(client, 1000);
  }
}
