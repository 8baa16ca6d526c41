// The syntax around form bodies: media types and their parameters (RFC 9110 §8.3.1), the
// multipart boundary (RFC 2046 §5.1.1), Content-Disposition (RFC 6266, RFC 7578 §4.2) with
// filename* (RFC 8187), and the name/value pairs of a urlencoded body.
#pragma once

#include <asyncrest/core/detail/percent_encoding.hpp>
#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Walks the `; name=value` parameters of a field value such as Content-Type or
/// Content-Disposition. A value is a token or a quoted-string, whose backslash escapes are
/// removed into `unquoted`.
class parameter_reader {
 public:
  /// `text` starts after the main value (the media type, the disposition type).
  explicit parameter_reader(std::string_view text) noexcept : rest_(text) {}

  /// Reads the next parameter; false at the end, or on a syntax error (then `malformed()`).
  bool next(std::string_view& name, std::string& value) {
    rest_ = trim_optional_whitespace(rest_);
    if (rest_.empty()) return false;
    if (rest_.front() != ';') return fail();
    rest_.remove_prefix(1);
    rest_ = trim_optional_whitespace(rest_);
    if (rest_.empty()) return false;  // a trailing ';' is tolerated, as browsers' parsers do
    std::size_t length = 0;
    while (length < rest_.size() && is_token_character(rest_[length])) ++length;
    if (length == 0) return fail();
    name = rest_.substr(0, length);
    rest_.remove_prefix(length);
    rest_ = trim_optional_whitespace(rest_);
    if (rest_.empty() || rest_.front() != '=') return fail();
    rest_.remove_prefix(1);
    rest_ = trim_optional_whitespace(rest_);
    value.clear();
    if (!rest_.empty() && rest_.front() == '"') {
      std::size_t index = 1;
      for (;; ++index) {
        if (index >= rest_.size()) return fail();  // no closing quote
        const char character = rest_[index];
        if (character == '"') break;
        if (character == '\\') {
          if (++index >= rest_.size()) return fail();
          value.push_back(rest_[index]);
        } else if (character == '\r' || character == '\n' || character == '\0') {
          return fail();
        } else {
          value.push_back(character);
        }
      }
      rest_.remove_prefix(index + 1);
      return true;
    }
    length = 0;
    while (length < rest_.size() && is_token_character(rest_[length])) ++length;
    if (length == 0) return fail();
    value.assign(rest_.substr(0, length));
    rest_.remove_prefix(length);
    return true;
  }

  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  bool fail() noexcept {
    malformed_ = true;
    return false;
  }

  std::string_view rest_;
  bool malformed_ = false;
};

/// The characters RFC 2046 §5.1.1 allows in a boundary ("bchars").
[[nodiscard]] constexpr bool is_boundary_character(char character) noexcept {
  if ((character >= '0' && character <= '9') || (character >= 'a' && character <= 'z') ||
      (character >= 'A' && character <= 'Z')) {
    return true;
  }
  switch (character) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case '_':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
    case ' ': return true;
    default: return false;
  }
}

/// RFC 2046 §5.1.1: 1 to 70 bchars, not ending with a space.
[[nodiscard]] inline bool is_valid_boundary(std::string_view boundary) noexcept {
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
  for (const char character : boundary) {
    if (!is_boundary_character(character)) return false;
  }
  return true;
}

enum class boundary_problem { none, not_multipart_form_data, malformed };

/// The boundary of a `multipart/form-data` Content-Type, checked, into `boundary`.
[[nodiscard]] inline boundary_problem read_boundary(std::string_view content_type, std::string& boundary) {
  const std::string_view media_type = media_type_of(content_type);
  if (!iequals(media_type, "multipart/form-data")) return boundary_problem::not_multipart_form_data;
  const std::size_t semicolon = content_type.find(';');
  if (semicolon == std::string_view::npos) return boundary_problem::malformed;
  parameter_reader parameters(content_type.substr(semicolon));
  std::string_view name;
  std::string value;
  bool found = false;
  while (parameters.next(name, value)) {
    if (!iequals(name, "boundary")) continue;
    if (found) return boundary_problem::malformed;  // two boundaries: which one would a peer use?
    boundary = value;
    found = true;
  }
  if (parameters.malformed() || !found || !is_valid_boundary(boundary)) return boundary_problem::malformed;
  return boundary_problem::none;
}

/// The boundary of a request's Content-Type, or the http_error that refuses it.
[[nodiscard]] inline std::string checked_boundary(std::string_view content_type) {
  std::string boundary;
  switch (read_boundary(content_type, boundary)) {
    case boundary_problem::none: return boundary;
    case boundary_problem::not_multipart_form_data:
      throw http_error(status::unsupported_media_type, "expected a Content-Type of multipart/form-data");
    case boundary_problem::malformed: break;
  }
  throw http_error(status::bad_request,
                   "the multipart/form-data Content-Type has no valid boundary (1 to 70 characters of RFC 2046)");
}

/// Adds a field's size to the form's total, refusing (413) past `limit`.
inline void count_field_bytes(std::size_t& total, std::size_t added, std::size_t limit) {
  total += added;
  if (total > limit) {
    throw http_error(status::payload_too_large,
                     "the form's fields are larger than " + std::to_string(limit) + " bytes together");
  }
}

enum class disposition_problem { none, not_form_data, no_name, malformed, unsupported_charset };

/// Reads `filename*=charset'language'percent-encoded` (RFC 8187). Only UTF-8 is accepted: it is
/// what every client sends, and converting other charsets is not the library's business.
[[nodiscard]] inline disposition_problem decode_extended_value(std::string_view value, std::string& out) {
  const std::size_t first_quote = value.find('\'');
  if (first_quote == std::string_view::npos) return disposition_problem::malformed;
  const std::size_t second_quote = value.find('\'', first_quote + 1);
  if (second_quote == std::string_view::npos) return disposition_problem::malformed;
  if (!iequals(value.substr(0, first_quote), "utf-8")) return disposition_problem::unsupported_charset;
  out.clear();
  if (!append_percent_decoded(value.substr(second_quote + 1), out, false)) return disposition_problem::malformed;
  return disposition_problem::none;
}

/// A part's Content-Disposition: `form-data; name="field"[; filename="a.txt"]`.
[[nodiscard]] inline disposition_problem read_disposition(std::string_view field, std::string& name,
                                                          std::string& filename, bool& has_filename,
                                                          std::string& scratch) {
  const std::size_t semicolon = field.find(';');
  if (!iequals(trim_optional_whitespace(field.substr(0, semicolon)), "form-data"))
    return disposition_problem::not_form_data;
  has_filename = false;
  bool has_name = false;
  bool has_extended_filename = false;
  if (semicolon == std::string_view::npos) return disposition_problem::no_name;
  parameter_reader parameters(field.substr(semicolon));
  std::string_view parameter;
  while (parameters.next(parameter, scratch)) {
    if (iequals(parameter, "name")) {
      if (has_name) return disposition_problem::malformed;
      name = scratch;
      has_name = true;
    } else if (iequals(parameter, "filename*")) {
      // RFC 8187 says filename* wins over filename when both are present.
      std::string decoded;
      const disposition_problem problem = decode_extended_value(scratch, decoded);
      if (problem != disposition_problem::none) return problem;
      filename = std::move(decoded);
      has_filename = true;
      has_extended_filename = true;
    } else if (iequals(parameter, "filename")) {
      if (!has_extended_filename) filename = scratch;
      has_filename = true;
    }
  }
  if (parameters.malformed()) return disposition_problem::malformed;
  if (!has_name) return disposition_problem::no_name;
  return disposition_problem::none;
}

/// One `name=value` pair of a urlencoded body, still encoded; false at the end. Empty pairs
/// (`a=1&&b=2`) are skipped.
[[nodiscard]] inline bool next_urlencoded_pair(std::string_view& rest, std::string_view& name,
                                               std::string_view& value) noexcept {
  while (!rest.empty()) {
    const std::size_t end = rest.find('&');
    const std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    name = pair.substr(0, equals);
    value = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    return true;
  }
  return false;
}

}  // namespace asyncrest::detail
