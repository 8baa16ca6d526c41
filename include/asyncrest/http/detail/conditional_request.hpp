// Conditional requests (RFC 9110 §13): entity tags and their comparisons, HTTP dates read back,
// and the evaluation of If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since and
// If-Range in the RFC's order.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace asyncrest::detail {

/// An entity tag as sent: `"abc"` (strong) or `W/"abc"` (weak). `opaque` is what the quotes hold.
struct entity_tag {
  std::string_view opaque;
  bool weak = false;
};

namespace entity_tag_syntax {
/// etagc of RFC 9110 §8.8.3: visible ASCII but '"', and obs-text.
[[nodiscard]] constexpr bool is_tag_character(char character) noexcept {
  const auto byte = static_cast<unsigned char>(character);
  return byte == 0x21 || (byte >= 0x23 && byte <= 0x7E) || byte >= 0x80;
}
[[nodiscard]] constexpr bool is_space(char character) noexcept { return character == ' ' || character == '\t'; }
}  // namespace entity_tag_syntax

/// Reads one entity tag from the start of `text`, which then holds what follows it.
[[nodiscard]] constexpr std::optional<entity_tag> take_entity_tag(std::string_view& text) noexcept {
  entity_tag tag;
  std::string_view rest = text;
  if (rest.starts_with("W/")) {
    tag.weak = true;
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.front() != '"') return std::nullopt;
  rest.remove_prefix(1);
  std::size_t size = 0;
  while (size < rest.size() && rest[size] != '"') {
    if (!entity_tag_syntax::is_tag_character(rest[size])) return std::nullopt;
    ++size;
  }
  if (size == rest.size()) return std::nullopt;
  tag.opaque = rest.substr(0, size);
  text = rest.substr(size + 1);
  return tag;
}

/// A whole field that holds exactly one entity tag (an ETag field, an If-Range's tag).
[[nodiscard]] constexpr std::optional<entity_tag> parse_entity_tag(std::string_view text) noexcept {
  while (!text.empty() && entity_tag_syntax::is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && entity_tag_syntax::is_space(text.back())) text.remove_suffix(1);
  std::optional<entity_tag> tag = take_entity_tag(text);
  if (!tag || !text.empty()) return std::nullopt;
  return tag;
}

/// How two tags are compared (RFC 9110 §8.8.3.2): strongly for If-Match and If-Range, where
/// the bytes must be the same; weakly for If-None-Match, where a cache's copy is good enough.
enum class tag_comparison { strong, weak };

[[nodiscard]] constexpr bool tags_match(const entity_tag& left, const entity_tag& right,
                                        tag_comparison comparison) noexcept {
  if (comparison == tag_comparison::strong && (left.weak || right.weak)) return false;
  return left.opaque == right.opaque;
}

/// Whether the If-Match or If-None-Match field `field` matches `current` (the representation's
/// tag; none when it has none). `*` matches any representation that exists. A list that does
/// not parse matches nothing.
[[nodiscard]] constexpr bool tag_list_matches(std::string_view field, const std::optional<entity_tag>& current,
                                              bool exists, tag_comparison comparison) noexcept {
  using entity_tag_syntax::is_space;
  std::string_view rest = field;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  if (rest == "*") return exists;
  bool matched = false;
  while (!rest.empty()) {
    if (rest.front() == ',' || is_space(rest.front())) {
      rest.remove_prefix(1);
      continue;
    }
    const std::optional<entity_tag> listed = take_entity_tag(rest);
    if (!listed) return false;
    if (current && tags_match(*listed, *current, comparison)) matched = true;
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() != ',') return false;
  }
  return matched;
}

namespace http_date_syntax {
[[nodiscard]] constexpr std::optional<int> digits(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (const char digit : text) {
    if (digit < '0' || digit > '9') return std::nullopt;
    value = value * 10 + (digit - '0');
  }
  return value;
}

[[nodiscard]] constexpr std::optional<int> month_number(std::string_view name) noexcept {
  constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t index = 0; index < months.size(); ++index) {
    if (months[index] == name) return static_cast<int>(index) + 1;
  }
  return std::nullopt;
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

/// "08:49:37" as seconds into the day.
[[nodiscard]] constexpr std::optional<int> time_of_day(std::string_view text) noexcept {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  const auto hour = digits(text.substr(0, 2));
  const auto minute = digits(text.substr(3, 2));
  const auto second = digits(text.substr(6, 2));
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return *hour * 3600 + *minute * 60 + *second;
}

[[nodiscard]] constexpr std::optional<std::int64_t> moment(std::int64_t year, std::optional<int> month, int day,
                                                           std::optional<int> seconds) noexcept {
  if (!month || !seconds || day < 1 || day > 31) return std::nullopt;
  return days_from_civil(year, *month, day) * 86400 + *seconds;
}
}  // namespace http_date_syntax

/// Reads an HTTP date (RFC 9110 §5.6.7) as seconds since 1970: the IMF-fixdate servers send
/// ("Sun, 06 Nov 1994 08:49:37 GMT"), and the two obsolete forms recipients must accept
/// ("Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"). Nothing for anything else.
[[nodiscard]] constexpr std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept {
  using namespace http_date_syntax;
  const std::size_t comma = text.find(',');
  if (comma == 3 && text.size() == 29) {  // IMF-fixdate
    if (text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text.substr(25) != " GMT") {
      return std::nullopt;
    }
    const auto day = digits(text.substr(5, 2));
    const auto year = digits(text.substr(12, 4));
    if (!day || !year) return std::nullopt;
    return moment(*year, month_number(text.substr(8, 3)), *day, time_of_day(text.substr(17, 8)));
  }
  if (comma != std::string_view::npos) {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    const std::string_view rest = text.substr(comma + 1);
    if (rest.size() != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' ||
        rest.substr(19) != " GMT") {
      return std::nullopt;
    }
    const auto day = digits(rest.substr(1, 2));
    const auto two_digit_year = digits(rest.substr(8, 2));
    if (!day || !two_digit_year) return std::nullopt;
    // A two-digit year that looks more than 50 years ahead is in the past (RFC 9110 §5.6.7).
    const int year = *two_digit_year + (*two_digit_year >= 70 ? 1900 : 2000);
    return moment(year, month_number(rest.substr(4, 3)), *day, time_of_day(rest.substr(11, 8)));
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() != 24 || text[3] != ' ' || text[7] != ' ' || text[10] != ' ' || text[19] != ' ') {
    return std::nullopt;
  }
  const std::string_view day_text = text[8] == ' ' ? text.substr(9, 1) : text.substr(8, 2);
  const auto day = digits(day_text);
  const auto year = digits(text.substr(20, 4));
  if (!day || !year) return std::nullopt;
  return moment(*year, month_number(text.substr(4, 3)), *day, time_of_day(text.substr(11, 8)));
}

/// A representation's validators, as its response will carry them.
struct validators {
  std::optional<entity_tag> tag{};
  std::optional<std::int64_t> last_modified{};  // seconds since 1970
  /// Whether `last_modified` is a strong validator: a file changed within the second the
  /// response is sent could change again within the same second (RFC 9110 §8.8.2.2).
  bool last_modified_is_strong = true;
};

/// What the preconditions of a request say about the response (RFC 9110 §13.2.2).
enum class precondition_outcome {
  proceed,              // answer as if there were none
  not_modified,         // 304: the client's copy is current
  precondition_failed,  // 412
};

/// Evaluates a request's preconditions against the selected representation, in the RFC's
/// order: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since (for
/// GET and HEAD). A date that does not parse is ignored, as the RFC says.
[[nodiscard]] inline precondition_outcome evaluate_preconditions(method verb, const request_headers& fields,
                                                                 const validators& current) {
  const bool safe = verb == method::get || verb == method::head;
  if (const auto if_match = fields.get("If-Match")) {
    if (!tag_list_matches(*if_match, current.tag, true, tag_comparison::strong)) {
      return precondition_outcome::precondition_failed;
    }
  } else if (const auto if_unmodified_since = fields.get("If-Unmodified-Since")) {
    const std::optional<std::int64_t> date = parse_http_date(*if_unmodified_since);
    if (date && current.last_modified && *current.last_modified > *date) {
      return precondition_outcome::precondition_failed;
    }
  }
  if (const auto if_none_match = fields.get("If-None-Match")) {
    if (tag_list_matches(*if_none_match, current.tag, true, tag_comparison::weak)) {
      return safe ? precondition_outcome::not_modified : precondition_outcome::precondition_failed;
    }
  } else if (const auto if_modified_since = fields.get("If-Modified-Since"); if_modified_since && safe) {
    const std::optional<std::int64_t> date = parse_http_date(*if_modified_since);
    if (date && current.last_modified && *current.last_modified <= *date) return precondition_outcome::not_modified;
  }
  return precondition_outcome::proceed;
}

/// Whether a Range may be honoured under the request's If-Range (RFC 9110 §13.1.5): when there
/// is none, or it names the current representation: its strong tag, or exactly its date when
/// that date is a strong validator.
[[nodiscard]] inline bool if_range_holds(const request_headers& fields, const validators& current) {
  const std::optional<std::string_view> if_range = fields.get("If-Range");
  if (!if_range) return true;
  std::string_view text = *if_range;
  while (!text.empty() && entity_tag_syntax::is_space(text.front())) text.remove_prefix(1);
  if (text.starts_with('"') || text.starts_with("W/")) {
    const std::optional<entity_tag> tag = parse_entity_tag(text);
    return tag && current.tag && tags_match(*tag, *current.tag, tag_comparison::strong);
  }
  const std::optional<std::int64_t> date = parse_http_date(text);
  return date && current.last_modified && current.last_modified_is_strong && *date == *current.last_modified;
}

}  // namespace asyncrest::detail
