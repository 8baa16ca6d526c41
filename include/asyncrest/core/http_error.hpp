// The exception a handler throws to answer with an error status.
#pragma once

#include <asyncrest/core/status.hpp>

#include <stdexcept>
#include <string>

namespace asyncrest {

/// Thrown from a handler or middleware, becomes a response with `code` and an
/// `application/problem+json` body (RFC 9457) whose `detail` is `detail`:
///
///     if (!user) throw http_error(status::not_found, "no user with that id");
///
/// The detail is shown to the client, so it must not carry internals.
class http_error : public std::runtime_error {
 public:
  http_error(status code, std::string detail) : std::runtime_error(detail), code_(code), detail_(std::move(detail)) {}
  explicit http_error(status code) : http_error(code, std::string(reason_phrase(code))) {}

  [[nodiscard]] status code() const noexcept { return code_; }
  [[nodiscard]] const std::string& detail() const noexcept { return detail_; }

 private:
  status code_;
  std::string detail_;
};

}  // namespace asyncrest
