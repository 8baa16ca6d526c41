// What can go wrong with a client request, as error codes and as exceptions: each kind of
// failure is its own type, so a caller catches exactly what it can handle.
//
//     try { auto res = co_await http.get(url); }
//     catch (const ar::timeout_error& e) { ... }   // also connect_error, connection_error,
//     catch (const ar::client_error& e) { ... }    // protocol_error, http_status_error
#pragma once

#include <asyncrest/client/detail/error_category.hpp>
#include <asyncrest/core/status.hpp>

#include <cstddef>
#include <iterator>
#include <string>
#include <system_error>

namespace asyncrest {

/// The client's error codes, in the category `client_category()`.
enum class client_errc {
  invalid_url = 1,     ///< not an absolute http:// or https:// URL
  invalid_request,     ///< a header name or value that cannot be sent
  connect_failed,      ///< name resolution or TCP connect failed
  tls_failed,          ///< TLS handshake failed, including certificate verification
  tls_unavailable,     ///< https:// in a build without asyncrest::tls
  connect_timeout,     ///< name resolution, connect and TLS handshake took too long
  read_timeout,        ///< the server sent nothing (or took nothing) for too long
  total_timeout,       ///< the whole request, retries and redirects included, took too long
  connection_closed,   ///< the connection broke before the response was complete
  malformed_response,  ///< the response is not valid HTTP/1.1
  response_too_large,  ///< the header block or body is larger than the settings allow
  too_many_redirects,  ///< more redirects than `redirect_policy::max_redirects`
  http_status,         ///< a 4xx or 5xx status with `raise_for_status`
  cancelled,           ///< cancelled through the awaiting coroutine's cancellation slot
  invalid_json,        ///< `client_response::json()` on a body that is not JSON
  not_event_stream,    ///< an event source's response is not text/event-stream
  proxy_refused,       ///< a proxy refused to open a tunnel (CONNECT) or answered it badly
};

// The messages are listed in detail/error_category.hpp, by value.
static_assert(std::size(detail::client_error_messages) == static_cast<std::size_t>(client_errc::proxy_refused) + 1,
              "every client_errc needs its message in client/detail/error_category.hpp");

[[nodiscard]] inline const std::error_category& client_category() noexcept {
  static const detail::client_category_type category;
  return category;
}

[[nodiscard]] inline std::error_code make_error_code(client_errc value) noexcept {
  return {static_cast<int>(value), client_category()};
}

/// The base of every error the client throws; `code()` is a `client_errc`.
class client_error : public std::system_error {
 public:
  client_error(client_errc code, const std::string& what) : std::system_error(make_error_code(code), what) {}
};

/// The server could not be reached: resolution, TCP connect or TLS handshake failed.
class connect_error : public client_error {
 public:
  using client_error::client_error;
};

/// The TLS handshake failed, for example because the certificate was not trusted or was issued
/// for another host name.
class tls_error : public connect_error {
 public:
  using connect_error::connect_error;
};

/// A connect, read or total timeout expired; `code()` says which.
class timeout_error : public client_error {
 public:
  using client_error::client_error;
};

/// The connection broke (reset, or closed by the server) before the response was complete.
class connection_error : public client_error {
 public:
  using client_error::client_error;
};

/// The server's response is not valid HTTP/1.1, or larger than the settings allow, or its body is
/// not the JSON that `json()` was asked to read.
class protocol_error : public client_error {
 public:
  using client_error::client_error;
};

/// A 4xx or 5xx response, thrown only when `raise_for_status` is asked for.
class http_status_error : public client_error {
 public:
  http_status_error(asyncrest::status code, const std::string& what)
      : client_error(client_errc::http_status, what), status_(code) {}
  [[nodiscard]] asyncrest::status status() const noexcept { return status_; }

 private:
  asyncrest::status status_;
};

}  // namespace asyncrest

template <>
struct std::is_error_code_enum<asyncrest::client_errc> : std::true_type {};
