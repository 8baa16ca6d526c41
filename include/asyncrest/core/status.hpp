// HTTP status codes with their reason phrases.
#pragma once

#include <cstdint>
#include <string_view>

namespace asyncrest {

/// An HTTP status code. Any value from 100 to 999 may be used; the named ones are those a REST
/// service answers with.
enum class status : std::uint16_t {
  continue_ = 100,
  switching_protocols = 101,
  ok = 200,
  created = 201,
  accepted = 202,
  no_content = 204,
  partial_content = 206,
  moved_permanently = 301,
  found = 302,
  see_other = 303,
  not_modified = 304,
  temporary_redirect = 307,
  permanent_redirect = 308,
  bad_request = 400,
  unauthorized = 401,
  forbidden = 403,
  not_found = 404,
  method_not_allowed = 405,
  not_acceptable = 406,
  request_timeout = 408,
  conflict = 409,
  gone = 410,
  length_required = 411,
  precondition_failed = 412,
  payload_too_large = 413,
  uri_too_long = 414,
  unsupported_media_type = 415,
  range_not_satisfiable = 416,
  expectation_failed = 417,
  unprocessable_content = 422,
  upgrade_required = 426,
  too_many_requests = 429,
  request_header_fields_too_large = 431,
  /// nginx's code for a request whose client left before it was answered: never sent, it is
  /// what logs and metrics see (`cancel_on_disconnect`, server/disconnect.hpp).
  client_closed_request = 499,
  internal_server_error = 500,
  not_implemented = 501,
  bad_gateway = 502,
  service_unavailable = 503,
  gateway_timeout = 504,
  http_version_not_supported = 505,
};

/// The status code as a number.
[[nodiscard]] constexpr unsigned to_number(status code) noexcept { return static_cast<unsigned>(code); }

/// The reason phrase of RFC 9110 for `code` (nginx's for 499), or "Unknown" for a code it does
/// not name.
[[nodiscard]] constexpr std::string_view reason_phrase(status code) noexcept {
  switch (to_number(code)) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

/// Whether a response with `code` carries no body and no Content-Length (RFC 9110 §6.4.1).
[[nodiscard]] constexpr bool status_forbids_content_length(status code) noexcept {
  const unsigned number = to_number(code);
  return number < 200 || number == 204;
}

/// Whether a response with `code` never carries a body (1xx, 204 and 304).
[[nodiscard]] constexpr bool status_forbids_body(status code) noexcept {
  return status_forbids_content_length(code) || to_number(code) == 304;
}

}  // namespace asyncrest
