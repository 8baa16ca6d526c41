// The client's side of compression, against asyncrest's server with the compression middleware:
// Accept-Encoding sent by default, gzip and br decoded whole and streamed (piece one decoded
// before the server writes piece two), the opt-outs per client and per request, and bombs and
// corrupt bodies refused.
#include <asyncrest/client/client.hpp>

#include <asyncrest/asyncrest.hpp>
#include <asyncrest/http/detail/content_coding.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/test_server.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB

namespace ar = asyncrest;
using ar::detail::content_coding;
using ar::testing::run_client;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> release_piece_two{false};

const std::string& large_text() {
  static const std::string text = [] {
    std::string made;
    for (int i = 0; made.size() < 200 * 1024; ++i) made += "line " + std::to_string(i) + " of a long text body\n";
    return made;
  }();
  return text;
}

ar::task<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

ar::response precompressed(std::string bytes) {
  ar::response res = ar::text(std::move(bytes));
  res.headers.set("Content-Encoding", "gzip");
  return res;
}

auto make_app() {
  return ar::app{
      ar::routes(
          ar::get<"/text">([]() -> ar::response { return ar::text(large_text()); }),
          ar::get<"/accept">([](ar::request& req) -> ar::response {
            return ar::text(std::string(req.header("Accept-Encoding").value_or("none")));
          }),
          ar::get<"/pieces">([]() -> ar::response {
            return ar::stream(
                [](ar::body_writer& out) -> ar::task<void> {
                  co_await out.write("piece one\n");
                  while (!release_piece_two) co_await pause(2ms);
                  co_await out.write("piece two\n");
                },
                "text/plain");
          }),
          ar::get<"/bomb">([]() -> ar::response {
            return precompressed(ar::detail::encode_whole(content_coding::gzip, 9, std::string(10 << 20, '\0')));
          }),
          ar::get<"/corrupt">([]() -> ar::response { return precompressed("not gzip at all, not even close"); })),
      ar::compression{}};
}
using app_server = ar::testing::test_server<decltype(&make_app)>;

}  // namespace

TEST_CASE("the client asks for br and gzip and decodes them; the opt-outs leave the body as sent") {
  app_server server(&make_app);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string expected_accept(ar::detail::decodable_codings());
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get(base + "/accept")).body == expected_accept);
    const ar::client_response decoded = co_await http.get(base + "/text");
    CHECK(decoded.body == large_text());
    CHECK(decoded.headers.get("Content-Encoding") == std::nullopt);
    CHECK(decoded.headers.get("Content-Length") == std::nullopt);

    ar::headers gzip_only;
    gzip_only.set("Accept-Encoding", "gzip");
    ar::client_request as_sent{ar::method::get, base + "/text", gzip_only};
    as_sent.decompress = false;
    const ar::client_response raw = co_await http.request(std::move(as_sent));
    CHECK(raw.headers.get("Content-Encoding") == "gzip");
    CHECK(raw.body.size() < large_text().size() / 4);
    std::string check;
    CHECK(ar::detail::decode_whole(content_coding::gzip, raw.body, 1 << 30, check) ==
          ar::detail::content_decoder::outcome::done);
    CHECK(check == large_text());

    ar::client_request no_accept{ar::method::get, base + "/accept"};
    no_accept.decompress = false;
    CHECK((co_await http.request(std::move(no_accept))).body == "none");
  });
  run_client({.decompress = false}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get(base + "/accept")).body == "none");
    const ar::client_response plain = co_await http.get(base + "/text");
    CHECK(plain.headers.get("Content-Encoding") == std::nullopt);
    CHECK(plain.body == large_text());
  });
}

TEST_CASE("a streamed compressed body is decoded piece by piece, as it arrives") {
  app_server server(&make_app);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  release_piece_two = false;
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::response_stream stream = co_await http.stream({ar::method::get, base + "/pieces"});
    CHECK(stream.head().headers.get("Content-Encoding") == std::nullopt);
    CHECK(co_await stream.read_some() == "piece one\n");
    CHECK_FALSE(release_piece_two);  // decoded before the server wrote piece two
    release_piece_two = true;
    std::string rest;
    for (std::string_view piece = co_await stream.read_some(); !piece.empty(); piece = co_await stream.read_some()) {
      rest += piece;
    }
    CHECK(rest == "piece two\n");

    ar::response_stream large = co_await http.stream({ar::method::get, base + "/text"});
    std::string whole;
    for (std::string_view piece = co_await large.read_some(); !piece.empty(); piece = co_await large.read_some()) {
      whole += piece;
    }
    CHECK(whole == large_text());
  });
}

TEST_CASE("a bomb stops at max_body_bytes, and a streamed one in bounded pieces; corrupt is malformed") {
  app_server server(&make_app);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  run_client({.max_body_bytes = 1 << 20}, [&](ar::client& http) -> ar::task<void> {
    try {
      (void)co_await http.get(base + "/bomb");
      FAIL("the bomb was decoded whole");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::response_too_large);
    }
    try {
      (void)co_await http.get(base + "/corrupt");
      FAIL("a corrupt body was accepted");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::malformed_response);
    }
    // Streamed, the body has no limit, but no piece holds more than about 64 KiB.
    ar::response_stream stream = co_await http.stream({ar::method::get, base + "/bomb"});
    std::size_t total = 0;
    std::size_t largest = 0;
    for (std::string_view piece = co_await stream.read_some(); !piece.empty(); piece = co_await stream.read_some()) {
      total += piece.size();
      largest = std::max(largest, piece.size());
    }
    CHECK(total == std::size_t{10} << 20);
    CHECK(largest <= 80 * 1024);
  });
}

#else

TEST_CASE("HTTP compression needs zlib") {
  MESSAGE("asyncrest::zlib is not available (zlib1g-dev): HTTP compression is not tested");
}

#endif
