// The client's cookie jar: RFC 6265 §5 date parsing, Set-Cookie parsing, domain and path
// matching, the storage model (host-only, Domain, public suffixes, IP hosts, Secure), expiry,
// the Cookie field's order, limits, and the cookies.txt format.
#include <asyncrest/client/cookie_jar.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

namespace ar = asyncrest;
using ar::detail::default_cookie_path;
using ar::detail::domain_matches;
using ar::detail::parse_cookie_date;
using ar::detail::parse_set_cookie;
using ar::detail::path_matches;
using namespace std::chrono_literals;

namespace {

/// 2026-01-01T00:00:00Z, a fixed "now" for every test.
const ar::cookie_jar::clock::time_point now{std::chrono::seconds(1767225600)};

}  // namespace

TEST_CASE("parse_cookie_date: the formats servers use, and what RFC 6265 §5.1.1 refuses") {
  // 1994-11-06T08:49:37Z
  constexpr std::int64_t expected = 784111777;
  CHECK(parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected);   // IMF-fixdate
  CHECK(parse_cookie_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected);  // RFC 850
  CHECK(parse_cookie_date("Sun Nov  6 08:49:37 1994") == expected);        // asctime
  CHECK(parse_cookie_date("Sun, 06-Nov-1994 08:49:37 GMT") == expected);   // Netscape
  CHECK(parse_cookie_date("06 november 1994 8:49:37") == expected);        // month names by prefix
  CHECK(parse_cookie_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK(parse_cookie_date("Wed, 01 Jan 2025 00:00:00 GMT") == 1735689600);
  CHECK(parse_cookie_date("01 Jan 69 00:00:00") == parse_cookie_date("01 Jan 2069 00:00:00"));  // two-digit years
  CHECK(parse_cookie_date("01 Jan 70 00:00:00") == 0);
  CHECK(parse_cookie_date("29 Feb 2024 12:00:00") == 1709208000);  // a leap day

  CHECK_FALSE(parse_cookie_date(""));
  CHECK_FALSE(parse_cookie_date("Sun, 06 Nov 1994 GMT"));        // no time
  CHECK_FALSE(parse_cookie_date("Sun, Nov 1994 08:49:37 GMT"));  // no day
  CHECK_FALSE(parse_cookie_date("Sun, 06 1994 08:49:37 GMT"));   // no month
  CHECK_FALSE(parse_cookie_date("Sun, 06 Nov 08:49:37 GMT"));    // no year
  CHECK_FALSE(parse_cookie_date("32 Nov 1994 08:49:37"));        // day out of range
  CHECK_FALSE(parse_cookie_date("06 Nov 1994 24:00:00"));        // hour out of range
  CHECK_FALSE(parse_cookie_date("06 Nov 1994 08:60:00"));        // minute out of range
  CHECK_FALSE(parse_cookie_date("06 Nov 1994 08:49:60"));        // second out of range
  CHECK_FALSE(parse_cookie_date("06 Nov 1600 08:49:37"));        // before 1601
  CHECK_FALSE(parse_cookie_date("31 Feb 2025 00:00:00"));        // a date that does not exist
  CHECK_FALSE(parse_cookie_date("29 Feb 2025 00:00:00"));        // not a leap year
}

TEST_CASE("parse_set_cookie: the pair and each attribute") {
  auto full = parse_set_cookie(
      " id = a3fWa ; Expires=Wed, 01 Jan 2025 00:00:00 GMT; Max-Age=60; Domain=.Example.COM; Path=/docs; Secure; "
      "HttpOnly; SameSite=lax; Unknown=1");
  REQUIRE(full);
  CHECK(full->name == "id");
  CHECK(full->value == "a3fWa");
  CHECK(full->expires == 1735689600);
  CHECK(full->max_age == 60);
  CHECK(full->domain == "example.com");
  CHECK(full->path == "/docs");
  CHECK(full->secure);
  CHECK(full->http_only);
  CHECK(full->same_site == "Lax");

  CHECK_FALSE(parse_set_cookie("no-equals-sign"));
  CHECK_FALSE(parse_set_cookie("=value"));
  CHECK_FALSE(parse_set_cookie("bad name=1"));
  CHECK_FALSE(parse_set_cookie("a=with space"));
  auto empty_value = parse_set_cookie("a=; Path=/");
  REQUIRE(empty_value);
  CHECK(empty_value->value.empty());

  auto odd = parse_set_cookie("a=1; Max-Age=soon; Expires=never; Path=relative; Domain=");
  REQUIRE(odd);
  CHECK_FALSE(odd->max_age);
  CHECK_FALSE(odd->expires);
  CHECK_FALSE(odd->path);
  CHECK_FALSE(odd->domain);
  CHECK(parse_set_cookie("a=1; Max-Age=-5")->max_age == -5);
  CHECK(parse_set_cookie("a=1; Path=/one; Path=/two")->path == "/two");  // the last one counts
}

TEST_CASE("domain and path matching (RFC 6265 §5.1.3, §5.1.4)") {
  struct domain_case {
    const char* host;
    const char* domain;
    bool matches;
  };
  const domain_case domains[] = {
      {"example.com", "example.com", true},
      {"www.example.com", "example.com", true},
      {"a.b.example.com", "example.com", true},
      {"badexample.com", "example.com", false},
      {"example.com", "www.example.com", false},
      {"example.org", "example.com", false},
      {"192.168.0.1", "192.168.0.1", true},
      {"10.168.0.1", "168.0.1", false},
      {"::1", "1", false},
  };
  for (const auto& each : domains) {
    CAPTURE(each.host);
    CAPTURE(each.domain);
    CHECK(domain_matches(each.host, each.domain) == each.matches);
  }

  struct path_case {
    const char* request;
    const char* cookie;
    bool matches;
  };
  const path_case paths[] = {
      {"/", "/", true},
      {"/docs", "/", true},
      {"/docs", "/docs", true},
      {"/docs/", "/docs", true},
      {"/docs/web", "/docs", true},
      {"/docs/web", "/docs/", true},
      {"/docsets", "/docs", false},
      {"/doc", "/docs", false},
      {"/", "/docs", false},
  };
  for (const auto& each : paths) {
    CAPTURE(each.request);
    CAPTURE(each.cookie);
    CHECK(path_matches(each.request, each.cookie) == each.matches);
  }

  CHECK(default_cookie_path("") == "/");
  CHECK(default_cookie_path("/") == "/");
  CHECK(default_cookie_path("/login") == "/");
  CHECK(default_cookie_path("/account/login") == "/account");
  CHECK(default_cookie_path("/account/settings/") == "/account/settings");
}

TEST_CASE("cookie_jar: host-only cookies, Domain, public suffixes and IP hosts") {
  ar::cookie_jar jar;
  CHECK(jar.set_cookie("http://www.example.com/", "host=1", now));
  CHECK(jar.set_cookie("http://www.example.com/", "wide=2; Domain=example.com", now));
  CHECK_FALSE(jar.set_cookie("http://www.example.com/", "other=3; Domain=example.org", now));
  CHECK_FALSE(jar.set_cookie("http://www.example.com/", "deeper=4; Domain=api.www.example.com", now));
  CHECK_FALSE(jar.set_cookie("http://www.example.com/", "suffix=5; Domain=com", now));
  CHECK_FALSE(jar.set_cookie("http://www.example.com/", "suffix=5; Domain=.com", now));
  CHECK(jar.set_cookie("http://localhost/", "local=6; Domain=localhost", now));  // the suffix is the host itself

  CHECK(jar.cookie_header("http://www.example.com/", now) == "host=1; wide=2");
  CHECK(jar.cookie_header("http://example.com/", now) == "wide=2");
  CHECK(jar.cookie_header("http://api.www.example.com/", now) == "wide=2");  // host-only: not to subdomains
  CHECK(jar.cookie_header("http://badexample.com/", now).empty());
  CHECK(jar.cookie_header("http://localhost/", now) == "local=6");
  CHECK(jar.cookie_header("http://sub.localhost/", now).empty());  // host-only despite its Domain

  ar::cookie_jar by_address;
  CHECK(by_address.set_cookie("http://127.0.0.1:8080/", "a=1", now));
  CHECK(by_address.set_cookie("http://127.0.0.1:8080/", "b=2; Domain=127.0.0.1", now));
  CHECK_FALSE(by_address.set_cookie("http://127.0.0.1:8080/", "c=3; Domain=0.0.1", now));
  CHECK(by_address.cookie_header("http://127.0.0.1:9090/x", now) == "a=1; b=2");  // ports do not matter
  for (const auto& each : by_address.cookies(now)) CHECK(each.host_only);
}

TEST_CASE("cookie_jar: default path and path matching") {
  ar::cookie_jar jar;
  CHECK(jar.set_cookie("http://h/account/login", "session=1", now));  // Path defaults to /account
  CHECK(jar.set_cookie("http://h/account/login", "everywhere=2; Path=/", now));
  CHECK(jar.set_cookie("http://h/", "deep=3; Path=/account/settings", now));
  CHECK(jar.cookie_header("http://h/", now) == "everywhere=2");
  CHECK(jar.cookie_header("http://h/account", now) == "session=1; everywhere=2");
  CHECK(jar.cookie_header("http://h/account/settings/email?x=1", now) == "deep=3; session=1; everywhere=2");
  CHECK(jar.cookie_header("http://h/accounts", now) == "everywhere=2");
}

TEST_CASE("cookie_jar: order is longer paths first, then earlier creation; a replaced cookie keeps its place") {
  ar::cookie_jar jar;
  CHECK(jar.set_cookie("http://h/", "b=1; Path=/", now));
  CHECK(jar.set_cookie("http://h/", "a=2; Path=/", now + 1s));
  CHECK(jar.set_cookie("http://h/", "c=3; Path=/x", now + 2s));
  CHECK(jar.cookie_header("http://h/x/y", now + 3s) == "c=3; b=1; a=2");
  CHECK(jar.set_cookie("http://h/", "b=changed; Path=/", now + 4s));
  CHECK(jar.cookie_header("http://h/x/y", now + 5s) == "c=3; b=changed; a=2");
  CHECK(jar.size() == 3);
}

TEST_CASE("cookie_jar: Max-Age wins over Expires; zero or negative deletes; expired cookies go") {
  ar::cookie_jar jar;
  CHECK(jar.set_cookie("http://h/", "short=1; Max-Age=10; Expires=Fri, 01 Jan 2100 00:00:00 GMT", now));
  CHECK(jar.set_cookie("http://h/", "dated=2; Expires=Thu, 01 Jan 2026 00:01:00 GMT", now));
  CHECK(jar.set_cookie("http://h/", "session=3", now));
  CHECK(jar.cookie_header("http://h/", now + 9s) == "short=1; dated=2; session=3");
  CHECK(jar.cookie_header("http://h/", now + 10s) == "dated=2; session=3");
  CHECK(jar.cookie_header("http://h/", now + 60s) == "session=3");
  CHECK(jar.size() == 1);

  CHECK(jar.set_cookie("http://h/", "session=gone; Max-Age=0", now));
  CHECK(jar.cookie_header("http://h/", now).empty());
  CHECK(jar.set_cookie("http://h/", "again=1", now));
  CHECK(jar.set_cookie("http://h/", "again=1; Max-Age=-1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", now));
  CHECK(jar.set_cookie("http://h/", "old=1", now));
  CHECK(jar.set_cookie("http://h/", "old=1; Expires=Thu, 01 Jan 1990 00:00:00 GMT", now));  // in the past
  CHECK(jar.size() == 0);

  CHECK(jar.set_cookie("http://h/", "long=1; Max-Age=99999999999999999999", now));  // capped at 400 days
  REQUIRE(jar.cookies(now).size() == 1);
  CHECK(*jar.cookies(now)[0].expires == now + std::chrono::hours(24 * 400));
}

TEST_CASE("cookie_jar: Secure cookies travel over https only and are not taken from http") {
  ar::cookie_jar jar;
  CHECK_FALSE(jar.set_cookie("http://h/", "token=plain; Secure", now));
  CHECK(jar.set_cookie("https://h/", "token=tls; Secure; HttpOnly; SameSite=Strict", now));
  CHECK(jar.cookie_header("https://h/", now) == "token=tls");
  CHECK(jar.cookie_header("http://h/", now).empty());
  CHECK_FALSE(jar.set_cookie("http://h/", "token=overwritten", now));  // http cannot shadow it
  CHECK(jar.set_cookie("https://h/", "token=renewed; Secure", now));
  CHECK(jar.get("https://h/", "token", now) == "renewed");
  auto stored = jar.cookies(now);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].secure);
  CHECK_FALSE(stored[0].http_only);  // the renewal said nothing of HttpOnly
}

TEST_CASE("cookie_jar: HttpOnly and SameSite are stored and every matching cookie is sent") {
  ar::cookie_jar jar;
  CHECK(jar.set_cookie("https://h/", "strict=1; SameSite=Strict; HttpOnly", now));
  CHECK(jar.set_cookie("https://h/", "lax=2; SameSite=Lax", now));
  CHECK(jar.cookie_header("https://h/", now) == "strict=1; lax=2");
  auto stored = jar.cookies(now);
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].http_only);
  CHECK(stored[0].same_site == "Strict");
  CHECK(stored[1].same_site == "Lax");
}

TEST_CASE("cookie_jar: limits per domain, in all, and per cookie; the least recently used goes first") {
  ar::cookie_jar jar({.max_cookies_per_domain = 3, .max_cookies = 5, .max_cookie_bytes = 32});
  CHECK(jar.set_cookie("http://a/", "one=1", now));
  CHECK(jar.set_cookie("http://a/", "two=2", now + 1s));
  CHECK(jar.set_cookie("http://a/", "three=3", now + 2s));
  CHECK(jar.cookie_header("http://a/", now + 3s) == "one=1; two=2; three=3");  // every one used at +3s
  CHECK(jar.set_cookie("http://a/", "four=4", now + 4s));
  CHECK(jar.size() == 3);
  CHECK(jar.cookie_header("http://a/", now + 5s) == "two=2; three=3; four=4");  // "one" was first in the order

  CHECK(jar.set_cookie("http://b/", "x=1", now + 6s));
  CHECK(jar.set_cookie("http://b/", "y=2", now + 7s));
  CHECK(jar.set_cookie("http://c/", "z=3", now + 8s));  // six: the jar drops the least recently used
  CHECK(jar.size() == 5);
  CHECK_FALSE(jar.get("http://a/", "two", now + 9s));
  CHECK(jar.get("http://c/", "z", now + 9s) == "3");

  CHECK_FALSE(jar.set_cookie("http://a/", "big=" + std::string(40, 'v'), now));
}

TEST_CASE("cookie_jar: add, clear, and the cookies.txt round trip") {
  ar::cookie_jar jar;
  jar.add({.name = "manual", .value = "1", .domain = ".Example.com", .path = "/", .host_only = false});
  CHECK(jar.cookie_header("http://www.example.com/") == "manual=1");
  CHECK_THROWS_AS(jar.add({.name = "bad name", .value = "1", .domain = "h"}), std::invalid_argument);
  CHECK_THROWS_AS(jar.add({.name = "a", .value = "1", .domain = ""}), std::invalid_argument);

  CHECK(jar.set_cookie("https://shop.example.com/cart/view", "cart=7; Max-Age=3600; Secure; HttpOnly", now));
  CHECK(jar.set_cookie("http://other.org/", "session=s", now));
  std::ostringstream saved;
  jar.save(saved, true, now);
  const std::string text = saved.str();
  CHECK(text.find("#HttpOnly_shop.example.com\tFALSE\t/cart\tTRUE\t1767229200\tcart\t7\n") != std::string::npos);
  CHECK(text.find(".example.com\tTRUE\t/\tFALSE\t0\tmanual\t1\n") != std::string::npos);
  CHECK(text.find("other.org\tFALSE\t/\tFALSE\t0\tsession\ts\n") != std::string::npos);
  std::ostringstream persistent_only;
  jar.save(persistent_only, false, now);
  CHECK(persistent_only.str().find("session") == std::string::npos);

  ar::cookie_jar loaded;
  CHECK(loaded.load(std::istringstream(text + "# a comment\nnot a cookie line\n"), now) == 3);
  CHECK(loaded.cookie_header("https://shop.example.com/cart/x", now) == "cart=7; manual=1");
  CHECK(loaded.cookie_header("http://shop.example.com/cart/x", now) == "manual=1");
  for (const auto& each : loaded.cookies(now)) CHECK(each.http_only == (each.name == "cart"));
  CHECK(loaded.load(std::istringstream("h\tFALSE\t/\tFALSE\t1000\told\t1\n"), now) == 0);  // expired

  loaded.clear("example.com");
  CHECK(loaded.size() == 1);
  loaded.clear_session_cookies();
  CHECK(loaded.size() == 0);
  jar.clear();
  CHECK(jar.size() == 0);
}
