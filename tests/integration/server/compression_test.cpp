// The compression middleware over real sockets: gzip and br chosen from Accept-Encoding, Vary,
// the responses left alone (small, already compressed types, Content-Encoding set, 206, event
// streams), HEAD, a stream compressed and delivered piece by piece, a file; request bodies
// decompressed whole and streamed, a zip bomb refused with 413, corrupt and unknown codings; and
// curl --compressed, curl with br, and Python's requests as the clients.
#include <asyncrest/asyncrest.hpp>
#include <asyncrest/http/detail/content_coding.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
#include <support/websocket_frames.hpp>
#endif

#include <doctest/doctest.h>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB

namespace ar = asyncrest;
using asyncrest::detail::content_coding;
using asyncrest::detail::content_decoder;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using namespace std::chrono_literals;

namespace {

std::string json_document(std::size_t size) {
  std::string text = "[";
  for (int i = 0; text.size() < size; ++i) {
    text += R"({"id":)" + std::to_string(i) + R"(,"name":"user )" + std::to_string(i % 97) + R"(","active":true},)";
  }
  text.back() = ']';
  return text;
}

const std::string& large_json() {
  static const std::string text = json_document(100 * 1024);
  return text;
}

ar::task<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

struct probe {
  std::atomic<bool> release{false};
  std::string file_path;
};

ar::task<ar::response> count_body(ar::request& req) {
  std::size_t total = 0;
  std::string start;
  for (;;) {
    const std::string_view piece = co_await req.read_body();
    if (piece.empty()) break;
    if (start.size() < 16) start += piece.substr(0, 16 - start.size());
    total += piece.size();
  }
  co_return ar::text(std::to_string(total) + " " + start + " " +
                     std::string(req.header("Content-Encoding").value_or("-")) + " " +
                     std::string(req.header("Content-Length").value_or("-")));
}

struct app_factory {
  probe* p;
  auto operator()() const {
    probe* state = p;
    auto routes = ar::routes(
        ar::get<"/json">([]() -> ar::response { return ar::raw_json(large_json()); }),
        ar::get<"/small">([]() -> ar::response { return ar::raw_json(R"({"small":true})"); }),
        ar::get<"/image">([]() -> ar::response {
          ar::response res = ar::text(large_json());
          res.headers.set("Content-Type", "image/png");
          return res;
        }),
        ar::get<"/precompressed">([]() -> ar::response {
          ar::response res = ar::raw_json(ar::detail::encode_whole(content_coding::gzip, 6, large_json()));
          res.headers.set("Content-Encoding", "gzip");
          return res;
        }),
        ar::get<"/partial">([]() -> ar::response {
          ar::response res = ar::text(large_json().substr(0, 4000), static_cast<ar::status>(206));
          res.headers.set("Content-Range", "bytes 0-3999/" + std::to_string(large_json().size()));
          return res;
        }),
        ar::get<"/tagged">([]() -> ar::response {
          ar::response res = ar::raw_json(large_json());
          res.headers.set("ETag", "\"v1\"");
          res.headers.set("Vary", "Origin");
          res.headers.set("Accept-Ranges", "bytes");
          return res;
        }),
        ar::get<"/no-transform">([]() -> ar::response {
          ar::response res = ar::raw_json(large_json());
          res.headers.set("Cache-Control", "no-transform");
          return res;
        }),
        // Piece one, then piece two once the test has seen piece one.
        ar::get<"/pieces">([state]() -> ar::response {
          return ar::stream(
              [state](ar::body_writer& out) -> ar::task<void> {
                co_await out.write("piece one\n");
                while (!state->release) co_await pause(2ms);
                co_await out.write("piece two\n");
              },
              "text/plain");
        }),
        ar::get<"/file">([state]() -> ar::response { return ar::file(state->file_path, "application/json"); }),
        ar::get<"/events">([](ar::request&) {
          return ar::event_stream(
              [](ar::event_sink& events) -> ar::task<void> { co_await events.send({.data = std::string(2000, 'e')}); });
        }),
        ar::post<"/count">([](ar::request& req) -> ar::task<ar::response> { return count_body(req); }),
        ar::post<"/upload">([](ar::request& req) -> ar::task<ar::response> {
          return count_body(req);
        }).body({.streamed = true}),
        ar::post<"/largest-piece">([](ar::request& req) -> ar::task<ar::response> {
          std::size_t largest = 0;
          for (std::string_view piece = co_await req.read_body(); !piece.empty(); piece = co_await req.read_body()) {
            largest = std::max(largest, piece.size());
          }
          co_return ar::text(std::to_string(largest));
        }).body({.max_bytes = 64 << 20, .streamed = true}),
        ar::post<"/small-limit">([](ar::request& req) -> ar::task<ar::response> {
          return count_body(req);
        }).body({.max_bytes = 64 * 1024}));
    return ar::app{routes, ar::compression{}};
  }
};
using server_type = test_server<app_factory>;

http_reply fetch(std::uint16_t port, std::string_view target, std::string_view fields = "",
                 std::string_view method = "GET") {
  return asyncrest::testing::exchange(
      port,
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(fields) + "\r\n",
      method == "HEAD");
}

http_reply post(std::uint16_t port, std::string_view target, std::string_view coding, std::string_view body) {
  std::string head = "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n";
  if (!coding.empty()) head += "Content-Encoding: " + std::string(coding) + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return asyncrest::testing::exchange(port, head + std::string(body));
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

std::string decode(content_coding coding, std::string_view bytes) {
  std::string out;
  REQUIRE(ar::detail::decode_whole(coding, bytes, 64 << 20, out) == content_decoder::outcome::done);
  return out;
}

std::string read_chunk(raw_client& client) {
  const std::string size_line = client.read_line();
  REQUIRE(size_line.size() >= 3);
  const std::size_t size = std::stoul(size_line, nullptr, 16);
  std::string data = client.read_exactly(size);
  REQUIRE(client.read_exactly(2) == "\r\n");
  return data;
}

std::string run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> chunk{};
  std::size_t got = 0;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), got);
  REQUIRE(::pclose(pipe) == 0);
  return output;
}

}  // namespace

TEST_CASE("gzip and br are chosen from Accept-Encoding; Content-Length is the compressed length") {
  probe state;
  server_type server(app_factory{&state});
  const http_reply gzip = fetch(server.port(), "/json", "Accept-Encoding: gzip\r\n");
  CHECK(gzip.status == 200);
  CHECK(field(gzip, "Content-Encoding") == "gzip");
  CHECK(field(gzip, "Vary") == "Accept-Encoding");
  CHECK(field(gzip, "Content-Length") == std::to_string(gzip.body.size()));
  CHECK(gzip.body.size() < large_json().size() / 4);
  CHECK(decode(content_coding::gzip, gzip.body) == large_json());

  if (ar::detail::brotli_available) {
    const http_reply br = fetch(server.port(), "/json", "Accept-Encoding: gzip, deflate, br\r\n");
    CHECK(field(br, "Content-Encoding") == "br");
    CHECK(field(br, "Content-Length") == std::to_string(br.body.size()));
    CHECK(decode(content_coding::br, br.body) == large_json());
    const http_reply preferred = fetch(server.port(), "/json", "Accept-Encoding: br;q=0.5, gzip\r\n");
    CHECK(field(preferred, "Content-Encoding") == "gzip");
  }
  const http_reply refused = fetch(server.port(), "/json", "Accept-Encoding: gzip;q=0, br;q=0\r\n");
  CHECK(field(refused, "Content-Encoding") == "<absent>");
  CHECK(refused.body == large_json());
}

TEST_CASE("Vary on every response that could have been compressed; small, image and marked ones left alone") {
  probe state;
  server_type server(app_factory{&state});
  const http_reply plain = fetch(server.port(), "/json");
  CHECK(field(plain, "Content-Encoding") == "<absent>");
  CHECK(field(plain, "Vary") == "Accept-Encoding");
  CHECK(plain.body == large_json());

  const http_reply small = fetch(server.port(), "/small", "Accept-Encoding: gzip\r\n");
  CHECK(field(small, "Content-Encoding") == "<absent>");
  CHECK(field(small, "Vary") == "<absent>");

  const http_reply image = fetch(server.port(), "/image", "Accept-Encoding: gzip, br\r\n");
  CHECK(field(image, "Content-Encoding") == "<absent>");
  CHECK(field(image, "Vary") == "<absent>");
  CHECK(image.body == large_json());

  const http_reply untouched = fetch(server.port(), "/no-transform", "Accept-Encoding: gzip\r\n");
  CHECK(field(untouched, "Content-Encoding") == "<absent>");
}

TEST_CASE("a response with Content-Encoding, and a 206, are sent as they are") {
  probe state;
  server_type server(app_factory{&state});
  const http_reply precompressed = fetch(server.port(), "/precompressed", "Accept-Encoding: gzip, br\r\n");
  CHECK(field(precompressed, "Content-Encoding") == "gzip");
  CHECK(decode(content_coding::gzip, precompressed.body) == large_json());  // compressed once, not twice

  const http_reply partial = fetch(server.port(), "/partial", "Accept-Encoding: gzip, br\r\n");
  CHECK(partial.status == 206);
  CHECK(field(partial, "Content-Encoding") == "<absent>");
  CHECK(partial.body == large_json().substr(0, 4000));
}

TEST_CASE("a compressed response: weak ETag, no Accept-Ranges, Vary appended to") {
  probe state;
  server_type server(app_factory{&state});
  const http_reply reply = fetch(server.port(), "/tagged", "Accept-Encoding: gzip\r\n");
  CHECK(field(reply, "Content-Encoding") == "gzip");
  CHECK(field(reply, "ETag") == "W/\"v1\"");
  CHECK(field(reply, "Accept-Ranges") == "<absent>");
  CHECK(field(reply, "Vary") == "Origin, Accept-Encoding");
}

TEST_CASE("HEAD gets the fields GET gets, but for the length, and no body") {
  probe state;
  server_type server(app_factory{&state});
  const http_reply head = fetch(server.port(), "/json", "Accept-Encoding: gzip\r\n", "HEAD");
  CHECK(head.status == 200);
  CHECK(field(head, "Content-Encoding") == "gzip");
  CHECK(field(head, "Vary") == "Accept-Encoding");
  CHECK(field(head, "Content-Type") == "application/json");
  CHECK(field(head, "Content-Length") == "<absent>");
  CHECK(head.body.empty());
  // The connection goes on: the next request on it is answered.
  raw_client client(server.port());
  REQUIRE(
      client.send("HEAD /json HTTP/1.1\r\nHost: test\r\nAccept-Encoding: br, gzip\r\n\r\n"
                  "GET /small HTTP/1.1\r\nHost: test\r\n\r\n"));
  CHECK(client.read_response(true).status == 200);
  CHECK(client.read_response().body == R"({"small":true})");
}

TEST_CASE("a stream is compressed as it streams: the client decodes piece one before piece two is written") {
  for (const content_coding coding : {content_coding::gzip, content_coding::br}) {
    if (!ar::detail::coding_available(coding)) continue;
    CAPTURE(ar::detail::coding_name(coding));
    probe state;
    server_type server(app_factory{&state});
    raw_client client(server.port());
    REQUIRE(client.send("GET /pieces HTTP/1.1\r\nHost: test\r\nAccept-Encoding: " +
                        std::string(ar::detail::coding_name(coding)) + "\r\n\r\n"));
    std::string head;
    for (std::string line = client.read_line(); line != "\r\n"; line = client.read_line()) head += line;
    CHECK(head.find("Content-Encoding: " + std::string(ar::detail::coding_name(coding))) != std::string::npos);
    CHECK(head.find("Transfer-Encoding: chunked") != std::string::npos);
    content_decoder decoder(coding, 1 << 20);
    std::string text;
    CHECK(decoder.write(read_chunk(client), text) == content_decoder::outcome::more);
    CHECK(text == "piece one\n");
    CHECK_FALSE(state.release);  // piece two is not written yet
    state.release = true;
    for (std::string chunk = read_chunk(client); !chunk.empty(); chunk = read_chunk(client)) {
      CHECK(decoder.write(chunk, text) != content_decoder::outcome::corrupt);
    }
    CHECK(decoder.finished());
    CHECK(text == "piece one\npiece two\n");
  }
}

TEST_CASE("a file is read and compressed as a stream") {
  probe state;
  state.file_path = "compression_test_file.json";
  std::ofstream(state.file_path, std::ios::binary) << large_json();
  server_type server(app_factory{&state});
  const http_reply reply = fetch(server.port(), "/file", "Accept-Encoding: gzip\r\n");
  CHECK(field(reply, "Content-Encoding") == "gzip");
  CHECK(field(reply, "Content-Length") == "<absent>");
  CHECK(decode(content_coding::gzip, reply.body) == large_json());
  const http_reply plain = fetch(server.port(), "/file");
  CHECK(plain.body == large_json());
  CHECK(field(plain, "Vary") == "Accept-Encoding");
  std::remove(state.file_path.c_str());
}

TEST_CASE("an event stream is never compressed") {
  probe state;
  server_type server(app_factory{&state});
  raw_client client(server.port());
  REQUIRE(client.send("GET /events HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip, br\r\n\r\n"));
  std::string head;
  for (std::string line = client.read_line(); line != "\r\n"; line = client.read_line()) head += line;
  CHECK(head.find("Content-Encoding") == std::string::npos);
  CHECK(read_chunk(client) == "data: " + std::string(2000, 'e') + "\n\n");
}

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
auto make_websocket_app() {
  return ar::app{ar::routes(ar::websocket<"/echo">([](ar::websocket_connection& socket) -> ar::task<void> {
                   co_await ar::testing::websocket_echo(socket);
                 })),
                 ar::compression{}};
}

TEST_CASE("a WebSocket upgrade asked for with Accept-Encoding goes through untouched") {
  test_server<decltype(&make_websocket_app)> server(&make_websocket_app);
  raw_client client(server.port());
  REQUIRE(client.send(ar::testing::handshake_request("/echo", "Accept-Encoding: gzip, br\r\n")));
  const http_reply reply = client.read_response(true);
  CHECK(reply.status == 101);
  CHECK(field(reply, "Content-Encoding") == "<absent>");
  CHECK(field(reply, "Vary") == "<absent>");
  REQUIRE(client.send(ar::testing::text_frame("hello through the compression middleware")));
  CHECK(ar::testing::read_server_frame(client).payload == "hello through the compression middleware");
}
#endif

TEST_CASE("request bodies: gzip and br decompressed, whole and streamed") {
  probe state;
  server_type server(app_factory{&state});
  const std::string text = large_json();
  for (const content_coding coding : {content_coding::gzip, content_coding::br}) {
    if (!ar::detail::coding_available(coding)) continue;
    const std::string name(ar::detail::coding_name(coding));
    CAPTURE(name);
    const std::string compressed = ar::detail::encode_whole(coding, 5, text);
    const std::string expected = std::to_string(text.size()) + " " + text.substr(0, 16) + " -";
    // Whole: Content-Length is the decoded length; streamed: not known, so absent.
    CHECK(post(server.port(), "/count", name, compressed).body == expected + " " + std::to_string(text.size()));
    CHECK(post(server.port(), "/upload", name, compressed).body == expected + " -");
  }
  CHECK(post(server.port(), "/count", "", text).body ==
        std::to_string(text.size()) + " " + text.substr(0, 16) + " - " + std::to_string(text.size()));
  // A coding named on an empty body: nothing to decode.
  CHECK(post(server.port(), "/count", "gzip", "").body == "0  - 0");
}

TEST_CASE("a streamed request body that expands a thousandfold is read in pieces of about 64 KiB") {
  probe state;
  server_type server(app_factory{&state});
  const std::string compressed = ar::detail::encode_whole(content_coding::gzip, 9, std::string(32 << 20, 'z'));
  const http_reply reply = post(server.port(), "/largest-piece", "gzip", compressed);
  CHECK(reply.status == 200);
  CHECK(std::stoul(reply.body) <= 80 * 1024);
}

TEST_CASE("a zip bomb is refused with 413, whole or streamed; corrupt is 400, unknown 415") {
  probe state;
  server_type server(app_factory{&state});
  // 10 MiB of zeros in about 10 KiB, against the server's 1 MiB limit.
  const std::string bomb = ar::detail::encode_whole(content_coding::gzip, 9, std::string(10 << 20, '\0'));
  REQUIRE(bomb.size() < 64 * 1024);
  const http_reply whole = post(server.port(), "/count", "gzip", bomb);
  CHECK(whole.status == 413);
  CHECK(field(whole, "Content-Type") == "application/problem+json");
  CHECK(post(server.port(), "/upload", "gzip", bomb).status == 413);
  // The route's own limit applies to the decompressed size.
  const std::string medium = ar::detail::encode_whole(content_coding::gzip, 9, std::string(100 * 1024, 'a'));
  CHECK(post(server.port(), "/small-limit", "gzip", medium).status == 413);
  CHECK(post(server.port(), "/count", "gzip", medium).status == 200);

  const http_reply corrupt = post(server.port(), "/count", "gzip", "this is not gzip at all");
  CHECK(corrupt.status == 400);
  CHECK(field(corrupt, "Content-Type") == "application/problem+json");
  const std::string cut = medium.substr(0, medium.size() - 10);
  CHECK(post(server.port(), "/count", "gzip", cut).status == 400);
  CHECK(post(server.port(), "/upload", "gzip", cut).status == 400);

  const http_reply unknown = post(server.port(), "/count", "zstd", "whatever");
  CHECK(unknown.status == 415);
  CHECK(field(unknown, "Accept-Encoding").find("gzip") != std::string::npos);
  CHECK(post(server.port(), "/count", "gzip, br", "whatever").status == 415);
}

TEST_CASE("curl --compressed, and curl asking for br alone") {
  probe state;
  server_type server(app_factory{&state});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/json";
  const std::string headers_file = "compression_test_curl_headers.txt";
  CHECK(run("curl -s --max-time 20 --compressed -D " + headers_file + " " + url) == large_json());
  std::ifstream read_headers(headers_file);
  const std::string headers((std::istreambuf_iterator<char>(read_headers)), std::istreambuf_iterator<char>());
  CHECK(headers.find(ar::detail::brotli_available ? "Content-Encoding: br" : "Content-Encoding: gzip") !=
        std::string::npos);
  std::remove(headers_file.c_str());
  if (ar::detail::brotli_available && run("curl -V").find("brotli") != std::string::npos) {
    // Without --compressed curl hands over the bytes as sent: decoded here with the project's decoder.
    const std::string raw = run("curl -s --max-time 20 -H 'Accept-Encoding: br' " + url);
    CHECK(decode(content_coding::br, raw) == large_json());
    CHECK(run("curl -s --max-time 20 --compressed -H 'Accept-Encoding: br' " + url) == large_json());
  }
  const std::string streamed_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/pieces";
  state.release = true;
  CHECK(run("curl -s --max-time 20 --compressed " + streamed_url) == "piece one\npiece two\n");
}

TEST_CASE("Python's requests decodes gzip") {
  probe state;
  server_type server(app_factory{&state});
  const std::string script =
      "import sys, requests\n"
      "r = requests.get(sys.argv[1], headers={'Accept-Encoding': 'gzip'}, timeout=20)\n"
      "print(r.headers.get('Content-Encoding'), len(r.content), r.content[:2].decode())\n";
  std::ofstream("compression_test_requests.py") << script;
  const std::string output =
      run("/usr/bin/python3 compression_test_requests.py http://127.0.0.1:" + std::to_string(server.port()) + "/json");
  std::remove("compression_test_requests.py");
  CHECK(output == "gzip " + std::to_string(large_json().size()) + " " + large_json().substr(0, 2) + "\n");
}

#else

TEST_CASE("HTTP compression needs zlib") {
  MESSAGE("asyncrest::zlib is not available (zlib1g-dev): HTTP compression is not tested");
}

#endif
