// The user agent's side of RFC 6265 §5: the cookie-date parser, the Set-Cookie parser, and domain
// and path matching. Pure functions, so each rule has a table test of its own.
#pragma once

#include <asyncrest/http/detail/cookie_syntax.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

using cookie_clock = std::chrono::system_clock;

[[nodiscard]] constexpr char ascii_lower(char character) noexcept {
  return character >= 'A' && character <= 'Z' ? static_cast<char>(character + ('a' - 'A')) : character;
}

[[nodiscard]] inline std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& character : out) character = ascii_lower(character);
  return out;
}

// ---- dates (§5.1.1) --------------------------------------------------------------------------

[[nodiscard]] constexpr bool is_date_delimiter(char character) noexcept {
  const auto byte = static_cast<unsigned char>(character);
  return byte == 0x09 || (byte >= 0x20 && byte <= 0x2F) || (byte >= 0x3B && byte <= 0x40) ||
         (byte >= 0x5B && byte <= 0x60) || (byte >= 0x7B && byte <= 0x7E);
}

[[nodiscard]] constexpr bool is_digit(char character) noexcept { return character >= '0' && character <= '9'; }

/// Reads 1 to `most` digits at the start of `text` into `value`; returns how many were read.
constexpr std::size_t read_digits(std::string_view text, std::size_t most, int& value) noexcept {
  std::size_t count = 0;
  value = 0;
  while (count < text.size() && count < most && is_digit(text[count])) {
    value = value * 10 + (text[count] - '0');
    ++count;
  }
  return count;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

[[nodiscard]] constexpr unsigned days_in_month(int year, int month) noexcept {
  constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : lengths[month - 1];
}

/// An Expires value, parsed as RFC 6265 §5.1.1 says: tolerant of every format servers have used
/// ("Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37
/// 1994"), nothing when a part is missing or out of range, or the date does not exist. In
/// seconds since 1970 (negative before): years 1601 to 9999 do not all fit a system_clock.
[[nodiscard]] inline std::optional<std::int64_t> parse_cookie_date(std::string_view text) {
  bool found_time = false;
  bool found_day = false;
  bool found_month = false;
  bool found_year = false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int day = 0;
  int month = 0;
  int year = 0;
  constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
  std::size_t index = 0;
  while (index < text.size()) {
    while (index < text.size() && is_date_delimiter(text[index])) ++index;
    const std::size_t start = index;
    while (index < text.size() && !is_date_delimiter(text[index])) ++index;
    const std::string_view token = text.substr(start, index - start);
    if (token.empty()) continue;
    if (!found_time) {  // hms-time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT ( non-digit *OCTET )
      int parts[3] = {0, 0, 0};
      std::size_t at = 0;
      bool matched = true;
      for (int part = 0; part < 3 && matched; ++part) {
        const std::size_t count = read_digits(token.substr(at), 2, parts[part]);
        if (count == 0) matched = false;
        at += count;
        if (part < 2) {
          if (at < token.size() && token[at] == ':') {
            ++at;
          } else {
            matched = false;
          }
        }
      }
      if (matched && (at == token.size() || !is_digit(token[at]))) {
        found_time = true;
        hour = parts[0];
        minute = parts[1];
        second = parts[2];
        continue;
      }
    }
    if (!found_day) {  // day-of-month: 1*2DIGIT ( non-digit *OCTET )
      int value = 0;
      const std::size_t count = read_digits(token, 2, value);
      if (count > 0 && (count == token.size() || !is_digit(token[count]))) {
        found_day = true;
        day = value;
        continue;
      }
    }
    if (!found_month && token.size() >= 3) {
      const std::string prefix = lower_ascii(token.substr(0, 3));
      bool matched = false;
      for (int candidate = 0; candidate < 12; ++candidate) {
        if (prefix == months[candidate]) {
          month = candidate + 1;
          matched = true;
        }
      }
      if (matched) {
        found_month = true;
        continue;
      }
    }
    if (!found_year) {  // year: 2*4DIGIT ( non-digit *OCTET )
      int value = 0;
      const std::size_t count = read_digits(token, 4, value);
      if (count >= 2 && (count == token.size() || !is_digit(token[count]))) {
        found_year = true;
        year = value;
        continue;
      }
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (!found_time || !found_day || !found_month || !found_year) return std::nullopt;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  if (static_cast<unsigned>(day) > days_in_month(year, month)) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

/// RFC 6265bis §5.5: no cookie lives longer than 400 days, which also keeps every expiry within
/// what a system_clock can hold.
inline constexpr std::int64_t longest_cookie_life = 400LL * 24 * 3600;

/// The moment a cookie expires, from seconds since 1970; the earliest time point for one that
/// has already expired.
[[nodiscard]] inline cookie_clock::time_point cookie_expiry(std::int64_t seconds_since_epoch,
                                                            cookie_clock::time_point now) {
  const std::int64_t now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (seconds_since_epoch <= now_seconds) return cookie_clock::time_point::min();
  return now + std::chrono::seconds(std::min(seconds_since_epoch - now_seconds, longest_cookie_life));
}

// ---- matching (§5.1.3, §5.1.4) --------------------------------------------------------------

/// Whether `host` is an IPv4 address or an IPv6 literal (which a parsed URL holds unbracketed).
[[nodiscard]] constexpr bool is_ip_address(std::string_view host) noexcept {
  if (host.find(':') != std::string_view::npos) return true;
  if (host.empty()) return false;
  int dots = 0;
  for (const char character : host) {
    if (character == '.') {
      ++dots;
    } else if (!is_digit(character)) {
      return false;
    }
  }
  return dots == 3;
}

/// §5.1.3: `host` (lower case) is `domain` or a subdomain of it, and not an IP address.
[[nodiscard]] constexpr bool domain_matches(std::string_view host, std::string_view domain) noexcept {
  if (host == domain) return true;
  return !is_ip_address(host) && host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

/// §5.1.4: the directory of the request path, the default Path of a cookie.
[[nodiscard]] constexpr std::string_view default_cookie_path(std::string_view request_path) noexcept {
  if (request_path.empty() || request_path.front() != '/') return "/";
  const std::size_t last = request_path.rfind('/');
  if (last == 0) return "/";
  return request_path.substr(0, last);
}

/// §5.1.4: `cookie_path` is `request_path` or a directory above it.
[[nodiscard]] constexpr bool path_matches(std::string_view request_path, std::string_view cookie_path) noexcept {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/';
}

/// A Domain attribute names a public suffix, where no site may set a cookie for every other. Only
/// single-label names are known here ("com", "localhost"); a list of multi-label suffixes
/// (co.uk) is not built in.
[[nodiscard]] constexpr bool is_public_suffix(std::string_view domain) noexcept {
  return domain.find('.') == std::string_view::npos;
}

// ---- Set-Cookie (§5.2) ----------------------------------------------------------------------

/// A Set-Cookie field as read, before the storage model (§5.3) decides about it.
struct set_cookie_fields {
  std::string name;
  std::string value;
  std::optional<std::int64_t> expires;  // seconds since 1970
  std::optional<std::int64_t> max_age;  // seconds  // seconds; zero or less means "expire now"
  std::optional<std::string> domain;    // lower case, without a leading dot
  std::optional<std::string> path;      // only when it starts with '/'
  bool secure = false;
  bool http_only = false;
  std::string same_site;
};

[[nodiscard]] constexpr bool equals_ignoring_case(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    if (ascii_lower(left[index]) != ascii_lower(right[index])) return false;
  }
  return true;
}

/// Reads a Set-Cookie field; nothing when the cookie must be ignored (no '=', an empty or
/// invalid name, a value with bytes a Cookie field cannot carry back). Unknown attributes and
/// attributes with unusable values are skipped; of repeated ones the last counts.
[[nodiscard]] inline std::optional<set_cookie_fields> parse_set_cookie(std::string_view field) {
  const std::size_t first_semicolon = field.find(';');
  const std::string_view pair = field.substr(0, first_semicolon);
  const std::size_t equals = pair.find('=');
  if (equals == std::string_view::npos) return std::nullopt;
  set_cookie_fields parsed;
  const std::string_view name = trim_cookie_space(pair.substr(0, equals));
  const std::string_view value = trim_cookie_space(pair.substr(equals + 1));
  if (!is_cookie_name(name) || !is_cookie_value(value)) return std::nullopt;
  parsed.name.assign(name);
  parsed.value.assign(value);
  std::string_view rest =
      first_semicolon == std::string_view::npos ? std::string_view{} : field.substr(first_semicolon + 1);
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    const std::string_view attribute = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    const std::size_t attribute_equals = attribute.find('=');
    const std::string_view attribute_name = trim_cookie_space(attribute.substr(0, attribute_equals));
    const std::string_view attribute_value = attribute_equals == std::string_view::npos
                                                 ? std::string_view{}
                                                 : trim_cookie_space(attribute.substr(attribute_equals + 1));
    if (equals_ignoring_case(attribute_name, "expires")) {
      if (auto date = parse_cookie_date(attribute_value)) parsed.expires = *date;
    } else if (equals_ignoring_case(attribute_name, "max-age")) {
      std::string_view digits = attribute_value;
      const bool negative = digits.starts_with('-');
      if (negative) digits.remove_prefix(1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
      // Anything past ten digits is far beyond any date a cookie could need: clamp.
      std::int64_t seconds = 0;
      for (const char digit : digits.substr(0, 10)) seconds = seconds * 10 + (digit - '0');
      if (digits.size() > 10) seconds = 9'999'999'999;
      parsed.max_age = negative ? -seconds : seconds;
    } else if (equals_ignoring_case(attribute_name, "domain")) {
      std::string_view domain = attribute_value;
      if (domain.starts_with('.')) domain.remove_prefix(1);
      if (!domain.empty()) parsed.domain = lower_ascii(domain);
    } else if (equals_ignoring_case(attribute_name, "path")) {
      if (attribute_value.starts_with('/')) {
        parsed.path = std::string(attribute_value);
      } else {
        parsed.path.reset();  // an unusable Path means the default one
      }
    } else if (equals_ignoring_case(attribute_name, "secure")) {
      parsed.secure = true;
    } else if (equals_ignoring_case(attribute_name, "httponly")) {
      parsed.http_only = true;
    } else if (equals_ignoring_case(attribute_name, "samesite")) {
      if (equals_ignoring_case(attribute_value, "strict")) {
        parsed.same_site = "Strict";
      } else if (equals_ignoring_case(attribute_value, "lax")) {
        parsed.same_site = "Lax";
      } else if (equals_ignoring_case(attribute_value, "none")) {
        parsed.same_site = "None";
      }
    }
  }
  return parsed;
}

}  // namespace asyncrest::detail
