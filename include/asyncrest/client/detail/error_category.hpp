// The category of the client's error codes: their name and messages.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace asyncrest::detail {

/// The message of each `client_errc`, indexed by its value; the first stands for values the enum
/// does not have.
inline constexpr std::string_view client_error_messages[] = {
    "unknown client error",
    "invalid URL",
    "invalid request",
    "connect failed",
    "TLS handshake failed",
    "TLS is not available in this build",
    "connect timed out",
    "read timed out",
    "request timed out",
    "connection closed before the response was complete",
    "malformed response",
    "response too large",
    "too many redirects",
    "HTTP error status",
    "request cancelled",
    "the response body is not valid JSON",
    "the response is not an event stream",
    "the proxy refused the tunnel",
};

class client_category_type final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "asyncrest.client"; }
  [[nodiscard]] std::string message(int value) const override {
    const bool known = value > 0 && static_cast<std::size_t>(value) < std::size(client_error_messages);
    return std::string(client_error_messages[known ? value : 0]);
  }
};

}  // namespace asyncrest::detail
