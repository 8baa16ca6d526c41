// Percent-decoding of paths and query strings (RFC 3986), strict about malformed escapes.
#pragma once

#include <asyncrest/core/detail/percent_encoding.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asyncrest {

/// Decodes `%XX` escapes, and `+` as a space when `plus_as_space` (query strings). Returns
/// nothing for a malformed escape or an escaped NUL.
[[nodiscard]] inline std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false) {
  std::string out;
  out.reserve(text.size());
  if (!detail::append_percent_decoded(text, out, plus_as_space)) return std::nullopt;
  return out;
}

}  // namespace asyncrest
