// Cookies: the Cookie field read as browsers send it, and Set-Cookie fields written only when
// nothing in them could add an attribute or a field.
#include <asyncrest/core/headers.hpp>
#include <asyncrest/http/detail/cookie_syntax.hpp>
#include <asyncrest/server/cookies.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using namespace std::chrono_literals;

std::vector<std::pair<std::string, std::string>> pairs_of(const std::vector<ar::header_view>& fields) {
  std::vector<std::pair<std::string, std::string>> found;
  const ar::request_headers headers(fields);
  for (const ar::received_cookie& each : ar::request_cookies(headers)) found.emplace_back(each.name, each.value);
  return found;
}

std::vector<std::pair<std::string, std::string>> pairs_of(std::string_view cookie_field) {
  return pairs_of(std::vector<ar::header_view>{{"Cookie", cookie_field}});
}

using pairs = std::vector<std::pair<std::string, std::string>>;

std::string set_cookie_of(std::string_view name, std::string_view value, const ar::cookie_options& options = {}) {
  ar::response res;
  res.set_cookie(name, value, options);
  return std::string(res.headers.get("Set-Cookie").value_or("<absent>"));
}

}  // namespace

TEST_CASE("the Cookie field is read as browsers send it") {
  CHECK(pairs_of("a=1; b=2") == pairs{{"a", "1"}, {"b", "2"}});
  CHECK(pairs_of("a=1;b=2") == pairs{{"a", "1"}, {"b", "2"}});           // no space after ';'
  CHECK(pairs_of("  a = 1 ;\tb=2  ") == pairs{{"a", "1"}, {"b", "2"}});  // spaces and tabs around
  CHECK(pairs_of("a=\"quoted value\"") == pairs{{"a", "quoted value"}});
  CHECK(pairs_of("a=\"") == pairs{{"a", "\""}});                                     // a lone quote is kept as it is
  CHECK(pairs_of("token=abc==; x=a=b") == pairs{{"token", "abc=="}, {"x", "a=b"}});  // only the first '=' splits
  CHECK(pairs_of("empty=; b=2") == pairs{{"empty", ""}, {"b", "2"}});
  CHECK(pairs_of("nameless; =value; b=2") == pairs{{"b", "2"}});  // no name: nothing could look it up
  CHECK(pairs_of(";;; ; a=1;;") == pairs{{"a", "1"}});
  CHECK(pairs_of("").empty());
  CHECK(pairs_of("a=1; a=2") == pairs{{"a", "1"}, {"a", "2"}});
  CHECK(pairs_of("json={\"k\":1}; sp=a b") == pairs{{"json", "{\"k\":1}"}, {"sp", "a b"}});  // scripts set anything

  // Several Cookie fields (as HTTP/2 splits them), and other fields between them.
  const std::vector<ar::header_view> fields{
      {"Cookie", "a=1"}, {"Accept", "*/*"}, {"cookie", "b=2; c=3"}, {"X-Cookie", "d=4"}};
  CHECK(pairs_of(fields) == pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}});
  CHECK(pairs_of(std::vector<ar::header_view>{}).empty());
}

TEST_CASE("request_cookies looks names up exactly, the first one first") {
  const std::vector<ar::header_view> fields{{"Cookie", "Session=upper; session=lower; session=second"}};
  const ar::request_headers headers(fields);
  const ar::request_cookies cookies(headers);
  CHECK(cookies.get("session") == std::optional<std::string_view>("lower"));
  CHECK(cookies.get("Session") == std::optional<std::string_view>("upper"));
  CHECK(cookies.get("SESSION") == std::nullopt);
  CHECK(cookies.get("") == std::nullopt);
  CHECK(cookies.count("session") == 2);
  CHECK(cookies.count("missing") == 0);
}

TEST_CASE("Set-Cookie carries the safe defaults and the attributes asked for") {
  CHECK(set_cookie_of("theme", "dark") == "theme=dark; Path=/; HttpOnly; SameSite=Lax");
  CHECK(set_cookie_of("id", "\"quoted\"") == "id=\"quoted\"; Path=/; HttpOnly; SameSite=Lax");
  CHECK(set_cookie_of("empty", "") == "empty=; Path=/; HttpOnly; SameSite=Lax");
  CHECK(set_cookie_of("s", "v",
                      {.path = "/api",
                       .domain = "example.com",
                       .max_age = 3600s,
                       .expires = std::chrono::sys_days{std::chrono::year{2030} / 1 / 2} + 3h + 4min + 5s,
                       .secure = true,
                       .http_only = false,
                       .same_site = ar::same_site::none,
                       .partitioned = true}) ==
        "s=v; Path=/api; Domain=example.com; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Secure; "
        "SameSite=None; Partitioned");
  CHECK(set_cookie_of("s", "v", {.same_site = ar::same_site::strict}) == "s=v; Path=/; HttpOnly; SameSite=Strict");
  CHECK(set_cookie_of("__Host-id", "1", {.secure = true}) == "__Host-id=1; Path=/; Secure; HttpOnly; SameSite=Lax");
  CHECK(set_cookie_of("__Secure-id", "1", {.path = "/a", .domain = "example.com", .secure = true}) ==
        "__Secure-id=1; Path=/a; Domain=example.com; Secure; HttpOnly; SameSite=Lax");

  ar::response res;
  res.set_cookie("a", "1").set_cookie("b", "2");  // one field each, in order
  std::vector<std::string> values;
  for (const auto& [name, value] : res.headers) {
    if (name == "Set-Cookie") values.emplace_back(value);
  }
  CHECK(values ==
        std::vector<std::string>{"a=1; Path=/; HttpOnly; SameSite=Lax", "b=2; Path=/; HttpOnly; SameSite=Lax"});
}

TEST_CASE("delete_cookie expires the cookie with the path and domain it was set with") {
  ar::response res;
  res.delete_cookie("session", {.path = "/app", .domain = "example.com"});
  CHECK(res.headers.get("Set-Cookie") ==
        std::optional<std::string_view>("session=; Path=/app; Domain=example.com; Max-Age=0; "
                                        "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"));
  ar::response host;
  host.delete_cookie("__Host-id", {.secure = true});
  CHECK(host.headers.get("Set-Cookie")->find("Secure") != std::string_view::npos);
  CHECK_THROWS_AS(ar::response{}.delete_cookie("__Host-id"), std::invalid_argument);  // browsers would ignore it
}

TEST_CASE("names and values that could break the field are refused, and nothing is added") {
  const auto refused = [](std::string_view name, std::string_view value, const ar::cookie_options& options = {}) {
    ar::response res;
    bool threw = false;
    try {
      res.set_cookie(name, value, options);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    return threw && !res.headers.contains("Set-Cookie");
  };
  SUBCASE("header and attribute injection through the value") {
    CHECK(refused("a", "1\r\nSet-Cookie: admin=1"));
    CHECK(refused("a", "1\nX: y"));
    CHECK(refused("a", "1; Domain=evil.example"));
    CHECK(refused("a", "1;HttpOnly"));
    CHECK(refused("a", "two words"));
    CHECK(refused("a", "a,b"));
    CHECK(refused("a", "back\\slash"));
    CHECK(refused("a", "\"unbalanced"));
    CHECK(refused("a", "in\"side"));
    CHECK(refused("a", "\"a;b\""));  // quotes do not make ';' safe
    CHECK(refused("a", std::string_view("nul\0byte", 8)));
    CHECK(refused("a", "tab\there"));
    CHECK(refused("a", "caf\xc3\xa9"));  // not ASCII: encode it first
    CHECK(refused("a", "\x7f"));
  }
  SUBCASE("names") {
    CHECK(refused("", "v"));
    CHECK(refused("a=b", "v"));
    CHECK(refused("a b", "v"));
    CHECK(refused("a;b", "v"));
    CHECK(refused("a\r\nSet-Cookie: x", "v"));
    CHECK(refused("(a)", "v"));
    CHECK(refused("na\xc3\xafve", "v"));
  }
  SUBCASE("attributes") {
    CHECK(refused("a", "v", {.path = "relative"}));
    CHECK(refused("a", "v", {.path = ""}));
    CHECK(refused("a", "v", {.path = "/x; Domain=evil.example"}));
    CHECK(refused("a", "v", {.path = "/x\r\nSet-Cookie: y=1"}));
    CHECK(refused("a", "v", {.domain = "evil.example; Secure"}));
    CHECK(refused("a", "v", {.domain = "exa mple.com"}));
    CHECK(refused("a", "v", {.domain = "a..b"}));
    CHECK(refused("a", "v", {.domain = "."}));
    CHECK(refused("a", "v", {.max_age = -1s}));
    CHECK(refused("a", "v", {.expires = std::chrono::sys_days{std::chrono::year{1969} / 12 / 31}}));
  }
  SUBCASE("what browsers would drop") {
    CHECK(refused("a", "v", {.same_site = ar::same_site::none}));  // SameSite=None needs Secure
    CHECK(refused("a", "v", {.partitioned = true}));
    CHECK(refused("__Secure-a", "v"));
    CHECK(refused("__secure-a", "v"));  // the prefixes are matched without regard to case
    CHECK(refused("__Host-a", "v"));
    CHECK(refused("__Host-a", "v", {.path = "/app", .secure = true}));
    CHECK(refused("__Host-a", "v", {.domain = "example.com", .secure = true}));
    CHECK(refused("a", std::string(4096, 'x')));  // name and value pass 4096 bytes
  }
  CHECK_FALSE(refused("a", std::string(4095, 'x')));
  CHECK_FALSE(refused("a", "!#$%&'()*+-./:<=>?@[]^_`{|}~"));  // every cookie-octet that is not a letter or digit
  CHECK_FALSE(refused("!#$%&'*+-.^_`|~", "v"));
  CHECK_FALSE(refused("a", "v", {.domain = ".example.com"}));
}

TEST_CASE("the cookie character classes follow RFC 6265") {
  for (int byte = 0; byte < 256; ++byte) {
    const char character = static_cast<char>(byte);
    const bool expected =
        byte >= 0x21 && byte <= 0x7E && character != '"' && character != ',' && character != ';' && character != '\\';
    CHECK(ar::detail::is_cookie_value(std::string_view(&character, 1)) == expected);
  }
  CHECK(ar::detail::is_cookie_value("\"\""));
  CHECK(ar::detail::is_cookie_domain("localhost"));
  CHECK_FALSE(ar::detail::is_cookie_domain(std::string(64, 'a') + ".com"));  // a label past 63 bytes
  CHECK(ar::detail::is_cookie_domain(std::string(63, 'a') + ".com"));
}
