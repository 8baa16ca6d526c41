// The client's URL parsing and redirect resolution.
#include <asyncrest/client/detail/url.hpp>

#include <doctest/doctest.h>

#include <string>
#include <utility>

using asyncrest::client_error;
using asyncrest::detail::parse_url;
using asyncrest::detail::resolve_location;

TEST_CASE("parse_url: scheme, host, port and target") {
  auto plain = parse_url("http://Example.COM/path?q=1#fragment");
  CHECK(!plain.tls);
  CHECK(plain.host == "example.com");
  CHECK(plain.port == 80);
  CHECK(plain.target == "/path?q=1");
  CHECK(plain.origin() == "http://example.com");
  CHECK(plain.authority() == "example.com");

  auto secure = parse_url("HTTPS://127.0.0.1:8443");
  CHECK(secure.tls);
  CHECK(secure.port == 8443);
  CHECK(secure.target == "/");
  CHECK(secure.authority() == "127.0.0.1:8443");

  auto query_only = parse_url("http://h?x=1");
  CHECK(query_only.target == "/?x=1");

  auto ipv6 = parse_url("http://[::1]:9000/a");
  CHECK(ipv6.host == "::1");
  CHECK(ipv6.ipv6_literal);
  CHECK(ipv6.authority() == "[::1]:9000");
  CHECK(parse_url("https://[::1]/").text() == "https://[::1]/");
}

TEST_CASE("parse_url: what it refuses") {
  for (const char* bad :
       {"", "example.com", "ftp://h/", "http://", "http:///path", "http://h:0/", "http://h:65536/", "http://h:12x/",
        "http://u@h/", "http://[::1/", "http://h/a b", "http://h/\x01", "http://h_o st/", "http://h/<tag>"}) {
    CHECK_THROWS_AS_MESSAGE(static_cast<void>(parse_url(bad)), client_error, bad);
  }
  try {
    (void)parse_url("mailto:x");
  } catch (const client_error& error) {
    CHECK((error.code() == asyncrest::client_errc::invalid_url));
  }
}

TEST_CASE("resolve_location: absolute, scheme-relative, absolute-path and relative references") {
  const auto base = parse_url("http://a.example:8080/dir/page?x=1");
  CHECK(resolve_location(base, "https://b.example/next").text() == "https://b.example/next");
  CHECK(resolve_location(base, "//c.example/p").text() == "http://c.example/p");
  CHECK(resolve_location(base, "/root").text() == "http://a.example:8080/root");
  CHECK(resolve_location(base, "sibling").text() == "http://a.example:8080/dir/sibling");
  CHECK(resolve_location(base, "?y=2").text() == "http://a.example:8080/dir/page?y=2");
  CHECK_THROWS_AS(static_cast<void>(resolve_location(base, "ftp://elsewhere/")), client_error);
}

TEST_CASE("resolve_reference: RFC 3986 §5.4's normal examples") {
  using asyncrest::detail::resolve_reference;
  const auto base = parse_url("http://a/b/c/d;p?q");
  const std::pair<const char*, const char*> examples[] = {
      {"g", "http://a/b/c/g"},       {"./g", "http://a/b/c/g"},    {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},          {"//g", "http://g/"},         {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},   {"#s", "http://a/b/c/d;p?q"}, {"g#s", "http://a/b/c/g"},
      {";x", "http://a/b/c/;x"},     {"", "http://a/b/c/d;p?q"},   {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},       {"..", "http://a/b/"},        {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},      {"../..", "http://a/"},       {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},  {"/./g", "http://a/g"},       {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},     {"..g", "http://a/b/c/..g"},  {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"}, {"https://b/x", "https://b/x"},
  };
  for (const auto& example : examples) {  // not a structured binding: clang 14 cannot capture one
    CAPTURE(example.first);
    CHECK(resolve_reference(base, example.first).text() == example.second);
  }
  // A base URL with a path prefix keeps it for relative references only.
  const auto api = parse_url("http://api.example/v1/");
  CHECK(resolve_reference(api, "users/7").text() == "http://api.example/v1/users/7");
  CHECK(resolve_reference(api, "/health").text() == "http://api.example/health");
  CHECK_THROWS_AS(static_cast<void>(resolve_reference(api, "mailto:x@y")), client_error);
}
