// Conditional requests (RFC 9110 §13): entity tags compared strongly and weakly, HTTP dates in
// their three forms, and the order in which the preconditions are evaluated.
#include <asyncrest/http/detail/conditional_request.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string_view>
#include <vector>

namespace {

using namespace asyncrest::detail;
using asyncrest::method;
using asyncrest::request_headers;

// 1994-11-06 08:49:37 UTC
constexpr std::int64_t example_moment = 784111777;

precondition_outcome evaluate(method verb, std::vector<asyncrest::header_view> fields, const validators& current) {
  return evaluate_preconditions(verb, request_headers(fields), current);
}

validators version(std::string_view tag, std::optional<std::int64_t> modified = example_moment) {
  validators current;
  current.tag = parse_entity_tag(tag);
  current.last_modified = modified;
  return current;
}

}  // namespace

TEST_CASE("entity tags: strong and weak, and lists") {
  REQUIRE(parse_entity_tag("\"abc\""));
  CHECK_FALSE(parse_entity_tag("\"abc\"")->weak);
  CHECK(parse_entity_tag("W/\"abc\"")->weak);
  CHECK(parse_entity_tag(" \"\" ")->opaque.empty());
  for (const char* bad : {"abc", "\"abc", "W/abc", "\"a\"b", "\"a b\"", "w/\"a\""}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_entity_tag(bad));
  }
  const std::optional<entity_tag> strong = parse_entity_tag("\"v1\"");
  CHECK(tag_list_matches("\"v0\", \"v1\"", strong, true, tag_comparison::strong));
  CHECK(tag_list_matches("W/\"v1\"", strong, true, tag_comparison::weak));
  CHECK_FALSE(tag_list_matches("W/\"v1\"", strong, true, tag_comparison::strong));
  CHECK(tag_list_matches("*", strong, true, tag_comparison::strong));
  CHECK_FALSE(tag_list_matches("*", std::nullopt, false, tag_comparison::strong));
  CHECK_FALSE(tag_list_matches("\"v1\" junk", strong, true, tag_comparison::weak));
  CHECK_FALSE(tag_list_matches("v1", strong, true, tag_comparison::weak));
  CHECK(tag_list_matches(",\"v9\",,\"v1\" ,", strong, true, tag_comparison::weak));
}

TEST_CASE("HTTP dates in the three forms a recipient must read") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == example_moment);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == example_moment);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == example_moment);
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK(parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT") == 1835481599);
  for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "1994-11-06T08:49:37Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_http_date(bad));
  }
}

TEST_CASE("If-None-Match and If-Modified-Since give 304 to GET and HEAD") {
  const validators current = version("\"v1\"");
  CHECK(evaluate(method::get, {{"If-None-Match", "\"v1\""}}, current) == precondition_outcome::not_modified);
  CHECK(evaluate(method::head, {{"If-None-Match", "W/\"v1\""}}, current) == precondition_outcome::not_modified);
  CHECK(evaluate(method::get, {{"If-None-Match", "*"}}, current) == precondition_outcome::not_modified);
  CHECK(evaluate(method::get, {{"If-None-Match", "\"v0\""}}, current) == precondition_outcome::proceed);
  CHECK(evaluate(method::get, {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, current) ==
        precondition_outcome::not_modified);
  CHECK(evaluate(method::get, {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}, current) ==
        precondition_outcome::proceed);
  CHECK(evaluate(method::get, {{"If-Modified-Since", "not a date"}}, current) == precondition_outcome::proceed);
  // If-None-Match decides alone when both are sent: a changed tag is not hidden by the date.
  CHECK(evaluate(method::get, {{"If-None-Match", "\"v0\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}},
                 current) == precondition_outcome::proceed);
  // Other methods: If-None-Match that matches fails, If-Modified-Since is not for them.
  CHECK(evaluate(method::put, {{"If-None-Match", "*"}}, current) == precondition_outcome::precondition_failed);
  CHECK(evaluate(method::post, {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, current) ==
        precondition_outcome::proceed);
}

TEST_CASE("If-Match and If-Unmodified-Since give 412, and come first") {
  const validators current = version("\"v1\"");
  CHECK(evaluate(method::get, {{"If-Match", "\"v1\""}}, current) == precondition_outcome::proceed);
  CHECK(evaluate(method::get, {{"If-Match", "W/\"v1\""}}, current) == precondition_outcome::precondition_failed);
  CHECK(evaluate(method::get, {{"If-Match", "\"v2\""}}, current) == precondition_outcome::precondition_failed);
  CHECK(evaluate(method::get, {{"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}, current) ==
        precondition_outcome::precondition_failed);
  CHECK(evaluate(method::get, {{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, current) ==
        precondition_outcome::proceed);
  // If-Match decides over If-Unmodified-Since, and a 412 comes before a 304.
  CHECK(evaluate(method::get, {{"If-Match", "\"v1\""}, {"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}},
                 current) == precondition_outcome::proceed);
  CHECK(evaluate(method::get, {{"If-Match", "\"v2\""}, {"If-None-Match", "\"v1\""}}, current) ==
        precondition_outcome::precondition_failed);
}

TEST_CASE("If-Range: a strong tag or the exact date") {
  const validators current = version("\"v1\"");
  const auto holds = [&](std::vector<asyncrest::header_view> fields) {
    return if_range_holds(request_headers(fields), current);
  };
  CHECK(holds({}));
  CHECK(holds({{"If-Range", "\"v1\""}}));
  CHECK_FALSE(holds({{"If-Range", "\"v2\""}}));
  CHECK_FALSE(holds({{"If-Range", "W/\"v1\""}}));
  CHECK(holds({{"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  CHECK_FALSE(holds({{"If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"}}));
  CHECK_FALSE(holds({{"If-Range", "garbage"}}));

  validators just_changed = current;
  just_changed.last_modified_is_strong = false;  // modified within the current second
  CHECK_FALSE(if_range_holds(
      request_headers(std::vector<asyncrest::header_view>{{"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}),
      just_changed));
  CHECK(if_range_holds(request_headers(std::vector<asyncrest::header_view>{{"If-Range", "\"v1\""}}), just_changed));
}
