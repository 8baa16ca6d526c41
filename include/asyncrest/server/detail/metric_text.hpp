// The Prometheus text exposition format, version 0.0.4: names checked, label values and help
// text escaped, numbers written as Prometheus reads them.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncrest::detail {

[[nodiscard]] constexpr bool is_metric_name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
[[nodiscard]] constexpr bool is_metric_name_character(char c) noexcept {
  return is_metric_name_start(c) || (c >= '0' && c <= '9');
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
[[nodiscard]] constexpr bool is_metric_name(std::string_view name) noexcept {
  if (name.empty() || !is_metric_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_metric_name_character(c)) return false;
  }
  return true;
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and not starting with "__" (reserved for Prometheus itself).
[[nodiscard]] constexpr bool is_label_name(std::string_view name) noexcept {
  if (name.empty() || name.front() == ':' || !is_metric_name_start(name.front()) || name.starts_with("__")) {
    return false;
  }
  for (char c : name) {
    if (c == ':' || !is_metric_name_character(c)) return false;
  }
  return true;
}

/// A HELP line's text: backslash and line feed escaped.
inline void append_help_text(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

/// A label value: backslash, double quote and line feed escaped.
inline void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

inline void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char digits[32];
    const auto written = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, written.ptr);
  }
}

inline void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto written = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, written.ptr);
}

}  // namespace asyncrest::detail
