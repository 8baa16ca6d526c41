// The value of a Set-Cookie field, checked before it is written: every name, value and attribute
// that could end the pair or the field early, or that browsers would drop, is refused.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/http/detail/cookie_syntax.hpp>
#include <asyncrest/http/detail/http_date.hpp>
#include <asyncrest/server/cookies.hpp>

#include <charconv>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Browsers ignore a cookie whose name and value together pass 4096 bytes (RFC 6265 §6.1).
inline constexpr std::size_t max_cookie_pair_bytes = 4096;

[[nodiscard]] constexpr bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

inline void check_cookie(std::string_view name, std::string_view value, const cookie_options& options) {
  if (!is_cookie_name(name)) {
    throw std::invalid_argument(
        "asyncrest: a cookie name must be a token (RFC 6265): one or more letters, digits or !#$%&'*+-.^_`|~");
  }
  if (!is_cookie_value(value)) {
    throw std::invalid_argument(
        "asyncrest: a cookie value may hold only visible ASCII other than \" , ; and \\ (RFC 6265 cookie-octet), "
        "optionally between double quotes: encode other bytes first (base64url, percent-encoding), since a "
        "space, ';', CR or LF would add attributes or fields");
  }
  if (name.size() + value.size() > max_cookie_pair_bytes) {
    throw std::invalid_argument("asyncrest: a cookie's name and value pass 4096 bytes, which browsers ignore");
  }
  if (options.path.empty() || options.path.front() != '/' || !is_cookie_attribute_value(options.path)) {
    throw std::invalid_argument(
        "asyncrest: a cookie's path must start with '/' and hold only printable ASCII other than ';'");
  }
  if (!options.domain.empty() && !is_cookie_domain(options.domain)) {
    throw std::invalid_argument("asyncrest: a cookie's domain must be a host name (letters, digits, '-' and '.')");
  }
  if (options.max_age && options.max_age->count() < 0) {
    throw std::invalid_argument("asyncrest: a cookie's max_age must not be negative (delete_cookie removes one)");
  }
  if (options.expires) {
    using namespace std::chrono;
    const auto day = floor<days>(*options.expires);
    const int year = static_cast<int>(year_month_day(day).year());
    if (year < 1970 || year > 9999) {
      throw std::invalid_argument("asyncrest: a cookie's expires must fall between the years 1970 and 9999");
    }
  }
  if (options.same_site == same_site::none && !options.secure) {
    throw std::invalid_argument(
        "asyncrest: a cookie with same_site::none must be secure: browsers drop SameSite=None without Secure");
  }
  if (options.partitioned && !options.secure) {
    throw std::invalid_argument("asyncrest: a partitioned cookie must be secure: browsers drop it otherwise");
  }
  // The prefixes are what lets a server trust where a cookie came from; browsers refuse a
  // cookie whose attributes do not keep the prefix's promise (RFC 6265bis §4.1.3).
  if (starts_with_ignoring_case(name, "__Secure-") && !options.secure) {
    throw std::invalid_argument("asyncrest: a cookie named __Secure-... must be secure");
  }
  if (starts_with_ignoring_case(name, "__Host-") &&
      (!options.secure || !options.domain.empty() || options.path != "/")) {
    throw std::invalid_argument("asyncrest: a cookie named __Host-... must be secure, with path \"/\" and no domain");
  }
}

inline void append_cookie_attributes(std::string& out, const cookie_options& options) {
  out.append("; Path=");
  out.append(options.path);
  if (!options.domain.empty()) {
    out.append("; Domain=");
    out.append(options.domain);
  }
  if (options.max_age) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, options.max_age->count()).ptr;
    out.append("; Max-Age=");
    out.append(digits, end);
  }
  if (options.expires) {
    char date[32];
    const auto seconds = std::chrono::floor<std::chrono::seconds>(*options.expires).time_since_epoch().count();
    const std::size_t length = format_http_date(static_cast<std::time_t>(seconds), date);
    out.append("; Expires=");
    out.append(date, length);
  }
  if (options.secure) out.append("; Secure");
  if (options.http_only) out.append("; HttpOnly");
  switch (options.same_site) {
    case same_site::strict: out.append("; SameSite=Strict"); break;
    case same_site::lax: out.append("; SameSite=Lax"); break;
    case same_site::none: out.append("; SameSite=None"); break;
  }
  if (options.partitioned) out.append("; Partitioned");
}

/// `name=value` and the attributes, checked (std::invalid_argument).
[[nodiscard]] inline std::string set_cookie_value(std::string_view name, std::string_view value,
                                                  const cookie_options& options) {
  check_cookie(name, value, options);
  std::string out;
  out.reserve(name.size() + value.size() + options.path.size() + options.domain.size() + 96);
  out.append(name);
  out.push_back('=');
  out.append(value);
  append_cookie_attributes(out, options);
  return out;
}

/// A Set-Cookie value that removes the cookie `name` set with `options`' path and domain: empty,
/// expired now (Max-Age=0) and long ago (Expires, for clients without Max-Age).
[[nodiscard]] inline std::string deleted_cookie_value(std::string_view name, cookie_options options) {
  options.max_age = std::chrono::seconds(0);
  options.expires = std::chrono::system_clock::time_point{};  // 1 January 1970
  return set_cookie_value(name, {}, options);
}

}  // namespace asyncrest::detail
