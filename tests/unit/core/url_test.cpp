// percent_decode and the Host header check.
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/detail/connection.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

namespace {

std::string decoded_or(std::string_view text, bool plus_as_space = false) {
  return asyncrest::percent_decode(text, plus_as_space).value_or("<malformed>");
}

}  // namespace

TEST_CASE("percent_decode: valid escapes") {
  CHECK(decoded_or("") == "");
  CHECK(decoded_or("plain-text_~.") == "plain-text_~.");
  CHECK(decoded_or("%41") == "A");
  CHECK(decoded_or("%4a%4A") == "JJ");
  CHECK(decoded_or("a%20b") == "a b");
  CHECK(decoded_or("%2F%2f") == "//");
  CHECK(decoded_or("%E2%82%AC") == "\xE2\x82\xAC");
  CHECK(decoded_or("%ff") == "\xFF");
  CHECK(decoded_or("%25") == "%");
  CHECK(decoded_or("%2541") == "%41");  // decoded once, not twice
  CHECK(decoded_or("x%41") == "xA");
  CHECK(decoded_or("%41x") == "Ax");
  CHECK(decoded_or("%01") == "\x01");
}

TEST_CASE("percent_decode: '+' is a space only in query strings") {
  CHECK(decoded_or("a+b") == "a+b");
  CHECK(decoded_or("a+b", true) == "a b");
  CHECK(decoded_or("++", true) == "  ");
  CHECK(decoded_or("%2B", true) == "+");
  CHECK(decoded_or("%2B+%20", true) == "+  ");
  CHECK(decoded_or("%2B", false) == "+");
}

TEST_CASE("percent_decode: malformed escapes") {
  for (const std::string_view text :
       {"%", "%4", "a%", "a%4", "%zz", "%g0", "%0g", "%%41", "%41%", "%41%4", "% 41", "%-1", "%+1"}) {
    CAPTURE(text);
    CHECK_FALSE(asyncrest::percent_decode(text).has_value());
    CHECK_FALSE(asyncrest::percent_decode(text, true).has_value());
  }
}

TEST_CASE("percent_decode: an escaped NUL is refused") {
  CHECK_FALSE(asyncrest::percent_decode("%00").has_value());
  CHECK_FALSE(asyncrest::percent_decode("abc%00def").has_value());
  CHECK_FALSE(asyncrest::percent_decode("%00", true).has_value());
  CHECK(decoded_or("%000") == "<malformed>");
  CHECK(decoded_or("%100") ==
        "\x10"
        "0");
}

TEST_CASE("append_percent_decoded appends to what is there") {
  std::string out = "keep:";
  CHECK(asyncrest::detail::append_percent_decoded("a%42+", out, true));
  CHECK(out == "keep:aB ");

  std::string partial;
  CHECK_FALSE(asyncrest::detail::append_percent_decoded("ok%zz", partial, false));
}

TEST_CASE("hex_digit_value") {
  CHECK(asyncrest::detail::hex_digit_value('0') == 0);
  CHECK(asyncrest::detail::hex_digit_value('9') == 9);
  CHECK(asyncrest::detail::hex_digit_value('a') == 10);
  CHECK(asyncrest::detail::hex_digit_value('F') == 15);
  CHECK(asyncrest::detail::hex_digit_value('g') == -1);
  CHECK(asyncrest::detail::hex_digit_value('G') == -1);
  CHECK(asyncrest::detail::hex_digit_value('/') == -1);
  CHECK(asyncrest::detail::hex_digit_value(':') == -1);
  CHECK(asyncrest::detail::hex_digit_value('@') == -1);
  CHECK(asyncrest::detail::hex_digit_value('`') == -1);
}

TEST_CASE("is_valid_host: valid Host values") {
  for (const std::string_view host :
       {"example.com", "example.com:8080", "EXAMPLE.com", "127.0.0.1", "127.0.0.1:65535", "[::1]", "[::1]:80",
        "[2001:db8::1]:443", "[::ffff:192.0.2.1]", "a%20b", "sub-domain_x~.example", "localhost",
        "localhost:", "host:0", "xn--bcher-kva.example", "a!$&'()*+,;=b", ""}) {
    CAPTURE(host);
    CHECK(asyncrest::detail::is_valid_host(host));
  }
}

TEST_CASE("is_valid_host: invalid Host values") {
  for (const std::string_view host :
       {"exa mple.com", "a:b:c",       "[::1",        "[]",      "[]:80",   "[::1]x", "[::1]:80:90", "[::g]",
        "[::1]:8o",     "host:99999x", "host:123456", "host:-1", "host:8a", "ho/st",  "a@b",         "user@example.com",
        "ho?st",        "ho#st",       "a%2",         "a%",      "a%zz",    "a%g0",   "h\xC3\xA9st", "ho\tst",
        "ho\"st",       "ho\\st",      "ho<st>",      ":80x"}) {
    CAPTURE(host);
    CHECK_FALSE(asyncrest::detail::is_valid_host(host));
  }
  CHECK_FALSE(asyncrest::detail::is_valid_host(std::string_view("ho\0st", 5)));
}
