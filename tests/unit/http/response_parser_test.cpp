// llhttp in response mode: framing, interim responses, limits and strictness.
#include <asyncrest/http/detail/response_parser.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>

using asyncrest::detail::response_parser;

namespace {

struct parsed {
  response_parser::event event;
  std::string body;
  std::size_t consumed = 0;
};

/// Feeds `bytes` in pieces of `step` bytes; finishes (EOF) if `at_end`.
parsed parse(response_parser& parser, std::string_view bytes, bool head_request = false, std::size_t step = 1000,
             bool at_end = false, std::size_t max_body = 1 << 20) {
  parsed out{response_parser::event::need_more, {}, 0};
  parser.begin(head_request, 4096);
  parser.set_body_sink(&out.body, max_body);
  for (std::size_t at = 0; at < bytes.size() && out.event == response_parser::event::need_more; at += step) {
    std::size_t used = 0;
    out.event = parser.feed(bytes.data() + at, std::min(step, bytes.size() - at), used);
    out.consumed += used;
  }
  if (at_end && out.event == response_parser::event::need_more) out.event = parser.finish();
  return out;
}

}  // namespace

TEST_CASE("response framing: Content-Length, chunked, close-delimited, HEAD, 204") {
  response_parser parser;
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    auto length = parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", false, step);
    CHECK(length.event == response_parser::event::complete);
    CHECK(length.body == "hello");
    CHECK(parser.status_code() == asyncrest::status::ok);
    REQUIRE(parser.fields().size() == 2);
    CHECK(parser.fields()[1].first == "X-A");
    CHECK(parser.fields()[1].second == "b");
    CHECK(parser.keep_alive());

    auto chunked = parse(
        parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", false, step);
    CHECK(chunked.event == response_parser::event::complete);
    CHECK(chunked.body == "abcde");
  }
  auto delimited = parse(parser, "HTTP/1.1 200 OK\r\n\r\nto the end", false, 1000, true);
  CHECK(delimited.event == response_parser::event::complete);
  CHECK(delimited.body == "to the end");
  CHECK(!parser.keep_alive());

  auto head = parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true);
  CHECK(head.event == response_parser::event::complete);
  CHECK(head.body.empty());

  auto no_content = parse(parser, "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(no_content.event == response_parser::event::complete);
}

TEST_CASE("interim 1xx responses are skipped; bytes after the response are noticed") {
  response_parser parser;
  auto interim = parse(parser, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  CHECK(interim.event == response_parser::event::complete);
  CHECK(parser.status_code() == asyncrest::status::created);
  CHECK(parser.fields().size() == 1);
  CHECK(interim.body == "ok");

  const std::string two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\n";
  auto extra = parse(parser, two);
  CHECK(extra.event == response_parser::event::complete);
  CHECK(extra.consumed < two.size());
}

TEST_CASE("bad responses and limits are errors") {
  response_parser parser;
  auto both = parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(both.event == response_parser::event::error);
  CHECK(!parser.error_is_limit());

  auto status = parse(parser, "HTTP/1.1 20 OK\r\n\r\n");
  CHECK(status.event == response_parser::event::error);

  auto truncated = parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, 1000, true);
  CHECK(truncated.event == response_parser::event::error);
  CHECK(parser.error_is_early_close());

  auto too_big = parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false, 1000, false, 5);
  CHECK(too_big.event == response_parser::event::error);
  CHECK(parser.error_is_limit());

  const std::string huge_field = "HTTP/1.1 200 OK\r\nX: " + std::string(5000, 'v') + "\r\n\r\n";
  auto huge = parse(parser, huge_field);
  CHECK(huge.event == response_parser::event::error);
  CHECK(parser.error_is_limit());

  auto upgrade = parse(parser, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n");
  CHECK(upgrade.event == response_parser::event::error);
}
