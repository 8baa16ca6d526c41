// Absolute http:// and https:// URLs split into what a request needs, and redirect targets
// resolved against the URL they came from (RFC 3986 §5, without dot-segment removal).
#pragma once

#include <asyncrest/client/error.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncrest::detail {

struct parsed_url {
  bool tls = false;
  std::string host;  // without brackets for an IPv6 literal
  std::uint16_t port = 80;
  std::string target;  // path and query, never empty
  bool ipv6_literal = false;

  [[nodiscard]] std::string_view scheme() const noexcept { return tls ? "https" : "http"; }
  [[nodiscard]] bool default_port() const noexcept { return port == (tls ? 443 : 80); }
  /// host[:port] as the Host field and URLs write it.
  [[nodiscard]] std::string authority() const {
    // Appended piece by piece: g++ 12 at -O2 warns of an overlapping copy (-Wrestrict) in
    // "[" + host, a false positive.
    std::string text;
    if (ipv6_literal) text += '[';
    text += host;
    if (ipv6_literal) text += ']';
    if (!default_port()) {
      text += ':';
      text += std::to_string(port);
    }
    return text;
  }
  /// What a pool is kept per: scheme, host and port.
  [[nodiscard]] std::string origin() const { return std::string(scheme()) + "://" + authority(); }
  [[nodiscard]] std::string text() const { return origin() + target; }
};

[[noreturn]] inline void throw_invalid_url(std::string_view url, std::string_view why) {
  throw client_error(client_errc::invalid_url, "invalid URL \"" + std::string(url) + "\": " + std::string(why));
}

/// Characters a request target may carry as they are (RFC 3986 unreserved, reserved and '%').
[[nodiscard]] constexpr bool is_target_character(char character) noexcept {
  return character > ' ' && character < 0x7F && character != '"' && character != '<' && character != '>' &&
         character != '\\' && character != '^' && character != '`' && character != '{' && character != '|' &&
         character != '}';
}

[[nodiscard]] inline parsed_url parse_url(std::string_view url) {
  parsed_url parsed;
  std::string_view rest;
  auto starts_with_scheme = [&](std::string_view scheme) {
    if (url.size() < scheme.size()) return false;
    for (std::size_t index = 0; index < scheme.size(); ++index) {
      char character = url[index];
      if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + ('a' - 'A'));
      if (character != scheme[index]) return false;
    }
    return true;
  };
  if (starts_with_scheme("http://")) {
    rest = url.substr(7);
  } else if (starts_with_scheme("https://")) {
    parsed.tls = true;
    parsed.port = 443;
    rest = url.substr(8);
  } else {
    throw_invalid_url(url, "only absolute http:// and https:// URLs are supported");
  }
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    throw_invalid_url(url, "credentials in the URL are not supported; send an Authorization header");
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw_invalid_url(url, "unterminated IPv6 address");
    parsed.host.assign(authority.substr(1, close - 1));
    parsed.ipv6_literal = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw_invalid_url(url, "unexpected characters after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    parsed.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) throw_invalid_url(url, "no host");
  for (char& character : parsed.host) {
    const bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                         (character >= '0' && character <= '9') || character == '-' || character == '.' ||
                         character == '_' || (parsed.ipv6_literal && character == ':');
    if (!allowed) throw_invalid_url(url, "the host name has characters a host name cannot have");
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + ('a' - 'A'));
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      throw_invalid_url(url, "the port is not a number from 1 to 65535");
    }
    parsed.port = static_cast<std::uint16_t>(port);
  }
  target = target.substr(0, target.find('#'));  // a fragment is never sent
  for (const char character : target) {
    if (!is_target_character(character)) {
      throw_invalid_url(url, "the path or query has a character that must be percent-encoded");
    }
  }
  if (target.empty() || target[0] != '/') parsed.target = '/';
  parsed.target += target;
  return parsed;
}

/// The URL a Location field points to, seen from `base`.
[[nodiscard]] inline parsed_url resolve_location(const parsed_url& base, std::string_view location) {
  const std::size_t scheme_end = location.find("://");
  if (scheme_end != std::string_view::npos && location.find_first_of("/?#") > scheme_end) return parse_url(location);
  if (location.starts_with("//")) return parse_url(std::string(base.scheme()) + ":" + std::string(location));
  std::string target;
  if (location.starts_with('/')) {
    target.assign(location);
  } else if (location.starts_with('?')) {
    target = base.target.substr(0, base.target.find('?')) + std::string(location);
  } else {
    const std::string path = base.target.substr(0, base.target.find('?'));
    target = path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  return parse_url(base.origin() + target);
}

}  // namespace asyncrest::detail
