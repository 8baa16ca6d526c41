// Request bodies written by a coroutine, over real sockets against asyncrest's own server:
// chunked and Content-Length framing, 10 MiB compared on arrival, producers that write too much,
// too little or throw, backpressure against a slow reader, and redirects that would resend.
#include <asyncrest/client/client.hpp>

#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/test_server.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ar = asyncrest;
using ar::testing::expect_error;
using ar::testing::run_client;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t mebibyte = 1024 * 1024;

/// FNV-1a, to compare a body on both sides without holding it twice.
struct checksum {
  std::uint64_t value = 14695981039346656037ULL;
  void add(std::string_view bytes) {
    for (const char byte : bytes) {
      value ^= static_cast<unsigned char>(byte);
      value *= 1099511628211ULL;
    }
  }
};

/// Piece number `index` of a test body: different bytes in every piece.
std::string piece_of(std::size_t index, std::size_t size) {
  std::string piece(size, ' ');
  for (std::size_t offset = 0; offset < size; ++offset) {
    piece[offset] = static_cast<char>('a' + (index * 7 + offset / 13) % 26);
  }
  return piece;
}

/// What the slow route has read so far, for the producer to compare with what it has written.
std::atomic<std::uint64_t> slow_route_read{0};

ar::task<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

auto make_app() {
  return ar::app{ar::routes(
      // Answers with the framing it saw, the body's size and its checksum.
      ar::post<"/sink">([](ar::request& req) -> ar::task<ar::response> {
        checksum sum;
        std::uint64_t size = 0;
        for (std::string_view piece = co_await req.read_body(); !piece.empty(); piece = co_await req.read_body()) {
          sum.add(piece);
          size += piece.size();
        }
        co_return ar::text(std::string(req.header("Transfer-Encoding").value_or("-")) + " " +
                           std::string(req.header("Content-Length").value_or("-")) + " " + std::to_string(size) + " " +
                           std::to_string(sum.value));
      }).body({.max_bytes = 64 * mebibyte, .streamed = true}),
      ar::put<"/sink">(
          [](ar::request& req) -> ar::task<ar::response> { co_return ar::text("PUT " + std::string(req.body())); }),
      // Reads one piece at a time with a pause between reads.
      ar::post<"/slow">([](ar::request& req) -> ar::task<ar::response> {
        std::uint64_t size = 0;
        for (std::string_view piece = co_await req.read_body(); !piece.empty(); piece = co_await req.read_body()) {
          size += piece.size();
          slow_route_read = size;
          co_await sleep_for(1ms);
        }
        co_return ar::text(std::to_string(size));
      }).body({.max_bytes = 128 * mebibyte, .streamed = true}),
      ar::post<"/temporary">([](ar::request&) { return ar::redirect("/sink", ar::status::temporary_redirect); }),
      ar::put<"/permanent">([](ar::request&) { return ar::redirect("/sink", ar::status::permanent_redirect); }),
      ar::post<"/see-other">([](ar::request&) { return ar::redirect("/hello", ar::status::see_other); }),
      ar::get<"/hello">([](ar::request&) { return ar::text("hello"); }), ar::put<"/unavailable">([](ar::request& req) {
        return ar::text(std::string(req.body()), ar::status::service_unavailable);
      }),
      ar::post<"/small">([](ar::request& req) {
        return ar::text(std::to_string(req.body().size()));
      }).body({.max_bytes = 1024}))};
}

using app_server = ar::testing::test_server<decltype(&make_app)>;

std::string url(const app_server& server, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

ar::client_request post_to(std::string target) { return ar::client_request{ar::method::post, std::move(target)}; }

/// A producer of `count` pieces of `size` bytes, adding them to `sum`.
auto pieces(std::size_t count, std::size_t size, checksum& sum) {
  return [count, size, &sum](ar::client_body_writer& out) -> ar::task<void> {
    for (std::size_t index = 0; index < count; ++index) {
      const std::string piece = piece_of(index, size);
      sum.add(piece);
      co_await out.write(piece);
    }
  };
}

}  // namespace

TEST_CASE("10 MiB from a producer arrive chunked, whole and in order, beside bytes and empty writes") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    checksum sent;
    ar::client_request upload = post_to(url(server, "/sink"));
    upload.body_parts.push_back(ar::request_body_part::stream(pieces(160, 64 * 1024, sent)));
    const ar::client_response response = co_await http.request(std::move(upload));
    CHECK(response.status == ar::status::ok);
    CHECK(response.body == "chunked - " + std::to_string(10 * mebibyte) + " " + std::to_string(sent.value));

    // The body and the other parts go out as chunks too; an empty write sends nothing.
    checksum mixed;
    mixed.add("head-");
    mixed.add("bytes-");
    mixed.add("streamed");
    ar::client_request parts{ar::method::post, url(server, "/sink"), {}, "head-"};
    parts.body_parts.push_back(ar::request_body_part::bytes("bytes-"));
    parts.body_parts.push_back(ar::request_body_part::stream([](ar::client_body_writer& out) -> ar::task<void> {
      co_await out.write("");
      co_await out.write("streamed");
      co_await out.write("");
    }));
    CHECK((co_await http.request(std::move(parts))).body == "chunked - 19 " + std::to_string(mixed.value));

    // A producer that writes nothing: the last chunk alone.
    ar::client_request empty = post_to(url(server, "/sink"));
    empty.body_parts.push_back(
        ar::request_body_part::stream([](ar::client_body_writer&) -> ar::task<void> { co_return; }));
    CHECK((co_await http.request(std::move(empty))).body == "chunked - 0 " + std::to_string(checksum{}.value));
    CHECK(http.statistics().open_connections == 1);  // each exchange left the connection reusable
  });
}

TEST_CASE("a stream with a declared length is sent with Content-Length, and must write exactly that") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    checksum sent;
    ar::client_request exact = post_to(url(server, "/sink"));
    exact.body_parts.push_back(ar::request_body_part::stream(pieces(4, 1000, sent), 4000));
    CHECK((co_await http.request(std::move(exact))).body == "- 4000 4000 " + std::to_string(sent.value));

    checksum ignored;
    ar::client_request too_little = post_to(url(server, "/sink"));
    too_little.body_parts.push_back(ar::request_body_part::stream(pieces(3, 1000, ignored), 4000));
    const std::string short_error = co_await expect_error<ar::client_error>(http.request(std::move(too_little)));
    CHECK(short_error.starts_with("a stream body wrote 3000 bytes of the 4000 it declared"));

    ar::client_request too_much = post_to(url(server, "/sink"));
    too_much.body_parts.push_back(ar::request_body_part::stream(pieces(5, 1000, ignored), 4000));
    const std::string long_error = co_await expect_error<ar::client_error>(http.request(std::move(too_much)));
    CHECK(long_error.starts_with("a stream body wrote more than the 4000 bytes it declared"));

    // The broken exchanges closed their connections; the next request gets a fresh one and works.
    CHECK(http.statistics().open_connections == 0);
    CHECK((co_await http.get(url(server, "/hello"))).body == "hello");
  });
}

TEST_CASE("a producer that throws fails the request with its exception, unretried; the client goes on") {
  app_server server(&make_app);
  ar::client_settings settings;
  settings.retries.max_retries = 3;
  settings.retries.retry_non_idempotent = true;
  settings.retries.initial_backoff = 1ms;
  int calls = 0;
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    ar::client_request upload = post_to(url(server, "/sink"));
    upload.body_parts.push_back(ar::request_body_part::stream([&calls](ar::client_body_writer& out) -> ar::task<void> {
      ++calls;
      co_await out.write(piece_of(0, 100000));
      throw std::runtime_error("the source broke");
    }));
    ar::client_request copy = upload;  // shares the producer
    bool thrown = false;
    try {
      co_await http.request(std::move(upload));
    } catch (const std::runtime_error& error) {
      thrown = std::string_view(error.what()) == "the source broke";
    }
    CHECK(thrown);
    CHECK(calls == 1);                               // not retried: the body cannot be produced again
    CHECK(http.statistics().open_connections == 0);  // the server saw half a body

    // A copy shares the producer, which has run.
    const std::string again = co_await expect_error<ar::client_error>(http.request(std::move(copy)));
    CHECK(again.starts_with("a stream body can be sent once; this one was sent already"));
    CHECK(calls == 1);

    // A status the policy retries is returned as it is: the body cannot be produced again.
    int unavailable_calls = 0;
    ar::client_request put{ar::method::put, url(server, "/unavailable")};
    put.body_parts.push_back(
        ar::request_body_part::stream([&unavailable_calls](ar::client_body_writer& out) -> ar::task<void> {
          ++unavailable_calls;
          co_await out.write("once");
        }));
    const ar::client_response unavailable = co_await http.request(std::move(put));
    CHECK(unavailable.status == ar::status::service_unavailable);
    CHECK(unavailable.body == "once");
    CHECK(unavailable_calls == 1);

    checksum sent;
    ar::client_request next = post_to(url(server, "/sink"));
    next.body_parts.push_back(ar::request_body_part::stream(pieces(2, 10, sent)));
    CHECK((co_await http.request(std::move(next))).body == "chunked - 20 " + std::to_string(sent.value));
  });
}

TEST_CASE("backpressure: the producer is never far ahead of what a slow server has read") {
  app_server server(&make_app);
  slow_route_read = 0;
  constexpr std::size_t piece_size = 64 * 1024;
  constexpr std::size_t piece_count = 1024;  // 64 MiB
  std::uint64_t largest_lead = 0;
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::client_request upload = post_to(url(server, "/slow"));
    upload.body_parts.push_back(
        ar::request_body_part::stream([&largest_lead](ar::client_body_writer& out) -> ar::task<void> {
          const std::string piece = piece_of(1, piece_size);
          for (std::size_t index = 0; index < piece_count; ++index) {
            co_await out.write(piece);
            largest_lead = std::max<std::uint64_t>(largest_lead, out.bytes_written() - slow_route_read.load());
          }
        }));
    CHECK((co_await http.request(std::move(upload))).body == std::to_string(piece_size * piece_count));
  });
  MESSAGE("the producer was at most " << largest_lead / 1024 << " KiB ahead of the server");
  // What sits in the two sockets' buffers and the server's read buffer, far from the whole body.
  CHECK(largest_lead < 16 * mebibyte);
}

TEST_CASE("307 and 308 are returned as they are for a stream body; 303 is followed without it") {
  app_server server(&make_app);
  ar::client_settings settings;
  settings.redirects.max_redirects = 5;
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    int calls = 0;
    auto producer = [&calls](ar::client_body_writer& out) -> ar::task<void> {
      ++calls;
      co_await out.write("some body");
    };
    ar::client_request temporary = post_to(url(server, "/temporary"));
    temporary.body_parts.push_back(ar::request_body_part::stream(producer));
    const ar::client_response kept = co_await http.request(std::move(temporary));
    CHECK(kept.status == ar::status::temporary_redirect);
    CHECK(kept.headers.get("Location") == "/sink");
    CHECK(calls == 1);

    ar::client_request permanent{ar::method::put, url(server, "/permanent")};
    permanent.body_parts.push_back(ar::request_body_part::stream(producer, 9));
    CHECK((co_await http.request(std::move(permanent))).status == ar::status::permanent_redirect);
    CHECK(calls == 2);

    // The same redirect of bytes is followed: they can be sent again.
    ar::client_request bytes = post_to(url(server, "/temporary"));
    bytes.body_parts.push_back(ar::request_body_part::bytes("some body"));
    const ar::client_response resent = co_await http.request(std::move(bytes));
    CHECK(resent.url == url(server, "/sink"));
    CHECK(resent.body.starts_with("- 9 9 "));

    ar::client_request see_other = post_to(url(server, "/see-other"));
    see_other.body_parts.push_back(ar::request_body_part::stream(producer));
    const ar::client_response followed = co_await http.request(std::move(see_other));
    CHECK(followed.url == url(server, "/hello"));
    CHECK(followed.body == "hello");
    CHECK(calls == 3);
  });
}

TEST_CASE("a server that refuses the body early and closes: its answer, read after the broken write") {
  app_server server(&make_app);
  run_client({}, [&](ar::client& http) -> ar::task<void> {
    checksum ignored;
    ar::client_request upload = post_to(url(server, "/small"));
    upload.body_parts.push_back(ar::request_body_part::stream(pieces(160, 64 * 1024, ignored)));
    std::string outcome;
    try {
      const ar::client_response response = co_await http.request(std::move(upload));
      outcome = std::to_string(ar::to_number(response.status));
    } catch (const ar::connection_error& error) {
      outcome = error.what();
    }
    // asyncrest's server closes gracefully after its 413, so the answer is there to read when
    // the client's write fails.
    CHECK(outcome == "413");
    CHECK((co_await http.get(url(server, "/hello"))).body == "hello");
  });
}
