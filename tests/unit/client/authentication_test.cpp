// Authorization values: Basic (RFC 7617, its own examples) and Bearer (RFC 6750's b64token).
#include <asyncrest/client/authentication.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace ar = asyncrest;

TEST_CASE("basic_authorization: RFC 7617's examples, UTF-8, and what cannot be encoded") {
  CHECK(ar::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(ar::basic_authorization("test", "123\xC2\xA3") == "Basic dGVzdDoxMjPCow==");  // RFC 7617 §2.1
  CHECK(ar::basic_authorization("", "") == "Basic Og==");
  CHECK(ar::basic_authorization("a", "b:c") == "Basic YTpiOmM=");  // a password may hold ':'
  CHECK_THROWS_AS(static_cast<void>(ar::basic_authorization("a:b", "c")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(ar::basic_authorization("a", "b\r\nX-Injected: 1")), std::invalid_argument);
}

TEST_CASE("bearer_authorization: b64token only") {
  CHECK(ar::bearer_authorization("mF_9.B5f-4.1JqM") == "Bearer mF_9.B5f-4.1JqM");
  CHECK(ar::bearer_authorization("abc+/~==") == "Bearer abc+/~==");
  CHECK_THROWS_AS(static_cast<void>(ar::bearer_authorization("")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(ar::bearer_authorization("=abc")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(ar::bearer_authorization("ab=c")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(ar::bearer_authorization("a b")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(ar::bearer_authorization("a\r\nb")), std::invalid_argument);
}
