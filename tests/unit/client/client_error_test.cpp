// Client error codes and types, and result<T>.
#include <asyncrest/client/error.hpp>
#include <asyncrest/core/result.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <system_error>

namespace ar = asyncrest;

TEST_CASE("client errors: codes, messages and the type hierarchy") {
  const std::error_code code = ar::client_errc::read_timeout;
  CHECK(code.category().name() == std::string("asyncrest.client"));
  CHECK(code.message() == "read timed out");
  for (int value = 1; value <= static_cast<int>(ar::client_errc::not_event_stream); ++value) {
    CHECK(ar::make_error_code(static_cast<ar::client_errc>(value)).message() != "unknown client error");
  }
  // Each message belongs to its own code: the first, one in the middle and the last.
  CHECK(ar::make_error_code(ar::client_errc::invalid_url).message() == "invalid URL");
  CHECK(ar::make_error_code(ar::client_errc::tls_unavailable).message() == "TLS is not available in this build");
  CHECK(ar::make_error_code(ar::client_errc::malformed_response).message() == "malformed response");
  CHECK(ar::make_error_code(ar::client_errc::invalid_json).message() == "the response body is not valid JSON");
  CHECK(ar::make_error_code(ar::client_errc::not_event_stream).message() == "the response is not an event stream");
  CHECK(ar::make_error_code(static_cast<ar::client_errc>(0)).message() == "unknown client error");
  CHECK(ar::make_error_code(static_cast<ar::client_errc>(99)).message() == "unknown client error");
  try {
    throw ar::tls_error(ar::client_errc::tls_failed, "bad certificate");
  } catch (const ar::connect_error& error) {
    CHECK((error.code() == ar::client_errc::tls_failed));
  }
  const ar::http_status_error status_error(ar::status::not_found, "404");
  CHECK(status_error.status() == ar::status::not_found);
  CHECK((status_error.code() == ar::client_errc::http_status));
}

TEST_CASE("result: value, failure, void") {
  ar::result<int> value(5);
  CHECK(value.has_value());
  CHECK(*value == 5);
  CHECK(!value.error());

  ar::result<int> failed(ar::failure::from(std::make_exception_ptr(std::runtime_error("boom"))));
  CHECK(!failed);
  CHECK(failed.error_details().message == "boom");
  CHECK_THROWS_AS(failed.value(), std::runtime_error);

  ar::result<int> coded(
      ar::failure::from(std::make_exception_ptr(ar::connection_error(ar::client_errc::connection_closed, "gone"))));
  CHECK((coded.error() == ar::client_errc::connection_closed));

  ar::result<void> nothing;
  CHECK(nothing.has_value());
  nothing.value();
  ar::result<void> void_failure(ar::failure::from(std::make_exception_ptr(42)));
  CHECK(void_failure.error_details().message == "unknown exception");
  CHECK_THROWS_AS(void_failure.value(), int);
}
