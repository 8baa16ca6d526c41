// The Content-Type of a static file from its name's extension: a built-in table of the common
// web types, which a mount's own table comes before.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// The extension of the last segment of `name`, without its dot, or empty: "app.min.js" gives
/// "js"; ".profile" and "README" give nothing.
[[nodiscard]] constexpr std::string_view file_extension(std::string_view name) noexcept {
  const std::size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

[[nodiscard]] constexpr bool same_extension(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    char one = left[index];
    char other = right[index];
    if (one >= 'A' && one <= 'Z') one = static_cast<char>(one - 'A' + 'a');
    if (other >= 'A' && other <= 'Z') other = static_cast<char>(other - 'A' + 'a');
    if (one != other) return false;
  }
  return true;
}

// Text types name their charset: without it, browsers guess, and a guess can turn a text file
// into script (the reason for X-Content-Type-Options too).
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 44> built_in_media_types{{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"m4a", "audio/mp4"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"ics", "text/calendar; charset=utf-8"},
    {"bin", "application/octet-stream"},
}};

inline constexpr std::string_view default_media_type = "application/octet-stream";

/// The type of the file named `name`: from `own` (extension, type pairs) first, then the
/// built-in table, else application/octet-stream.
[[nodiscard]] inline std::string_view media_type_for(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& own = {}) noexcept {
  const std::string_view extension = file_extension(name);
  if (extension.empty()) return default_media_type;
  for (const auto& [listed, type] : own) {
    std::string_view wanted = listed;
    if (wanted.starts_with('.')) wanted.remove_prefix(1);
    if (same_extension(wanted, extension)) return type;
  }
  for (const auto& [listed, type] : built_in_media_types) {
    if (same_extension(listed, extension)) return type;
  }
  return default_media_type;
}

}  // namespace asyncrest::detail
