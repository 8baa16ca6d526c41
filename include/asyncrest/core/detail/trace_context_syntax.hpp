// W3C Trace Context's two fields read and written: `traceparent` (version 00, and the prefix
// every later version keeps) and `tracestate` (its list syntax and limits).
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// The parts of a valid `traceparent`, as views into the field.
struct traceparent_fields {
  std::string_view version;
  std::string_view trace_id;   // 32 lowercase hex digits, not all zeros
  std::string_view parent_id;  // 16 lowercase hex digits, not all zeros
  std::uint8_t flags = 0;
};

inline constexpr std::uint8_t sampled_flag = 0x01;

[[nodiscard]] constexpr bool lower_hex(std::string_view text) noexcept {
  for (const char character : text)
    if (!((character >= '0' && character <= '9') || (character >= 'a' && character <= 'f'))) return false;
  return true;
}

[[nodiscard]] constexpr unsigned hex_value(char digit) noexcept {
  return digit <= '9' ? static_cast<unsigned>(digit - '0') : static_cast<unsigned>(digit - 'a' + 10);
}

/// `field` read as a `traceparent`, or nothing when it is invalid. Version 00 is exactly 55
/// characters; a later version may be longer, with a '-' after the part version 00 defines (the
/// spec asks a parser to read that prefix rather than refuse a version it does not know). Version
/// ff, upper-case hex and all-zero ids are invalid.
[[nodiscard]] constexpr std::optional<traceparent_fields> parse_traceparent(std::string_view field) noexcept {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (field.size() < 55 || field[2] != '-' || field[35] != '-' || field[52] != '-') return std::nullopt;
  const std::string_view version = field.substr(0, 2);
  if (!lower_hex(version) || version == "ff") return std::nullopt;
  if (field.size() > 55 && (version == "00" || field[55] != '-')) return std::nullopt;
  traceparent_fields parsed{version, field.substr(3, 32), field.substr(36, 16), 0};
  const std::string_view flags = field.substr(53, 2);
  if (!lower_hex(parsed.trace_id) || !lower_hex(parsed.parent_id) || !lower_hex(flags)) return std::nullopt;
  if (parsed.trace_id.find_first_not_of('0') == std::string_view::npos) return std::nullopt;
  if (parsed.parent_id.find_first_not_of('0') == std::string_view::npos) return std::nullopt;
  parsed.flags = static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]));
  return parsed;
}

/// The trace id of a `traceparent` field, or empty when the field is invalid.
[[nodiscard]] constexpr std::string_view trace_id_of_traceparent(std::string_view field) noexcept {
  const auto parsed = parse_traceparent(field);
  return parsed ? parsed->trace_id : std::string_view{};
}

/// `00-{trace_id}-{span_id}-{flags}`: the version this library writes.
[[nodiscard]] inline std::string write_traceparent(std::string_view trace_id, std::string_view span_id,
                                                   std::uint8_t flags) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string field;
  field.reserve(55);
  field += "00-";
  field += trace_id;
  field += '-';
  field += span_id;
  field += '-';
  field += hex[flags >> 4u];
  field += hex[flags & 0xFu];
  return field;
}

inline constexpr std::size_t tracestate_most_members = 32;
inline constexpr std::size_t tracestate_most_bytes = 512;

[[nodiscard]] constexpr bool tracestate_lower_alpha(char character) noexcept {
  return character >= 'a' && character <= 'z';
}
[[nodiscard]] constexpr bool tracestate_key_character(char character) noexcept {
  return tracestate_lower_alpha(character) || (character >= '0' && character <= '9') || character == '_' ||
         character == '-' || character == '*' || character == '/';
}

/// A key: `lcalpha 0*255(keychar)`, or `tenant@system` with a tenant of 1 to 241 characters
/// that starts with a letter or a digit, and a system of 1 to 14 that starts with a letter.
[[nodiscard]] constexpr bool valid_tracestate_key(std::string_view key) noexcept {
  const std::size_t at = key.find('@');
  const auto characters_fit = [](std::string_view part) {
    for (const char character : part)
      if (!tracestate_key_character(character)) return false;
    return true;
  };
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && tracestate_lower_alpha(key[0]) && characters_fit(key);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || system.empty() || system.size() > 14) return false;
  if (!(tracestate_lower_alpha(tenant[0]) || (tenant[0] >= '0' && tenant[0] <= '9'))) return false;
  return tracestate_lower_alpha(system[0]) && characters_fit(tenant) && characters_fit(system);
}

/// A value: 1 to 256 printable ASCII characters other than ',' and '=', spaces allowed except
/// at the end.
[[nodiscard]] constexpr bool valid_tracestate_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (const char character : value)
    if (character < 0x20 || character > 0x7E || character == ',' || character == '=') return false;
  return true;
}

/// Whether `field` is a valid `tracestate`: comma-separated `key=value` members (empty ones
/// allowed), at most 32 of them, each key once, at most 512 bytes in all. An invalid one is
/// dropped whole rather than repaired: the spec leaves its members' meaning to their vendors.
[[nodiscard]] constexpr bool valid_tracestate(std::string_view field) noexcept {
  if (field.size() > tracestate_most_bytes) return false;
  std::array<std::string_view, tracestate_most_members> keys{};
  std::size_t members = 0;
  while (true) {
    const std::size_t comma = field.find(',');
    const std::string_view member = trim_optional_whitespace(field.substr(0, comma));
    if (!member.empty()) {
      const std::size_t equals = member.find('=');
      if (equals == std::string_view::npos) return false;
      const std::string_view key = member.substr(0, equals);
      if (!valid_tracestate_key(key) || !valid_tracestate_value(member.substr(equals + 1))) return false;
      if (members == tracestate_most_members) return false;
      for (std::size_t index = 0; index < members; ++index)
        if (keys[index] == key) return false;
      keys[members++] = key;
    }
    if (comma == std::string_view::npos) return true;
    field.remove_prefix(comma + 1);
  }
}

}  // namespace asyncrest::detail
