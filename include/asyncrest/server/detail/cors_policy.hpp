// The CORS middleware's machinery, not a template: the settings checked and prepared once (origins
// normalised, header values joined), the syntax of origins, and the answers to a preflight and to
// an actual request (Fetch standard, "CORS protocol").
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace asyncrest {
struct cors_settings;
}  // namespace asyncrest

namespace asyncrest::detail {

/// The pieces of an origin, `scheme "://" host [":" port]`, viewing the text they came from.
struct origin_parts {
  std::string_view scheme;
  std::string_view host;
  std::optional<std::uint16_t> port;
  bool port_written_canonically = true;  // no leading zero
};

/// Splits `text` as an origin; nothing when it is not one: a path, query, fragment or user info,
/// an empty host, a port that is not a number below 65536, a character no host name holds.
[[nodiscard]] constexpr std::optional<origin_parts> parse_origin(std::string_view text) noexcept {
  const std::size_t separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0) return std::nullopt;
  origin_parts parts;
  parts.scheme = text.substr(0, separator);
  for (std::size_t index = 0; index < parts.scheme.size(); ++index) {
    const char character = parts.scheme[index];
    const bool letter = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
    const bool other =
        (character >= '0' && character <= '9') || character == '+' || character == '-' || character == '.';
    if (!letter && (index == 0 || !other)) return std::nullopt;
  }
  std::string_view authority = text.substr(separator + 3);
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // an IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 3) return std::nullopt;
    parts.host = authority.substr(0, close + 1);
    for (const char character : parts.host.substr(1, close - 1)) {
      const bool allowed = (character >= '0' && character <= '9') || (character >= 'a' && character <= 'f') ||
                           (character >= 'A' && character <= 'F') || character == ':' || character == '.';
      if (!allowed) return std::nullopt;
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    const std::size_t colon = authority.find(':');
    parts.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (parts.host.empty()) return std::nullopt;
    for (const char character : parts.host) {
      const bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                           (character >= '0' && character <= '9') || character == '-' || character == '.' ||
                           character == '_';
      if (!allowed) return std::nullopt;
    }
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5) return std::nullopt;
    std::uint32_t port = 0;
    for (const char digit : port_text) {
      if (digit < '0' || digit > '9') return std::nullopt;
      port = port * 10 + static_cast<std::uint32_t>(digit - '0');
    }
    if (port > 65535) return std::nullopt;
    parts.port = static_cast<std::uint16_t>(port);
    parts.port_written_canonically = port_text.size() == 1 || port_text.front() != '0';
  }
  return parts;
}

[[nodiscard]] constexpr bool is_default_port(std::string_view scheme, std::uint16_t port) noexcept {
  return (ascii_iequals(scheme, "http") && port == 80) || (ascii_iequals(scheme, "https") && port == 443);
}

[[nodiscard]] constexpr bool has_upper_case(std::string_view text) noexcept {
  for (const char character : text) {
    if (character >= 'A' && character <= 'Z') return true;
  }
  return false;
}

/// Whether `text` is an origin as a browser serialises it: scheme and host in lower case, the
/// port only when it is not the scheme's default, nothing else. Only such text is ever compared
/// with the allowed origins or handed to an origin rule.
[[nodiscard]] constexpr bool is_serialized_origin(std::string_view text) noexcept {
  const std::optional<origin_parts> parts = parse_origin(text);
  if (!parts || has_upper_case(parts->scheme) || has_upper_case(parts->host)) return false;
  if (parts->port && (!parts->port_written_canonically || is_default_port(parts->scheme, *parts->port))) return false;
  return true;
}

inline std::string to_lower_ascii(std::string_view text) {
  std::string lowered(text);
  for (char& character : lowered) {
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + ('a' - 'A'));
  }
  return lowered;
}

/// The pieces one after the other. (`"text" + std::string` trips g++ 12's -Wrestrict at -O2.)
inline std::string joined(std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (const std::string_view piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  for (const std::string_view piece : pieces) out.append(piece);
  return out;
}

/// An allowed origin from the settings, as browsers will send it ("HTTPS://App.example.com:443"
/// becomes "https://app.example.com"); std::invalid_argument when it is no origin.
inline std::string normalize_allowed_origin(std::string_view text) {
  const std::optional<origin_parts> parts = parse_origin(text);
  if (!parts) {
    std::string problem =
        joined({"asyncrest::cors: \"", text,
                "\" is not an origin; write scheme://host[:port], such as \"https://app.example.com\""});
    const std::size_t separator = text.find("://");
    if (separator != std::string_view::npos && text.find_first_of("/?#", separator + 3) != std::string_view::npos) {
      problem += ", with no path, not even a trailing '/'";
    }
    throw std::invalid_argument(problem);
  }
  std::string normalized = joined({to_lower_ascii(parts->scheme), "://", to_lower_ascii(parts->host)});
  if (parts->port && !is_default_port(parts->scheme, *parts->port)) {
    normalized.push_back(':');
    normalized.append(std::to_string(*parts->port));
  }
  return normalized;
}

/// The methods the Fetch standard upper-cases when a script names them in another case; any
/// other method is compared exactly, as browsers do.
[[nodiscard]] inline std::string normalize_method(std::string_view name) {
  static constexpr std::array<std::string_view, 6> normalized{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
  for (const std::string_view each : normalized) {
    if (ascii_iequals(each, name)) return std::string(each);
  }
  return std::string(name);
}

[[nodiscard]] constexpr bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char character : text) {
    if (!is_token_character(character)) return false;
  }
  return true;
}

/// The first item of a comma-separated field value for which `found(item)` is true, spaces and
/// tabs around items dropped and empty items (`a,,b`, a trailing comma) skipped; whether any.
template <class Found>
constexpr bool find_list_item(std::string_view list, Found&& found) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty() && found(item)) return true;
  }
  return false;
}

/// Adds `name` to the response's Vary, unless it, or `*`, is there already.
inline void add_vary(headers& fields, std::string_view name) {
  std::string merged;
  for (const auto& [field_name, value] : fields) {
    if (!iequals(field_name, "Vary")) continue;
    if (find_list_item(value, [&](std::string_view item) { return item == "*" || iequals(item, name); })) return;
    if (!merged.empty()) merged += ", ";
    merged += value;
  }
  if (merged.empty()) {
    fields.add("Vary", name);
  } else {
    merged += ", ";
    merged += name;
    fields.set("Vary", merged);
  }
}

/// Whether `req` is a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
/// An OPTIONS request without them is an ordinary request, routed like any other.
[[nodiscard]] inline bool is_preflight(const request& req) noexcept {
  return req.method() == method::options && req.headers().contains("Origin") &&
         req.headers().contains("Access-Control-Request-Method");
}

/// The request's Origin when it has exactly one.
[[nodiscard]] inline std::optional<std::string_view> single_origin(const request& req) noexcept {
  if (req.headers().count("Origin") != 1) return std::nullopt;
  return req.header("Origin");
}

/// The settings, checked and made ready to answer with.
class cors_policy {
 public:
  /// Checks `settings` (std::invalid_argument with what to change); `has_origin_rule`: an origin
  /// rule decides beside the list.
  cors_policy(const cors_settings& settings, bool has_origin_rule);

  /// Whether the settings allow every origin ("*"): the answers are then the same for all.
  [[nodiscard]] bool any_origin() const noexcept { return any_origin_; }
  [[nodiscard]] bool allows_credentials() const noexcept { return credentials_; }

  /// Whether `origin` is one the list allows (exactly, as browsers serialise origins).
  [[nodiscard]] bool lists(std::string_view origin) const noexcept {
    if (any_origin_) return true;
    if (origin == "null") return allow_null_;
    for (const std::string& each : origins_) {
      if (each == origin) return true;
    }
    return false;
  }

  /// The answer to a preflight: 204 with the Access-Control-Allow-* fields, or 403 without any
  /// of them when the origin, the method or a header is not allowed.
  [[nodiscard]] response preflight(const request& req, std::string_view origin, bool origin_allowed) const;

  /// Adds what an actual request's response needs: the allowed origin, credentials and exposed
  /// headers when `origin_allowed`; `Vary: Origin` whenever the answer depends on the origin.
  void decorate(response& res, std::optional<std::string_view> origin, bool origin_allowed) const;

 private:
  [[nodiscard]] bool method_allowed(std::string_view method) const noexcept;
  [[nodiscard]] bool header_allowed(std::string_view lowered) const noexcept;

  bool any_origin_ = false;
  bool allow_null_ = false;
  bool any_method_ = false;
  bool any_header_ = false;
  bool credentials_ = false;
  std::vector<std::string> origins_;
  std::vector<std::string> methods_;
  std::vector<std::string> headers_;  // lower case
  std::string methods_value_;         // Access-Control-Allow-Methods, joined once
  std::string headers_value_;         // Access-Control-Allow-Headers
  std::string exposed_value_;         // Access-Control-Expose-Headers
  std::string max_age_value_;         // Access-Control-Max-Age
};

}  // namespace asyncrest::detail
