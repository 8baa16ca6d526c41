// Compile-time parsing of route paths such as "/users/{id:int}/files/{rest:path}".
#pragma once

#include <asyncrest/server/fixed_string.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace asyncrest::detail {

enum class segment_kind : std::uint8_t { literal, parameter, catch_all };

/// The type a path parameter is checked against while matching. Most specific first: a segment
/// that is a UUID is offered to a `{x:uuid}` route before an `{x:int}` or a `{x}` one.
enum class parameter_type : std::uint8_t { uuid, integer, number, string, path, deduced };

struct pattern_segment {
  segment_kind kind = segment_kind::literal;
  parameter_type type = parameter_type::deduced;
  std::string_view text;  // the literal, or the parameter's name
};

inline constexpr std::size_t max_segments = 32;
inline constexpr std::size_t max_parameters = 16;

enum class pattern_error : std::uint8_t {
  none,
  not_absolute,
  unbalanced_brace,
  empty_name,
  invalid_name,
  unknown_type,
  partial_segment,
  catch_all_not_last,
  duplicate_name,
  too_many_segments,
  too_many_parameters,
  invalid_character,
};

struct path_pattern {
  std::array<pattern_segment, max_segments> segments{};
  std::size_t segment_count = 0;
  std::size_t parameter_count = 0;
  pattern_error error = pattern_error::none;

  /// The `index`-th parameter (or catch-all) segment, in path order.
  [[nodiscard]] constexpr const pattern_segment& parameter(std::size_t index) const noexcept {
    for (std::size_t position = 0; position < segment_count; ++position) {
      if (segments[position].kind != segment_kind::literal) {
        if (index == 0) return segments[position];
        --index;
      }
    }
    return segments[0];
  }
};

// Plain loops rather than std::string_view's find and ==: some compilers cannot evaluate those at
// compile time on a template argument's characters when sanitizers instrument them.
[[nodiscard]] constexpr std::size_t find_character(std::string_view text, char wanted, std::size_t from = 0) noexcept {
  for (std::size_t index = from; index < text.size(); ++index) {
    if (text[index] == wanted) return index;
  }
  return std::string_view::npos;
}

[[nodiscard]] constexpr bool same_text(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    if (left[index] != right[index]) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool is_name_character(char character, bool first) noexcept {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') || character == '_' ||
         (!first && character >= '0' && character <= '9');
}

/// Characters a literal segment may hold: RFC 3986 pchar without '%', so that a literal always
/// compares equal to the decoded segment it names.
[[nodiscard]] constexpr bool is_literal_character(char character) noexcept {
  if (is_name_character(character, false)) return true;
  constexpr std::string_view allowed = "-.~!$&'()*+,;=:@";
  return find_character(allowed, character) != std::string_view::npos;
}

[[nodiscard]] constexpr path_pattern parse_path_pattern(std::string_view path) noexcept {
  path_pattern result;
  const auto fail = [&result](pattern_error error) {
    result.error = error;
    return result;
  };
  if (path.empty() || path.front() != '/') return fail(pattern_error::not_absolute);
  if (same_text(path, "/")) return result;

  std::size_t position = 1;
  while (true) {
    const std::size_t slash = find_character(path, '/', position);
    const std::string_view segment =
        path.substr(position, slash == std::string_view::npos ? std::string_view::npos : slash - position);
    if (result.segment_count == max_segments) return fail(pattern_error::too_many_segments);
    pattern_segment& parsed = result.segments[result.segment_count++];

    if (!segment.empty() && segment.front() == '{') {
      if (segment.back() != '}') return fail(pattern_error::partial_segment);
      const std::string_view inside = segment.substr(1, segment.size() - 2);
      if (find_character(inside, '{') != std::string_view::npos ||
          find_character(inside, '}') != std::string_view::npos) {
        return fail(pattern_error::unbalanced_brace);
      }
      const std::size_t colon = find_character(inside, ':');
      const std::string_view name = inside.substr(0, colon);
      const std::string_view type_name =
          colon == std::string_view::npos ? std::string_view{} : inside.substr(colon + 1);
      if (name.empty()) return fail(pattern_error::empty_name);
      for (std::size_t index = 0; index < name.size(); ++index) {
        if (!is_name_character(name[index], index == 0)) return fail(pattern_error::invalid_name);
      }
      parsed.text = name;
      parsed.kind = segment_kind::parameter;
      if (colon == std::string_view::npos) {
        parsed.type = parameter_type::deduced;
      } else if (same_text(type_name, "int")) {
        parsed.type = parameter_type::integer;
      } else if (same_text(type_name, "float")) {
        parsed.type = parameter_type::number;
      } else if (same_text(type_name, "str")) {
        parsed.type = parameter_type::string;
      } else if (same_text(type_name, "uuid")) {
        parsed.type = parameter_type::uuid;
      } else if (same_text(type_name, "path")) {
        parsed.type = parameter_type::path;
        parsed.kind = segment_kind::catch_all;
        if (slash != std::string_view::npos) return fail(pattern_error::catch_all_not_last);
      } else {
        return fail(pattern_error::unknown_type);
      }
      for (std::size_t earlier = 0; earlier + 1 < result.segment_count; ++earlier) {
        if (result.segments[earlier].kind != segment_kind::literal && same_text(result.segments[earlier].text, name)) {
          return fail(pattern_error::duplicate_name);
        }
      }
      if (++result.parameter_count > max_parameters) return fail(pattern_error::too_many_parameters);
    } else {
      for (const char character : segment) {
        if (character == '{' || character == '}') return fail(pattern_error::partial_segment);
        if (!is_literal_character(character)) return fail(pattern_error::invalid_character);
      }
      parsed.kind = segment_kind::literal;
      parsed.text = segment;
    }
    if (slash == std::string_view::npos) break;
    position = slash + 1;
  }
  return result;
}

/// Whether two patterns match exactly the same paths (their parameter names aside).
[[nodiscard]] constexpr bool same_shape(const path_pattern& left, const path_pattern& right) noexcept {
  if (left.segment_count != right.segment_count) return false;
  for (std::size_t index = 0; index < left.segment_count; ++index) {
    const pattern_segment& a = left.segments[index];
    const pattern_segment& b = right.segments[index];
    if (a.kind != b.kind) return false;
    if (a.kind == segment_kind::literal ? !same_text(a.text, b.text) : a.type != b.type) return false;
  }
  return true;
}

}  // namespace asyncrest::detail
