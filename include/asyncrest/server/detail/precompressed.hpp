// Which precompressed sibling of a static file (app.js.br, app.js.gz) a client's Accept-Encoding
// takes: q-values read, `q=0` a refusal, `*` for the codings not named.
#pragma once

#include <asyncrest/core/headers.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace asyncrest::detail {

/// A content coding a sibling file may hold, with its file name's suffix.
struct precompressed_coding {
  std::string_view name;    // as in Content-Encoding
  std::string_view suffix;  // appended to the file's name
};

/// In the order tried when the client rates them the same: Brotli's files are the smaller.
inline constexpr std::array<precompressed_coding, 2> precompressed_codings{{{"br", ".br"}, {"gzip", ".gz"}}};

namespace accept_encoding_syntax {
[[nodiscard]] constexpr std::string_view trimmed(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// A qvalue (RFC 9110 §12.4.2) in thousandths; nothing when malformed.
[[nodiscard]] constexpr std::optional<int> thousandths(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int value = (text[0] - '0') * 1000;
  if (text.size() == 1) return value;
  if (text[1] != '.') return std::nullopt;
  int scale = 100;
  for (std::size_t index = 2; index < text.size(); ++index, scale /= 10) {
    if (text[index] < '0' || text[index] > '9') return std::nullopt;
    value += (text[index] - '0') * scale;
  }
  return value <= 1000 ? std::optional<int>(value) : std::nullopt;
}

[[nodiscard]] constexpr bool same_coding(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    char one = left[index];
    if (one >= 'A' && one <= 'Z') one = static_cast<char>(one - 'A' + 'a');
    if (one != right[index]) return false;
  }
  return true;
}
}  // namespace accept_encoding_syntax

/// How much (0 to 1000) the Accept-Encoding value `field` accepts `coding` (lower case). A
/// coding named outright counts before `*`; one not named, with no `*`, is not accepted; an
/// element that does not parse counts as not accepting anything.
[[nodiscard]] constexpr int accepted_quality(std::string_view field, std::string_view coding) noexcept {
  using namespace accept_encoding_syntax;
  std::optional<int> named;
  std::optional<int> any;
  while (!field.empty()) {
    const std::size_t comma = field.find(',');
    std::string_view element = field.substr(0, comma);
    field = comma == std::string_view::npos ? std::string_view{} : field.substr(comma + 1);
    const std::size_t semicolon = element.find(';');
    const std::string_view name = trimmed(element.substr(0, semicolon));
    if (name.empty()) continue;
    int quality = 1000;
    if (semicolon != std::string_view::npos) {
      const std::string_view parameter = trimmed(element.substr(semicolon + 1));
      if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') || parameter[1] != '=') continue;
      const std::optional<int> given = thousandths(trimmed(parameter.substr(2)));
      if (!given) continue;
      quality = *given;
    }
    if (same_coding(name, coding)) {
      named = named ? std::max(*named, quality) : quality;
    } else if (name == "*") {
      any = quality;
    }
  }
  if (named) return *named;
  return any.value_or(0);
}

/// The codings of `precompressed_codings` the client accepts, most wanted first (ties in the
/// table's order), as indexes into it; -1 ends the list.
[[nodiscard]] constexpr std::array<int, precompressed_codings.size() + 1> codings_to_try(
    std::string_view accept_encoding) noexcept {
  std::array<int, precompressed_codings.size() + 1> order{};
  order.fill(-1);
  std::array<int, precompressed_codings.size()> quality{};
  for (std::size_t index = 0; index < precompressed_codings.size(); ++index) {
    quality[index] = accepted_quality(accept_encoding, precompressed_codings[index].name);
  }
  std::size_t count = 0;
  for (int level = 1000; level > 0; --level) {
    for (std::size_t index = 0; index < quality.size(); ++index) {
      if (quality[index] == level) order[count++] = static_cast<int>(index);
    }
  }
  return order;
}

}  // namespace asyncrest::detail
