// llhttp as both of our parsers use it, requests and responses: every leniency off, on an llhttp
// built strict.
#pragma once

#include <llhttp.h>

#include <string_view>

namespace asyncrest::detail {

/// Readies `parser` for a message of `type` with every leniency off. The leniencies exist for
/// peers that break the protocol, and each one is a way to smuggle a message past another reader
/// of the same bytes (a proxy in front, a cache behind) that frames it differently.
inline void init_strict(llhttp_t& parser, llhttp_type_t type, const llhttp_settings_t& settings) noexcept {
  llhttp_init(&parser, type, &settings);
  llhttp_set_lenient_headers(&parser, 0);
  llhttp_set_lenient_chunked_length(&parser, 0);
  llhttp_set_lenient_keep_alive(&parser, 0);
  llhttp_set_lenient_transfer_encoding(&parser, 0);
}

/// Whether the llhttp linked into this program parses strictly. llhttp 8 and older build a loose
/// parser unless compiled with LLHTTP_STRICT_MODE=1: it takes "5\r\r" for the end of a chunk
/// size line and a space inside a field name, where a proxy in front may read the bytes another
/// way. The server refuses to start on such a build. Decided once, from two requests.
[[nodiscard]] inline bool linked_llhttp_is_strict() noexcept {
  static const bool strict = [] {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    const auto refuses = [&settings](std::string_view bytes) {
      llhttp_t parser;
      llhttp_init(&parser, HTTP_REQUEST, &settings);
      return llhttp_execute(&parser, bytes.data(), bytes.size()) != HPE_OK;
    };
    return refuses("GET / HTTP/1.1\r\nHost: x\r\nFoo Bar: x\r\n\r\n") &&
           refuses("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\r;x\r\n");
  }();
  return strict;
}

}  // namespace asyncrest::detail
