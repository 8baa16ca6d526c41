// The event stream parser: fields, line ends, the byte order mark, ids, retry and the limits,
// with the stream cut at every byte.
#include <asyncrest/client/detail/event_parser.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

struct parsed {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const parsed&) const = default;
};

std::vector<parsed> parse_in_pieces(std::string_view stream, const std::vector<std::size_t>& cuts,
                                    ar::detail::event_parser& parser) {
  std::vector<parsed> events;
  const auto collect = [&](std::string_view type, std::string_view data, std::string_view id) {
    events.push_back({std::string(type), std::string(data), std::string(id)});
  };
  parser.begin();
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    parser.feed(stream.substr(from, cut - from), collect);
    from = cut;
  }
  parser.feed(stream.substr(from), collect);
  return events;
}

// Every rule at least once: a BOM; CRLF, CR and LF line ends, and CR LF CRLF in a row; one
// space removed after the colon, and only one; a field with no colon; comments; unknown fields;
// an id with NUL (ignored); retry with a letter (ignored); a named event with no data (not
// dispatched); a last event with no blank line (dropped).
const std::string tricky = std::string("\xEF\xBB\xBF") +
                           "data: a\r\n"
                           "data:b\r"
                           "data:  c\n"
                           "\n"
                           ": a comment\r\n"
                           "event: update\n"
                           "id: 7\n"
                           "retry: 1500\n"
                           "unknown: field\n"
                           "data\n"
                           "\n" +
                           std::string("id: bad\0id\n", 11) +
                           "data: y\r\n"
                           "\r\n"
                           "retry: 12a\r"
                           "event: named but empty\r"
                           "\r"
                           "data: one\r\r\n\n"
                           "data: never finished\n";

const std::vector<parsed> tricky_events{
    {"message", "a\nb\n c", ""}, {"update", "", "7"}, {"message", "y", "7"}, {"message", "one", "7"}};

}  // namespace

TEST_CASE("event parser: every rule, whole and cut at every byte") {
  ar::detail::event_parser parser(1024);
  CHECK(parse_in_pieces(tricky, {}, parser) == tricky_events);
  CHECK(parser.take_retry() == std::chrono::milliseconds(1500));
  CHECK_FALSE(parser.take_retry());  // taken once
  CHECK(parser.last_event_id() == "7");
  for (std::size_t cut = 1; cut < tricky.size(); ++cut) {
    CAPTURE(cut);
    ar::detail::event_parser fresh(1024);  // the id carries over from one stream to the next
    CHECK(parse_in_pieces(tricky, {cut}, fresh) == tricky_events);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t cut = 1; cut < tricky.size(); ++cut) every_byte.push_back(cut);
  ar::detail::event_parser fresh(1024);
  CHECK(parse_in_pieces(tricky, every_byte, fresh) == tricky_events);
}

TEST_CASE("event parser: a CR at the end of one piece and LF at the start of the next are one line end") {
  ar::detail::event_parser parser(1024);
  // Had the LF counted as a second line end, the blank line would dispatch "a" alone.
  CHECK(parse_in_pieces("data: a\r\ndata: b\r\n\r\n", {8}, parser) == std::vector<parsed>{{"message", "a\nb", ""}});
  CHECK(parse_in_pieces("data: a\r\ndata: b\r\n\r\n", {8, 17, 18, 19}, parser) ==
        std::vector<parsed>{{"message", "a\nb", ""}});
}

TEST_CASE("event parser: a byte order mark only at the start, and a partial one is data") {
  ar::detail::event_parser parser(1024);
  CHECK(parse_in_pieces("\xEF\xBB\xBF\xEF\xBB\xBF"
                        "data: x\n\n",
                        {1, 2, 4}, parser)
            .empty());  // second BOM: a field name
  CHECK(parse_in_pieces("\xEF\xBB"
                        "data: x\n\n",
                        {1}, parser)
            .empty());
  CHECK(parse_in_pieces("\xEF\xBB\xBF"
                        "data: x\n\n",
                        {1, 2, 3}, parser) == std::vector<parsed>{{"message", "x", ""}});
}

TEST_CASE("event parser: the id carries over to a new stream; an unfinished event does not") {
  ar::detail::event_parser parser(1024);
  CHECK(parse_in_pieces("id: 41\ndata: x\n\ndata: half", {}, parser).size() == 1);
  CHECK(parse_in_pieces("data: y\n\n", {}, parser) == std::vector<parsed>{{"message", "y", "41"}});
  CHECK(parse_in_pieces("id\ndata: z\n\n", {}, parser) == std::vector<parsed>{{"message", "z", ""}});  // reset
  CHECK(parser.last_event_id().empty());
}

TEST_CASE("event parser: a line or an event longer than the limit is an error, not memory") {
  ar::detail::event_parser parser(64);
  const auto ignore = [](std::string_view, std::string_view, std::string_view) {};
  parser.begin();
  parser.feed("data: " + std::string(50, 'x'), ignore);
  CHECK_THROWS_AS(parser.feed(std::string(50, 'x'), ignore), ar::protocol_error);
  parser.begin();
  parser.feed("data: " + std::string(40, 'x') + "\n", ignore);
  try {
    parser.feed("data: " + std::string(40, 'x') + "\n", ignore);  // each line fits; the event does not
    FAIL("no error");
  } catch (const ar::protocol_error& error) {
    CHECK(error.code() == ar::client_errc::response_too_large);
  }
}
