// Absolute http:// and https:// URLs split into what a request needs, and references (a
// redirect's Location, a call's URL against the client's base URL) resolved against the URL
// they are relative to (RFC 3986 §5.2, dot segments removed).
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
  /// host:port, the port always written: what CONNECT asks a proxy for.
  [[nodiscard]] std::string authority_with_port() const {
    std::string text;
    if (ipv6_literal) text += '[';
    text += host;
    if (ipv6_literal) text += ']';
    text += ':';
    text += std::to_string(port);
    return text;
  }
  /// The path without the query.
  [[nodiscard]] std::string_view path() const noexcept { return std::string_view(target).substr(0, target.find('?')); }
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

/// Whether `reference` starts with a scheme (RFC 3986 §3.1: a letter, then letters, digits,
/// '+', '-' or '.', then ':').
[[nodiscard]] constexpr bool has_scheme(std::string_view reference) noexcept {
  if (reference.empty() ||
      !((reference[0] >= 'a' && reference[0] <= 'z') || (reference[0] >= 'A' && reference[0] <= 'Z')))
    return false;
  for (const char character : reference) {
    if (character == ':') return true;
    const bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                         (character >= '0' && character <= '9') || character == '+' || character == '-' ||
                         character == '.';
    if (!allowed) return false;
  }
  return false;
}

/// RFC 3986 §5.2.4: "/a/b/../c/./d" is "/a/c/d"; a ".." above the root stays at the root.
[[nodiscard]] inline std::string remove_dot_segments(std::string_view input) {
  std::string output;
  auto drop_last_segment = [&output] {
    const std::size_t slash = output.rfind('/');
    output.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.remove_prefix(3);
    } else if (input.starts_with("./") || input.starts_with("/./")) {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.starts_with("/../")) {
      input.remove_prefix(3);
      drop_last_segment();
    } else if (input == "/..") {
      input = "/";
      drop_last_segment();
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      const std::size_t end = input.find('/', 1);
      output.append(input.substr(0, end));
      input = end == std::string_view::npos ? std::string_view{} : input.substr(end);
    }
  }
  return output;
}

/// The URL `reference` names, seen from `base` (RFC 3986 §5.2.2, strict: a reference with a
/// scheme is absolute). A fragment is dropped, as a request never sends one.
[[nodiscard]] inline parsed_url resolve_reference(const parsed_url& base, std::string_view reference) {
  if (has_scheme(reference)) return parse_url(reference);
  if (reference.starts_with("//")) return parse_url(std::string(base.scheme()) + ":" + std::string(reference));
  reference = reference.substr(0, reference.find('#'));
  const std::size_t question = reference.find('?');
  const std::string_view path = reference.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : reference.substr(question);
  std::string target;
  if (path.empty()) {
    target.assign(base.path());
    if (question != std::string_view::npos) {
      target.append(query);
    } else {
      const std::size_t base_query = base.target.find('?');
      if (base_query != std::string::npos) target.append(base.target, base_query);
    }
  } else if (path.starts_with('/')) {
    target = remove_dot_segments(path);
    target.append(query);
  } else {
    const std::string_view base_path = base.path();
    std::string merged(base_path.substr(0, base_path.rfind('/') + 1));
    merged.append(path);
    target = remove_dot_segments(merged);
    target.append(query);
  }
  return parse_url(base.origin() + target);
}

/// The URL a Location field points to, seen from `base`.
[[nodiscard]] inline parsed_url resolve_location(const parsed_url& base, std::string_view location) {
  return resolve_reference(base, location);
}

}  // namespace asyncrest::detail
