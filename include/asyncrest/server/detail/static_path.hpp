// A static file's path, from what follows the mount's prefix in the request's raw path: decoded
// once, segment by segment, and refused when it could name anything outside the mount's root.
#pragma once

#include <asyncrest/core/detail/percent_encoding.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// What a request path names beneath a mount.
struct static_path {
  enum class verdict {
    file,         // `relative` names a file, or a folder the client named without a trailing '/'
    folder,       // `relative` names a folder (the path ends with '/'; empty for the root)
    bad_request,  // 400: the path tries to leave the root, or cannot be a file's name
    not_found,    // 404: a hidden file, which the mount does not serve
  };
  verdict result = verdict::bad_request;
  std::string relative{};     // decoded segments joined by '/', without a leading '/'
  std::string_view reason{};  // for a refusal: why, for the problem body
};

/// Whether `text` is well-formed UTF-8 without overlong forms or surrogates: an overlong '.'
/// ("%c0%ae") must never become a dot in some later layer's hands.
[[nodiscard]] constexpr bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t index = 0;
  while (index < text.size()) {
    const auto lead = static_cast<unsigned char>(text[index]);
    if (lead < 0x80) {
      ++index;
      continue;
    }
    std::size_t extra = 0;
    unsigned lowest = 0;
    unsigned code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
      lowest = 0x80;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      lowest = 0x800;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      lowest = 0x10000;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (index + extra >= text.size()) return false;
    for (std::size_t next = 1; next <= extra; ++next) {
      const auto continuation = static_cast<unsigned char>(text[index + next]);
      if ((continuation & 0xC0u) != 0x80u) return false;
      code = (code << 6u) | (continuation & 0x3Fu);
    }
    if (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    index += extra + 1;
  }
  return true;
}

[[nodiscard]] constexpr bool holds_encoded_separator(std::string_view raw) noexcept {
  for (std::size_t index = 0; index + 2 < raw.size(); ++index) {
    if (raw[index] != '%') continue;
    const char high = raw[index + 1];
    const char low = static_cast<char>(raw[index + 2] | 0x20);  // lower case
    if ((high == '2' && low == 'f') || (high == '5' && low == 'c')) return true;
  }
  return false;
}

/// Reads `raw_rest`, the still-encoded path after the mount's prefix ("" or "/..."). Each segment
/// is decoded once and must then be a plain name: not empty (`//etc/passwd`), not "." or "..",
/// without '/' or '\' (encoded or not), NUL or another control character, and valid UTF-8. A
/// hidden name (a leading '.') is not found unless `allow_hidden`. A query is not part of
/// `raw_rest`, so it never affects the file chosen.
[[nodiscard]] inline static_path resolve_static_path(std::string_view raw_rest, bool allow_hidden) {
  static_path path;
  const auto refuse = [&](std::string_view reason) {
    path.result = static_path::verdict::bad_request;
    path.relative.clear();
    path.reason = reason;
    return path;
  };
  if (!raw_rest.empty() && raw_rest.front() == '/') raw_rest.remove_prefix(1);
  bool folder = raw_rest.empty();
  if (!raw_rest.empty() && raw_rest.back() == '/') {
    folder = true;
    raw_rest.remove_suffix(1);
  }
  bool hidden = false;
  for (bool more = !raw_rest.empty(); more;) {
    const std::size_t slash = raw_rest.find('/');
    const std::string_view raw_segment = raw_rest.substr(0, slash);
    raw_rest = slash == std::string_view::npos ? std::string_view{} : raw_rest.substr(slash + 1);
    if (raw_segment.empty()) return refuse("the path has an empty segment");
    if (holds_encoded_separator(raw_segment)) return refuse("the path holds an encoded '/' or '\\'");
    std::string segment;
    if (!append_percent_decoded(raw_segment, segment, false)) return refuse("the path does not decode");
    if (segment == "." || segment == "..") return refuse("the path holds a '.' or '..' segment");
    for (const char character : segment) {
      const auto byte = static_cast<unsigned char>(character);
      if (character == '\\' || character == '/' || byte < 0x20 || byte == 0x7F) {
        return refuse("the path holds a character no file name here may have");
      }
    }
    if (!is_valid_utf8(segment)) return refuse("the path is not valid UTF-8");
    if (segment.front() == '.') hidden = true;
    if (!path.relative.empty()) path.relative.push_back('/');
    path.relative.append(segment);
    more = slash != std::string_view::npos;
  }
  if (hidden && !allow_hidden) {
    path.result = static_path::verdict::not_found;
    path.reason = "no such file";
    return path;
  }
  path.result = folder ? static_path::verdict::folder : static_path::verdict::file;
  return path;
}

}  // namespace asyncrest::detail
