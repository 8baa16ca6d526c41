// Authorization field values for the two common schemes, Basic (RFC 7617) and Bearer (RFC 6750),
// for one request or for every request of a client:
//
//     ar::client http{io, {.default_headers = ar::headers().set("Authorization", ar::bearer_authorization(token))}};
//     co_await http.get(url, ar::headers().set("Authorization", ar::basic_authorization("ada", "secret")));
//
// A client never sends an Authorization (nor a Cookie set by hand) to another origin: a redirect
// that leaves the origin drops both, as curl and Python's requests do.
#pragma once

#include <asyncrest/client/detail/base64.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest {

/// "Basic " and base64 of "user:password" (RFC 7617). Both are sent as the bytes given, which
/// should be UTF-8 (the charset RFC 7617 lets a server ask for, and what servers assume).
/// Throws `std::invalid_argument` for a user with ':' (the password would start there) or a
/// control character in either.
[[nodiscard]] inline std::string basic_authorization(std::string_view user, std::string_view password) {
  if (user.find(':') != std::string_view::npos) {
    throw std::invalid_argument("asyncrest: a Basic user name cannot contain ':' (RFC 7617)");
  }
  if (detail::has_control_byte(user) || detail::has_control_byte(password)) {
    throw std::invalid_argument("asyncrest: a Basic user name or password cannot contain control characters");
  }
  std::string credentials;
  credentials.reserve(user.size() + 1 + password.size());
  credentials.append(user);
  credentials.push_back(':');
  credentials.append(password);
  return "Basic " + detail::encode_base64(credentials);
}

/// "Bearer " and `token` (RFC 6750 §2.1). Throws `std::invalid_argument` when the token is not
/// a b64token (letters, digits, "-._~+/", then '=' padding only), which no server would accept.
[[nodiscard]] inline std::string bearer_authorization(std::string_view token) {
  if (!detail::is_b64token(token)) {
    throw std::invalid_argument(
        "asyncrest: a bearer token must be letters, digits and -._~+/ followed only by '=' (RFC 6750)");
  }
  return "Bearer " + std::string(token);
}

}  // namespace asyncrest
