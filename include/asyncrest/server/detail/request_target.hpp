// A request target split into the views a request hands out: the path (percent-decoded), the path
// as sent and the query. The connection and the test client split targets with this one function,
// so a target the server answers with 400 is answered with 400 in a test too.
#pragma once

#include <asyncrest/core/detail/byte_words.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

/// The bytes that end a request's path or call for decoding it.
inline constexpr std::array<bool, 256> path_stops = [] {
  std::array<bool, 256> stops{};
  stops[static_cast<unsigned char>('?')] = stops[static_cast<unsigned char>('#')] =
      stops[static_cast<unsigned char>('%')] = true;
  return stops;
}();

/// The path and query of a request target: itself in origin-form ("/path?query"), the part after
/// the authority in absolute-form ("http://host/path", which servers must accept: RFC 9112
/// §3.2.2; "/" when it has no path), and "*" as it is.
[[nodiscard]] inline std::string_view origin_form(std::string_view target) noexcept {
  if (target.empty() || target.front() == '/') return target;
  const std::size_t scheme = target.find("://");
  if (scheme == std::string_view::npos) return target;
  const std::size_t path_start = target.find('/', scheme + 3);
  return path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
}

/// What a target is made of. The views point into the target, or into the workspace for a
/// decoded path.
struct target_parts {
  std::string_view path;      // percent-decoded
  std::string_view raw_path;  // as sent
  std::string_view query;     // after '?', still encoded; empty when there is none
  bool path_decodes = true;   // false: the path has a malformed percent-encoding (400)
};

/// Splits `target`, drops a fragment, and decodes the path into `space` when it is encoded.
[[nodiscard]] inline target_parts split_target(std::string_view target, workspace& space) {
  std::string_view path_and_query = origin_form(target);
  // One pass finds the end of the path, the fragment and whether the path is percent-encoded:
  // eight bytes at a time while none is '?', '#' or '%', then a table lookup per byte.
  std::size_t question = std::string_view::npos;
  std::size_t length = path_and_query.size();
  bool percent_in_path = false;
  std::size_t index = 0;
  for (;;) {
    while (index + 8 <= length) {
      const std::uint64_t word = load_word(path_and_query.data() + index);
      if ((bytes_equal(word, '?') | bytes_equal(word, '#') | bytes_equal(word, '%')) != 0) break;
      index += 8;
    }
    while (index < length && !path_stops[static_cast<unsigned char>(path_and_query[index])]) ++index;
    if (index == length) break;
    if (path_and_query[index] == '%') {
      percent_in_path = true;
      ++index;
      continue;
    }
    if (path_and_query[index] == '?') {
      question = index;
      length = std::min(length, path_and_query.find('#', index));
    } else {
      length = index;  // '#'
    }
    break;
  }
  path_and_query = path_and_query.substr(0, length);
  target_parts parts;
  parts.raw_path = path_and_query.substr(0, question);
  if (question != std::string_view::npos) parts.query = path_and_query.substr(question + 1);
  parts.path = parts.raw_path;
  if (percent_in_path) {
    if (auto decoded = percent_decode(parts.raw_path)) {
      parts.path = space.keep(std::move(*decoded));
    } else {
      parts.path_decodes = false;
    }
  }
  return parts;
}

/// The path a route's body settings are looked up by, before the body is read: the target's
/// path as sent. Nothing when it does not percent-decode (the request becomes a 400).
[[nodiscard]] inline std::optional<std::string_view> path_for_route_lookup(std::string_view target) {
  std::string_view path = origin_form(target);
  path = path.substr(0, path.find_first_of("?#"));
  if (path.find('%') != std::string_view::npos && !percent_decode(path)) return std::nullopt;
  return path;
}

}  // namespace asyncrest::detail
