// Request bodies per route, over real sockets: a route with its own body limit and idle timeout,
// and a route that reads its body piece by piece as it arrives (Content-Length and chunked),
// with 100 Continue sent only when the handler starts reading, 413 in the middle of a stream,
// 408 when the body stalls, and a body left unread that closes the connection.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

struct probe {
  std::atomic<int> handlers_started{0};
  std::atomic<std::size_t> largest_piece{0};
  std::atomic<std::size_t> pieces{0};
};

/// A checksum a test can compute too: bytes summed with their positions.
std::uint64_t checksum(std::string_view bytes, std::uint64_t start = 0) {
  std::uint64_t sum = 0;
  for (const char byte : bytes) sum += static_cast<unsigned char>(byte) * (start++ % 251 + 1);
  return sum;
}

std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t index = 0; index < size; ++index) bytes[index] = static_cast<char>('a' + index * 7 % 26);
  return bytes;
}

auto make_app(probe& state) {
  probe* const p = &state;
  return ar::app{ar::routes(
      // Reads as the body arrives: answers the length and the checksum.
      ar::post<"/upload">([p](ar::request& req) -> ar::task<ar::response> {
        ++p->handlers_started;
        std::uint64_t length = 0;
        std::uint64_t sum = 0;
        for (;;) {
          const std::string_view piece = co_await req.read_body();
          if (piece.empty()) break;
          sum += checksum(piece, length);
          length += piece.size();
          ++p->pieces;
          if (piece.size() > p->largest_piece) p->largest_piece = piece.size();
        }
        co_return ar::text(std::to_string(length) + " " + std::to_string(sum));
      }).body({.max_bytes = 64 * 1024 * 1024, .idle_timeout = 1s, .streamed = true}),
      // Streams with a limit of 256 KiB.
      ar::post<"/limited">([p](ar::request& req) -> ar::task<ar::response> {
        ++p->handlers_started;
        while (!(co_await req.read_body()).empty()) ++p->pieces;
        co_return ar::text("read it all");
      }).body({.max_bytes = 256 * 1024, .streamed = true}),
      // Streams, but answers without reading.
      ar::post<"/ignore">([p](ar::request&) {
        ++p->handlers_started;
        return ar::text("not read", ar::status::accepted);
      }).body({.streamed = true}),
      // Buffered, with a limit of its own below the server's.
      ar::post<"/small">([](ar::request& req) {
        return ar::text(std::to_string(req.body().size()));
      }).body({.max_bytes = 100}),
      // Buffered, with a limit above the server's.
      ar::post<"/large">([](ar::request& req) {
        return ar::text(std::to_string(checksum(req.body())));
      }).body({.max_bytes = 4 * 1024 * 1024}),
      // The server's limit: read_body() gives the buffered body once.
      ar::post<"/plain">([](ar::request& req) -> ar::task<ar::response> {
        const std::string first(co_await req.read_body());
        const std::string_view second = co_await req.read_body();
        co_return ar::text(first + "|" + std::string(second));
      }))};
}

struct app_factory {
  probe* state;
  auto operator()() const { return make_app(*state); }
};
using server_type = test_server<app_factory>;

ar::server_settings small_body_settings() {
  ar::server_settings settings = ar::testing::test_settings();
  settings.limits.max_body_bytes = 1024 * 1024;
  return settings;
}

std::string post_head(std::string_view path, std::size_t length, std::string_view extra = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n" +
         std::string(extra) + "\r\n";
}

std::string chunked(std::string_view body, std::size_t chunk_size) {
  std::string out;
  char size_text[32];
  for (std::size_t at = 0; at < body.size(); at += chunk_size) {
    const std::string_view piece = body.substr(at, chunk_size);
    std::snprintf(size_text, sizeof size_text, "%zx\r\n", piece.size());
    out += size_text;
    out += piece;
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string expected_answer(std::string_view body) {
  return std::to_string(body.size()) + " " + std::to_string(checksum(body));
}

}  // namespace

TEST_CASE("a streamed body larger than the server's limit arrives in pieces no larger than the read buffer") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  const std::string body = pattern(20 * 1024 * 1024);  // 20× the server's limit
  raw_client client(server.port());
  REQUIRE(client.send(post_head("/upload", body.size())));
  REQUIRE(client.send(body));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == expected_answer(body));
  MESSAGE("pieces: " << state.pieces.load() << ", largest: " << state.largest_piece.load());
  CHECK(state.largest_piece <= 64 * 1024);  // the request's memory never held the body
  // The connection goes on.
  REQUIRE(client.send(post_head("/plain", 3) + "abc"));
  CHECK(client.read_response().body == "abc|");
}

TEST_CASE("a chunked streamed body, and pipelined requests after it") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  const std::string body = pattern(3 * 1024 * 1024 + 5);
  raw_client client(server.port());
  REQUIRE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 10000) +
                      post_head("/plain", 2) + "hi"));
  CHECK(client.read_response().body == expected_answer(body));
  CHECK(client.read_response().body == "hi|");
}

TEST_CASE("100 Continue is sent only when the streaming handler starts reading") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  {
    raw_client client(server.port());
    REQUIRE(client.send(post_head("/upload", 5, "Expect: 100-continue\r\n")));
    CHECK(client.read_line() == "HTTP/1.1 100 Continue\r\n");
    CHECK(client.read_line() == "\r\n");
    REQUIRE(client.send("hello"));
    CHECK(client.read_response().body == expected_answer("hello"));
  }
  {
    // A handler that does not read: no 100 Continue, the answer instead, and the connection
    // closes since the body was never sent (RFC 9110 §10.1.1).
    raw_client client(server.port());
    REQUIRE(client.send(post_head("/ignore", 5, "Expect: 100-continue\r\n")));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 202);
    CHECK(reply.header("Connection") == "close");
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("a streamed body over the route's limit is 413 in the middle, then the connection closes") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  {
    raw_client client(server.port());  // declared too large: refused before the handler runs
    REQUIRE(client.send(post_head("/upload", 65 * 1024 * 1024)));
    CHECK(client.read_response().status == 413);
    CHECK(client.closed_by_server());
    CHECK(state.handlers_started == 0);
  }
  {
    raw_client client(server.port());  // chunked: found out while the handler reads
    const std::string body = pattern(300 * 1024);
    REQUIRE(client.send("POST /limited HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        chunked(body, 16 * 1024)));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 413);
    CHECK(reply.header("Connection") == "close");
    CHECK(reply.body.find("larger than this route accepts") != std::string::npos);
    CHECK(state.handlers_started == 1);
    CHECK(state.pieces > 0);  // the handler had been reading
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("a streamed body that stalls past the route's idle timeout is 408") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  raw_client client(server.port());
  REQUIRE(client.send(post_head("/upload", 100) + "only part of it"));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 408);
  CHECK(client.closed_by_server());
}

TEST_CASE("a streamed body left unread closes the connection after the answer") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  raw_client client(server.port());
  REQUIRE(client.send(post_head("/ignore", 5) + "hello"));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 202);
  CHECK(reply.header("Connection") == "close");
  CHECK(client.closed_by_server());
}

TEST_CASE("buffered routes take their own body limits, above and below the server's") {
  probe state;
  server_type server(app_factory{&state}, small_body_settings());
  {
    raw_client client(server.port());
    REQUIRE(client.send(post_head("/small", 100) + pattern(100)));
    CHECK(client.read_response().body == "100");
    REQUIRE(client.send(post_head("/small", 101) + pattern(101)));
    CHECK(client.read_response().status == 413);
  }
  {
    raw_client client(server.port());
    const std::string body = pattern(3 * 1024 * 1024);
    REQUIRE(client.send(post_head("/large", body.size()) + body));
    CHECK(client.read_response().body == std::to_string(checksum(body)));
  }
  {
    raw_client client(server.port());  // the server's limit still holds elsewhere
    const std::string body = pattern(1024 * 1024 + 1);
    REQUIRE(client.send(post_head("/plain", body.size())));
    CHECK(client.read_response().status == 413);
  }
}
