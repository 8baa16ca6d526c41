// Which precompressed sibling of a static file (app.js.br, app.js.gz) a client's Accept-Encoding
// takes, read by the same Accept-Encoding reader as the compression middleware's: q-values,
// `q=0` a refusal, `*` for the codings not named.
#pragma once

#include <asyncrest/http/detail/content_coding.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace asyncrest::detail {

/// A content coding a sibling file may hold, with its file name's suffix.
struct precompressed_coding {
  content_coding coding;
  std::string_view name;    // as in Content-Encoding
  std::string_view suffix;  // appended to the file's name
};

/// In the order tried when the client rates them the same: Brotli's files are the smaller.
inline constexpr std::array<precompressed_coding, 2> precompressed_codings{
    {{content_coding::br, "br", ".br"}, {content_coding::gzip, "gzip", ".gz"}}};

/// The codings of `precompressed_codings` the client accepts, most wanted first (ties in the
/// table's order), as indexes into it; -1 ends the list. The files are compressed already, so
/// no compression library is needed to send them.
[[nodiscard]] inline std::array<int, precompressed_codings.size() + 1> codings_to_try(
    std::string_view accept_encoding) noexcept {
  accepted_codings accepted;
  accepted.read(accept_encoding);
  std::array<int, precompressed_codings.size() + 1> order{};
  order.fill(-1);
  std::array<unsigned, precompressed_codings.size()> quality{};
  for (std::size_t index = 0; index < precompressed_codings.size(); ++index) {
    quality[index] = accepted.quality_of(precompressed_codings[index].coding);
  }
  std::size_t count = 0;
  for (unsigned level = 1000; level > 0; --level) {
    for (std::size_t index = 0; index < quality.size(); ++index) {
      if (quality[index] == level) order[count++] = static_cast<int>(index);
    }
  }
  return order;
}

}  // namespace asyncrest::detail
