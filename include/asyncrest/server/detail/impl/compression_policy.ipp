// compression_policy's functions that need compression_settings whole (compression.hpp).
#pragma once

#include <asyncrest/server/compression.hpp>
#include <asyncrest/server/detail/compression.hpp>

#include <stdexcept>
#include <string>

namespace asyncrest::detail {

inline compression_policy::compression_policy(compression_settings settings)
    : gzip_level_(settings.gzip_level),
      brotli_quality_(settings.brotli_quality),
      minimum_size_(settings.minimum_size),
      offer_br_(settings.offer_br),
      offer_gzip_(settings.offer_gzip),
      skipped_types_(std::move(settings.skipped_types)),
      decompress_requests_(settings.decompress_requests),
      max_decompressed_request_bytes_(settings.max_decompressed_request_bytes) {
  if (gzip_level_ < 1 || gzip_level_ > 9) {
    throw std::invalid_argument("asyncrest::compression: gzip_level must be 1 (fastest) to 9 (smallest), not " +
                                std::to_string(gzip_level_));
  }
  if (brotli_quality_ < 0 || brotli_quality_ > 11) {
    throw std::invalid_argument("asyncrest::compression: brotli_quality must be 0 (fastest) to 11 (smallest), not " +
                                std::to_string(brotli_quality_));
  }
}

inline std::optional<response> compression_policy::decompress_request(request& req) const {
  if (!decompress_requests_) return std::nullopt;
  const request_headers& fields = req.headers();
  const std::optional<std::string_view> encoding = fields.get("Content-Encoding");
  if (!encoding) return std::nullopt;
  std::string known;
  for (const content_coding each : {content_coding::br, content_coding::gzip, content_coding::deflate}) {
    if (!coding_available(each)) continue;
    if (!known.empty()) known += ", ";
    known += coding_name(each);
  }
  const std::optional<content_coding> coding = parse_coding(*encoding);
  if (fields.count("Content-Encoding") != 1 || !coding || !coding_available(*coding)) {
    response refused =
        problem(status::unsupported_media_type,
                "the request body's Content-Encoding must be one of: " + (known.empty() ? "identity" : known));
    refused.headers.set("Accept-Encoding", known.empty() ? "identity" : known);
    return refused;
  }
  request_access::erase_header(req, "Content-Encoding");
  if (*coding == content_coding::identity) return std::nullopt;
  const std::size_t limit =
      max_decompressed_request_bytes_ != 0 ? max_decompressed_request_bytes_ : request_access::body_limit(req);

  if (const body_reader streamed = request_access::streamed_body_reader(req); streamed.next != nullptr) {
    auto& reader = req.context().emplace<decoding_body_reader>(streamed, *coding, limit);
    request_access::set_body_reader(req, {&reader, &decoding_body_reader::next});
    request_access::erase_header(req, "Content-Length");  // the decoded length is not known yet
    return std::nullopt;
  }
  if (req.body().empty()) return std::nullopt;  // no body to decode (a GET that names a coding)
  std::string decoded;
  switch (decode_whole(*coding, req.body(), limit, decoded)) {
    case content_decoder::outcome::too_large:
      return problem(status::payload_too_large, "the request body, decompressed, is larger than this route accepts");
    case content_decoder::outcome::corrupt:
    case content_decoder::outcome::more:
      return problem(status::bad_request, "the request body is not a valid compressed stream of its coding");
    case content_decoder::outcome::done: break;
  }
  const std::string length = std::to_string(decoded.size());
  request_access::set_body(req, request_access::space(req).keep(std::move(decoded)));
  if (fields.contains("Content-Length")) req.set_header("Content-Length", length);
  return std::nullopt;
}

}  // namespace asyncrest::detail
