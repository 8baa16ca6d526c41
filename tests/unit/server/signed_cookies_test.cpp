// Signed cookies: HMAC-SHA256 round trips, key rotation, and every way a forged value must read
// as absent. Needs OpenSSL (asyncrest::tls).
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL

#include <asyncrest/server/detail/cookie_signature.hpp>
#include <asyncrest/server/signed_cookies.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ar = asyncrest;
using namespace std::string_view_literals;

const std::string old_key(32, 'o');
const std::string new_key = "0123456789abcdef0123456789ABCDEF-new";

}  // namespace

TEST_CASE("base64url is written without padding and read strictly") {
  using ar::detail::base64url_decode;
  using ar::detail::base64url_encode;
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");  // the two URL-safe characters
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  CHECK(base64url_decode(base64url_encode(every_byte)) == every_byte);
  CHECK(base64url_decode("Zm8") == std::optional<std::string>("fo"));
  CHECK(base64url_decode("Zm9=") == std::nullopt);  // padding
  CHECK(base64url_decode("Zm9") == std::nullopt);   // bits set past the last byte: a second spelling
  CHECK(base64url_decode("Z") == std::nullopt);     // no encoding has this length
  CHECK(base64url_decode("+/8") == std::nullopt);   // standard base64's characters
  CHECK(base64url_decode("Zm 9v") == std::nullopt);
}

TEST_CASE("a signed value comes back, and is a valid cookie value") {
  const ar::cookie_signer signer{{new_key}};
  for (const std::string_view value :
       {std::string_view("42"), std::string_view(""), "spaces; semicolons, \"quotes\"\r\n and \0 bytes"sv,
        std::string_view("caf\xc3\xa9")}) {
    const std::string signed_value = signer.sign("user", value);
    CHECK(ar::detail::is_cookie_value(signed_value));
    CHECK(signer.verify("user", signed_value) == std::optional<std::string>(std::string(value)));
  }
  ar::response res;
  signer.set_cookie(res, "user", "ada", {.max_age = std::chrono::seconds(60)});
  const std::string field(res.headers.get("Set-Cookie").value_or(""));
  CHECK(field.starts_with("user=" + signer.sign("user", "ada") + "; Path=/; Max-Age=60; HttpOnly"));
}

TEST_CASE("a forged, changed or unsigned value reads as absent") {
  const ar::cookie_signer signer{{new_key}};
  const std::string good = signer.sign("role", "reader");
  REQUIRE(signer.verify("role", good));

  SUBCASE("every byte changed, one at a time") {
    int accepted = 0;
    for (std::size_t index = 0; index < good.size(); ++index) {
      for (const char replacement : {'A', 'B', '-', '_', '.', '0'}) {
        if (good[index] == replacement) continue;
        std::string tampered = good;
        tampered[index] = replacement;
        if (signer.verify("role", tampered)) ++accepted;
      }
    }
    CHECK(accepted == 0);
  }
  SUBCASE("another value with the old signature") {
    const std::string signature = good.substr(good.rfind('.'));
    CHECK(signer.verify("role", ar::detail::base64url_encode("admin") + signature) == std::nullopt);
  }
  SUBCASE("signed for another cookie") {
    CHECK(signer.verify("admin_role", good) == std::nullopt);
    CHECK(signer.verify("rol", good) == std::nullopt);
  }
  SUBCASE("signed by another key") {
    const ar::cookie_signer stranger{{std::string(40, 'x')}};
    CHECK(signer.verify("role", stranger.sign("role", "admin")) == std::nullopt);
  }
  SUBCASE("not signed, truncated, or cut short") {
    CHECK(signer.verify("role", "reader") == std::nullopt);
    CHECK(signer.verify("role", "") == std::nullopt);
    CHECK(signer.verify("role", ".") == std::nullopt);
    CHECK(signer.verify("role", good.substr(0, good.size() - 1)) == std::nullopt);
    CHECK(signer.verify("role", good + "A") == std::nullopt);
    CHECK(signer.verify("role", good.substr(good.find('.'))) == std::nullopt);  // the signature alone
    CHECK(signer.verify("role", good + "." + good) == std::nullopt);
  }
}

TEST_CASE("key rotation: sign with the first key, accept any") {
  const ar::cookie_signer before{{old_key}};
  const ar::cookie_signer during{{new_key, old_key}};
  const ar::cookie_signer after{{new_key}};

  const std::string from_old = before.sign("session", "s1");
  const std::string from_new = during.sign("session", "s2");
  CHECK(during.verify("session", from_old) == std::optional<std::string>("s1"));
  CHECK(during.verify("session", from_new) == std::optional<std::string>("s2"));
  CHECK(after.verify("session", from_new) == std::optional<std::string>("s2"));  // signed with the new key
  CHECK(after.verify("session", from_old) == std::nullopt);                      // the old key is gone
  CHECK(before.verify("session", from_new) == std::nullopt);
}

TEST_CASE("keys too short, or none, are refused") {
  CHECK_THROWS_AS(ar::cookie_signer{std::vector<std::string>{}}, std::invalid_argument);
  CHECK_THROWS_AS(ar::cookie_signer{{std::string(31, 'k')}}, std::invalid_argument);
  CHECK_THROWS_AS((ar::cookie_signer{{new_key, "short"}}), std::invalid_argument);
  CHECK_NOTHROW(ar::cookie_signer{{std::string(32, 'k')}});
}

#endif
