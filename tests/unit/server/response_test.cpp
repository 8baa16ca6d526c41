// Response helpers, header lists, and the serialized response head.
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/http_date.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::response;
using ar::status;
using field_list = std::vector<std::pair<std::string, std::string>>;

std::string header(const response& res, std::string_view name) {
  const auto value = res.headers.get(name);
  return value ? std::string(*value) : std::string("<absent>");
}

field_list fields_of(const ar::headers& list) {
  field_list out;
  for (const auto& [name, value] : list) out.emplace_back(name, value);
  return out;
}

// A serialized response head, split into its status line and fields.
struct head {
  std::string text;
  bool body_follows = false;
  std::string status_line;
  field_list fields;

  [[nodiscard]] std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields.begin(), fields.end(), [&](const auto& field) { return ar::iequals(field.first, name); }));
  }
  [[nodiscard]] std::string get(std::string_view name) const {
    for (const auto& [field_name, value] : fields) {
      if (ar::iequals(field_name, name)) return value;
    }
    return "<absent>";
  }
};

head write_head(const response& answer, ar::detail::response_framing framing = {}) {
  head result;
  result.body_follows = ar::detail::append_response_head(result.text, answer, framing);
  const std::string_view text = result.text;
  REQUIRE(text.size() >= 4);
  REQUIRE(text.substr(text.size() - 4) == "\r\n\r\n");
  std::string_view rest = text.substr(0, text.size() - 4);
  bool first = true;
  while (true) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    if (first) {
      result.status_line = std::string(line);
      first = false;
    } else {
      const std::size_t colon = line.find(": ");
      REQUIRE(colon != std::string_view::npos);
      result.fields.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + 2);
  }
  return result;
}

bool is_digit(char character) { return character >= '0' && character <= '9'; }

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
bool is_imf_fixdate(std::string_view date) {
  if (date.size() != 29) return false;
  constexpr std::string_view days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (std::find(std::begin(days), std::end(days), date.substr(0, 3)) == std::end(days)) return false;
  if (std::find(std::begin(months), std::end(months), date.substr(8, 3)) == std::end(months)) return false;
  if (date.substr(3, 2) != ", " || date[7] != ' ' || date[11] != ' ' || date[16] != ' ' || date[19] != ':' ||
      date[22] != ':' || date.substr(25) != " GMT") {
    return false;
  }
  for (const std::size_t at : {5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24}) {
    if (!is_digit(date[at])) return false;
  }
  return true;
}

std::string format_date(std::time_t when) {
  std::tm parts{};
  gmtime_r(&when, &parts);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return std::string(text, length);
}

}  // namespace

TEST_CASE("iequals compares ASCII letters without regard to case") {
  static_assert(ar::iequals("Content-Type", "content-type"));
  static_assert(ar::iequals("", ""));
  static_assert(!ar::iequals("Content-Type", "Content-Typ"));
  CHECK(ar::iequals("X-REQUEST-ID", "x-request-id"));
  CHECK(ar::iequals("a-1_b", "A-1_B"));
  CHECK_FALSE(ar::iequals("a", "b"));
  CHECK_FALSE(ar::iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit but are no letters
  CHECK_FALSE(ar::iequals("[", "{"));
  CHECK_FALSE(ar::iequals("\xC3\xA9", "\xC3\x89"));  // é and É: only ASCII folds
  CHECK_FALSE(ar::iequals("abc", "abcd"));
}

TEST_CASE("headers: set replaces every field of that name, whatever its case") {
  ar::headers list;
  list.add("X-A", "1").add("Other", "o").add("x-a", "2").add("X-a", "3");
  REQUIRE(list.size() == 4);

  list.set("x-A", "new");
  CHECK(fields_of(list) == field_list{{"X-A", "new"}, {"Other", "o"}});
  CHECK(list.get("X-A") == std::optional<std::string_view>("new"));

  list.set("Fresh", "f");
  CHECK(fields_of(list) == field_list{{"X-A", "new"}, {"Other", "o"}, {"Fresh", "f"}});

  list.set("fresh", "g");
  CHECK(list.size() == 3);
  CHECK(list.get("FRESH") == std::optional<std::string_view>("g"));
}

TEST_CASE("headers: add keeps others of the same name; get returns the first") {
  ar::headers list;
  CHECK(list.empty());
  list.add("Set-Cookie", "a=1").add("set-cookie", "b=2");
  CHECK(list.size() == 2);
  CHECK_FALSE(list.empty());
  CHECK(list.get("SET-COOKIE") == std::optional<std::string_view>("a=1"));
  CHECK(list.contains("Set-Cookie"));
  CHECK_FALSE(list.contains("Cookie"));
  CHECK_FALSE(list.get("Cookie").has_value());
  CHECK(fields_of(list) == field_list{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}});
}

TEST_CASE("headers: erase removes every field of that name") {
  ar::headers list;
  list.add("Vary", "Accept").add("Keep", "k").add("VARY", "Origin").add("vary", "Cookie");
  list.erase("vAry");
  CHECK(fields_of(list) == field_list{{"Keep", "k"}});
  list.erase("absent");
  CHECK(list.size() == 1);
  list.erase("keep");
  CHECK(list.empty());
}

TEST_CASE("request_headers: a view in the order received") {
  const std::vector<ar::header_view> fields{{"Host", "example.com"}, {"Accept", "text/html"}, {"accept", "*/*"}};
  const ar::request_headers list(fields);
  CHECK(list.size() == 3);
  CHECK(list.get("HOST") == std::optional<std::string_view>("example.com"));
  CHECK(list.get("Accept") == std::optional<std::string_view>("text/html"));
  CHECK(list.count("ACCEPT") == 2);
  CHECK(list.count("Missing") == 0);
  CHECK(list.contains("host"));
  CHECK_FALSE(list.contains("Hos"));
  CHECK(ar::request_headers().empty());
}

TEST_CASE("text") {
  const response ok = ar::text("hello");
  CHECK(ok.status == status::ok);
  CHECK(ok.body == "hello");
  CHECK(header(ok, "Content-Type") == "text/plain; charset=utf-8");
  CHECK(ok.headers.size() == 1);

  const response created = ar::text("made", status::created);
  CHECK(created.status == status::created);
  CHECK(created.body == "made");
}

TEST_CASE("json from a braced list of name/value pairs") {
  const response res = ar::json({{"message", "Hello World"}, {"n", 3}});
  CHECK(res.status == status::ok);
  CHECK(res.body == R"({"message":"Hello World","n":3})");
  CHECK(header(res, "Content-Type") == "application/json");
  CHECK(res.headers.size() == 1);

  // Names that are temporaries live until the body is written; values nest as json_value.
  const std::string name = "Ada";
  const response nested = ar::json(
      {{std::string("user") + "s", {{"name", name + "!"}, {"tags", {"a", "b"}}}}, {"none", nullptr}, {"q\"", 1.5}},
      status::created);
  CHECK(nested.status == status::created);
  CHECK(nested.body == R"({"users":{"name":"Ada!","tags":["a","b"]},"none":null,"q\"":1.5})");

  // The same bytes as the json_value that the same braces make.
  const ar::json_value value{{"message", "Hello World"}, {"n", 3}};
  CHECK(ar::json(value).body == res.body);

  // Lists that are not all pairs stay json_value: arrays; empty braces are an empty object.
  CHECK(ar::json({1, 2}).body == "[1,2]");
  CHECK(ar::json({"a", "b"}).body == R"(["a","b"])");
  CHECK(ar::json({{"a"}}).body == R"([["a"]])");
  CHECK(ar::json({{"a", 1}, 2}).body == R"([["a",1],2])");
  CHECK(ar::json({{1, 2}}).body == "[[1,2]]");
  CHECK(ar::json({}).body == "{}");
}

TEST_CASE("json from a json_value") {
  const response list = ar::json(ar::json_value{1, 2}, status::accepted);
  CHECK(list.status == status::accepted);
  CHECK(list.body == "[1,2]");
}

TEST_CASE("json from a parsed simdjson element") {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  REQUIRE(parser.parse(std::string_view(R"( { "a" : [ 1 , 2 ] , "b" : "x" } )")).get(document) == simdjson::SUCCESS);
  const response res = ar::json(document["a"].value(), status::created);
  CHECK(res.status == status::created);
  CHECK(res.body == "[1,2]");
  CHECK(header(res, "Content-Type") == "application/json");
  CHECK(ar::json(document).body == R"({"a":[1,2],"b":"x"})");
}

TEST_CASE("raw_json") {
  const response res = ar::raw_json(R"({"pre":"serialized"})", status::conflict);
  CHECK(res.status == status::conflict);
  CHECK(res.body == R"({"pre":"serialized"})");
  CHECK(header(res, "Content-Type") == "application/json");
}

TEST_CASE("empty") {
  const response none = ar::empty();
  CHECK(none.status == status::no_content);
  CHECK(none.body.empty());
  CHECK(none.headers.empty());
  CHECK(ar::empty(status::accepted).status == status::accepted);
}

TEST_CASE("redirect") {
  const response see_other = ar::redirect("/next?x=1");
  CHECK(see_other.status == status::see_other);
  CHECK(header(see_other, "Location") == "/next?x=1");
  CHECK(see_other.body.empty());

  const response permanent = ar::redirect("https://example.com/", status::permanent_redirect);
  CHECK(permanent.status == status::permanent_redirect);
  CHECK(header(permanent, "Location") == "https://example.com/");
}

TEST_CASE("problem: an RFC 9457 body") {
  const response res = ar::problem(status::conflict, "name \"ada\" is taken\n");
  CHECK(res.status == status::conflict);
  CHECK(header(res, "Content-Type") == "application/problem+json");
  CHECK(res.body == R"({"type":"about:blank","title":"Conflict","status":409,"detail":"name \"ada\" is taken\n"})");

  simdjson::dom::parser parser;
  simdjson::dom::element document;
  REQUIRE(parser.parse(res.body).get(document) == simdjson::SUCCESS);
  CHECK(std::string_view(document["type"].get_string().value()) == "about:blank");
  CHECK(std::string_view(document["title"].get_string().value()) == "Conflict");
  CHECK(document["status"].get_int64().value() == 409);
  CHECK(std::string_view(document["detail"].get_string().value()) == "name \"ada\" is taken\n");

  const response unknown = ar::problem(static_cast<status>(599), "odd");
  REQUIRE(parser.parse(unknown.body).get(document) == simdjson::SUCCESS);
  CHECK(std::string_view(document["title"].get_string().value()) == "Unknown");
  CHECK(document["status"].get_int64().value() == 599);
}

TEST_CASE("status helpers") {
  CHECK(ar::to_number(status::unprocessable_content) == 422);
  CHECK(ar::reason_phrase(status::payload_too_large) == "Content Too Large");
  CHECK(ar::reason_phrase(static_cast<status>(299)) == "Unknown");
  CHECK(ar::status_forbids_content_length(status::continue_));
  CHECK(ar::status_forbids_content_length(status::no_content));
  CHECK_FALSE(ar::status_forbids_content_length(status::not_modified));
  CHECK(ar::status_forbids_body(status::not_modified));
  CHECK_FALSE(ar::status_forbids_body(status::ok));
}

TEST_CASE("append_response_head: status line, Date and Content-Length") {
  const head written = write_head(ar::text("hello"));
  CHECK(written.body_follows);
  CHECK(written.status_line == "HTTP/1.1 200 OK");
  CHECK(written.count("Date") == 1);
  CHECK(written.get("Content-Length") == "5");
  CHECK(written.count("Content-Length") == 1);
  CHECK(written.count("Connection") == 0);
  CHECK(written.get("Content-Type") == "text/plain; charset=utf-8");
  REQUIRE(written.fields.size() == 3);
  CHECK(written.fields[0].first == "Date");
  CHECK(written.fields[1].first == "Content-Length");
  CHECK(written.fields[2].first == "Content-Type");

  const head not_found = write_head(ar::problem(status::not_found, "x"));
  CHECK(not_found.status_line == "HTTP/1.1 404 Not Found");
  CHECK(not_found.get("Content-Length") == std::to_string(ar::problem(status::not_found, "x").body.size()));

  const head unknown = write_head(response{static_cast<status>(299), {}, "ab"});
  CHECK(unknown.status_line == "HTTP/1.1 299 Unknown");
  CHECK(unknown.get("Content-Length") == "2");
}

TEST_CASE("append_response_head: an empty body has Content-Length 0 and nothing follows") {
  const head written = write_head(response{status::ok, {}, {}});
  CHECK(written.get("Content-Length") == "0");
  CHECK_FALSE(written.body_follows);
}

TEST_CASE("append_response_head: appends after what the buffer holds") {
  std::string out = "HTTP/1.1 200 OK\r\n\r\n";  // a pipelined response before this one
  const bool body = ar::detail::append_response_head(out, ar::text("x"), {});
  CHECK(body);
  CHECK(out.rfind("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nDate: ", 0) == 0);
}

TEST_CASE("append_response_head: no Content-Length for 1xx and 204, and no body") {
  for (const status code : {status::continue_, status::switching_protocols, status::no_content}) {
    CAPTURE(ar::to_number(code));
    const head written = write_head(response{code, {}, "ignored"});
    CHECK(written.count("Content-Length") == 0);
    CHECK_FALSE(written.body_follows);
  }
  const head no_content = write_head(ar::empty());
  CHECK(no_content.status_line == "HTTP/1.1 204 No Content");
  CHECK(no_content.count("Content-Length") == 0);
}

TEST_CASE("append_response_head: a 304 sends no body and no made-up Content-Length") {
  // RFC 9110 §8.6: a 304 must not carry a Content-Length other than the one a 200 would have had;
  // the server does not know that length, so it must leave the field out.
  const head written = write_head(response{status::not_modified, {}, {}});
  CHECK(written.status_line == "HTTP/1.1 304 Not Modified");
  CHECK_FALSE(written.body_follows);
  CHECK(written.count("Content-Length") == 0);

  const head with_body = write_head(response{status::not_modified, {}, "should not be sent"});
  CHECK_FALSE(with_body.body_follows);
  CHECK(with_body.get("Content-Length") != "18");
}

TEST_CASE("append_response_head: Connection") {
  const response res = ar::text("abc");

  const head keep = write_head(res, {.keep_alive = true, .http10_client = false, .head_request = false});
  CHECK(keep.count("Connection") == 0);

  const head close = write_head(res, {.keep_alive = false, .http10_client = false, .head_request = false});
  CHECK(close.get("Connection") == "close");
  CHECK(close.count("Connection") == 1);
  CHECK(close.body_follows);

  const head http10 = write_head(res, {.keep_alive = true, .http10_client = true, .head_request = false});
  CHECK(http10.get("Connection") == "keep-alive");
  CHECK(http10.count("Connection") == 1);

  const head http10_close = write_head(res, {.keep_alive = false, .http10_client = true, .head_request = false});
  CHECK(http10_close.get("Connection") == "close");
  CHECK(http10_close.count("Connection") == 1);
}

TEST_CASE("append_response_head: HEAD announces the length but sends no body") {
  const head written =
      write_head(ar::text("twelve bytes"), {.keep_alive = true, .http10_client = false, .head_request = true});
  CHECK(written.get("Content-Length") == "12");
  CHECK_FALSE(written.body_follows);
}

TEST_CASE("append_response_head: the handler's framing fields are dropped") {
  response res = ar::text("four");
  res.headers.add("Content-Length", "999")
      .add("content-length", "1")
      .add("Transfer-Encoding", "chunked")
      .add("TRANSFER-ENCODING", "gzip")
      .add("Connection", "upgrade")
      .add("Date", "Thu, 01 Jan 1970 00:00:00 GMT")
      .add("X-Kept", "yes");
  const head written = write_head(res);
  CHECK(written.count("Content-Length") == 1);
  CHECK(written.get("Content-Length") == "4");
  CHECK(written.count("Transfer-Encoding") == 0);
  CHECK(written.count("Connection") == 0);
  CHECK(written.count("Date") == 1);
  CHECK(written.get("Date") != "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(written.get("X-Kept") == "yes");
  CHECK(written.body_follows);
}

TEST_CASE("append_response_head: fields that would split the response are dropped") {
  response res = ar::text("ok");
  res.headers.add("X-Evil", "a\r\nSet-Cookie: session=stolen")
      .add("X-Lf", "a\nInjected: 1")
      .add("X-Cr", "a\rInjected: 2")
      .add("X-Nul", std::string_view("a\0b", 3))
      .add("Bad Name", "v")
      .add("Bad:Name", "v")
      .add("", "v")
      .add("X-Name\r\nInjected", "v")
      .add("X-Tab", "a\tb")
      .add("X-Token!#$%&'*+-.^_`|~", "fine");
  const head written = write_head(res);
  CHECK(written.text.find("Set-Cookie") == std::string::npos);
  CHECK(written.text.find("Injected") == std::string::npos);
  CHECK(written.count("X-Evil") == 0);
  CHECK(written.count("X-Lf") == 0);
  CHECK(written.count("X-Cr") == 0);
  CHECK(written.count("X-Nul") == 0);
  CHECK(written.text.find("Bad") == std::string::npos);
  CHECK(written.get("X-Tab") == "a\tb");
  CHECK(written.get("X-Token!#$%&'*+-.^_`|~") == "fine");
  // Date, Content-Length, Content-Type and the two valid fields: nothing else.
  CHECK(written.fields.size() == 5);
}

TEST_CASE("http_date: an IMF-fixdate of the current time") {
  const std::time_t before = std::time(nullptr);
  const std::string date(ar::detail::http_date());
  const std::time_t after = std::time(nullptr);
  CAPTURE(date);
  CHECK(date.size() == 29);
  CHECK(is_imf_fixdate(date));
  CHECK((date == format_date(before) || date == format_date(after)));

  const head written = write_head(ar::text("x"));
  CHECK(written.get("Date").size() == 29);
  CHECK(is_imf_fixdate(written.get("Date")));

  CHECK(is_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(is_imf_fixdate("Sunday, 06-Nov-94 08:49:37 GMT"));
}
