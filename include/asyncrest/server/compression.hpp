// HTTP compression: responses compressed with br or gzip for the clients that accept them, and
// request bodies sent compressed decompressed before the handler reads them.
//
//     ar::app app{routes, ar::compression{}};
//     ar::app app{routes, ar::compression{{.gzip_level = 4, .minimum_size = 2048}}};
//
//     // or a rule for which Content-Types are worth compressing, beside the list of skipped ones:
//     ar::compression{{}, [](std::string_view type) { return !type.starts_with("application/x-tar"); }}
//
// Needs zlib for gzip (link `asyncrest::zlib`) and brotli for br (`asyncrest::brotli`); a coding
// whose library is not linked is never offered nor accepted.
//
// Responses:
// - The coding is chosen from Accept-Encoding (RFC 9110 §12.5.3): q=0 refuses a coding, "*"
//   stands for those not named, and of the codings with the highest quality the server prefers
//   br, then gzip. No Accept-Encoding, or one that accepts neither: the body is sent as it is.
// - Compressed: in-memory bodies of at least `minimum_size` bytes, in one go; streams as they are
//   written, each piece flushed so the client can decode it at once (a stream of events or
//   progress lines still arrives piece by piece); files read and compressed as a stream. A
//   compressed body has no Content-Length known in advance but the in-memory one's, which is the
//   compressed length: streams and files are sent chunked.
// - Left alone: a response that already has Content-Encoding (a precompressed file), a 206 or any
//   status without a body, a type in `skipped_types` or refused by the rule (images, video,
//   audio, archives, fonts already compressed), Cache-Control: no-transform, an event stream
//   (text/event-stream, whose framing the client reads as it comes), a WebSocket upgrade, and an
//   in-memory body that compression would not make smaller.
// - Every response that could have been compressed gets `Vary: Accept-Encoding`, compressed or
//   not, so a cache never hands gzip to a client that did not ask for it. A compressed response
//   loses Accept-Ranges (ranges of the compressed bytes are not ranges of the file) and a strong
//   ETag becomes weak (the bytes differ from the identity response's).
// - A response to HEAD gets the fields a GET would get (Content-Encoding, Vary), but no body is
//   compressed for it, so it has no Content-Length.
//
// Requests: a body with Content-Encoding gzip, deflate or br is decompressed before the handler
// sees it, whole (`req.body()`) or as it arrives (`read_body()` on a route that streams its
// body, in pieces of at most about 64 KiB); Content-Encoding is removed, and Content-Length
// becomes the decompressed length of a whole body and is removed for a streamed one. The
// decompressed size is limited by the route's body limit (`.body({.max_bytes})`, else the
// server's `limits.max_body_bytes`), or by `max_decompressed_request_bytes` when set: a body that
// expands past it (a "zip bomb") is refused with 413 as soon as it does, having cost no more
// memory than the limit. An unknown coding is 415 (with Accept-Encoding saying which are known),
// a corrupt or cut-short stream 400.
//
// Compression and secrets: compressing a response that holds a secret (a CSRF token) next to
// text an attacker chooses lets the compressed sizes reveal the secret (BREACH). Leave such
// responses out with the rule, or mark them Cache-Control: no-transform.
#pragma once

#include <asyncrest/server/detail/compression.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// What the compression middleware does. The defaults suit JSON and text APIs.
struct compression_settings {
  /// zlib's level for gzip, 1 (fastest) .. 9 (smallest). 6 is zlib's own default.
  int gzip_level = 6;
  /// brotli's quality for br, 0 .. 11. 4 costs less CPU than gzip's 6 for about the same size;
  /// from 5 up br is smaller than gzip's 6, and slower. 11 is for content compressed
  /// once and sent many times, never for each response.
  int brotli_quality = 4;
  /// Bodies shorter than this are sent as they are: a few hundred bytes gain little, and cost a
  /// compressor's setup.
  std::size_t minimum_size = 1024;
  /// Offer br (with brotli linked) and gzip (with zlib linked).
  bool offer_br = true;
  bool offer_gzip = true;
  /// Content-Types never compressed: a type matches an entry equal to it or, for an entry ending
  /// in '/', starting with it. Compared without parameters and without regard to case.
  std::vector<std::string> skipped_types = {"image/",
                                            "video/",
                                            "audio/",
                                            "font/woff",
                                            "font/woff2",
                                            "application/zip",
                                            "application/gzip",
                                            "application/x-gzip",
                                            "application/x-bzip2",
                                            "application/x-xz",
                                            "application/zstd",
                                            "application/x-7z-compressed",
                                            "application/x-rar-compressed",
                                            "application/vnd.rar",
                                            "application/octet-stream",
                                            "application/pdf",
                                            "application/wasm",
                                            "text/event-stream"};
  /// Decompress request bodies sent with Content-Encoding. Off, they reach the handler as sent.
  bool decompress_requests = true;
  /// The largest decompressed request body; 0: the route's body limit.
  std::size_t max_decompressed_request_bytes = 0;
};

namespace detail {
/// The type rule of a compression middleware made from settings alone: the list decides.
struct listed_types_only {
  constexpr bool operator()(std::string_view) const noexcept { return true; }
};
}  // namespace detail

/// A rule for which Content-Types to compress, beside the skipped list: a callable
/// `bool(std::string_view media_type) const`, given the type without its parameters.
template <class Rule>
concept content_type_rule = std::copy_constructible<Rule> && std::predicate<const Rule&, std::string_view>;

/// The compression middleware (see the top of this file). Give it to the app; put it before the
/// middleware whose responses it should compress too (it compresses what the rest of the chain
/// returns, and decompresses the request before the rest of the chain reads it).
template <class TypeRule = detail::listed_types_only>
class compression {
  static_assert(content_type_rule<TypeRule>,
                "asyncrest::compression: the type rule must be callable as `bool(std::string_view media_type) const` "
                "and copyable, such as a lambda [](std::string_view type) { return ...; }");

 public:
  compression() requires std::same_as<TypeRule, detail::listed_types_only> : policy_(compression_settings()) {}
  /// Throws std::invalid_argument for a level outside its range, saying which.
  explicit compression(compression_settings settings) requires std::same_as<TypeRule, detail::listed_types_only>
      : policy_(std::move(settings)) {}
  compression(compression_settings settings, TypeRule rule) : policy_(std::move(settings)), rule_(std::move(rule)) {}

  /// Decompresses the request's body, or refuses it (413, 415, 400).
  [[nodiscard]] std::optional<response> before(request& req) const { return policy_.decompress_request(req); }

  /// Compresses the response, when the client accepts it and it is worth it.
  void after(const request& req, response& res) const {
    policy_.compress_response(req, res, [this](std::string_view type) { return std::invoke(rule_, type); });
  }

 private:
  detail::compression_policy policy_;
  [[no_unique_address]] TypeRule rule_{};
};

compression()->compression<detail::listed_types_only>;
compression(compression_settings)->compression<detail::listed_types_only>;
template <class TypeRule>
compression(compression_settings, TypeRule) -> compression<TypeRule>;

}  // namespace asyncrest
#include <asyncrest/server/detail/impl/compression_policy.ipp>
