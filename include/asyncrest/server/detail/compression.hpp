// The compression middleware's machinery: which responses may be compressed, the producers that
// compress a stream or a file as it is sent, and the reader that decompresses a streamed request
// body.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/http/detail/content_coding.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/body_states.hpp>
#include <asyncrest/server/detail/stream_sender.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {
struct compression_settings;
}  // namespace asyncrest

namespace asyncrest::detail {

/// Whether a comma-separated field value holds `token`, without regard to case.
[[nodiscard]] inline bool list_holds(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trim_optional_whitespace(list.substr(0, comma)), token)) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

/// Adds Accept-Encoding to the response's Vary, once ("*" already covers it).
inline void vary_on_accept_encoding(headers& fields) {
  const std::optional<std::string_view> vary = fields.get("Vary");
  if (!vary) {
    fields.set("Vary", "Accept-Encoding");
  } else if (!list_holds(*vary, "Accept-Encoding") && !list_holds(*vary, "*")) {
    fields.set("Vary", std::string(*vary) + ", Accept-Encoding");
  }
}

/// What a compressed stream's writer does with each piece: compresses it, flushed, and sends it.
struct piece_compressor {
  content_encoder encoder;
  std::string output{};

  static task<const char*> send(void* self, stream_sender& sender, std::string_view piece) {
    auto& compressor = *static_cast<piece_compressor*>(self);
    // An empty piece asks for the head alone, which an encoder's flush would not be.
    if (piece.empty()) co_return co_await sender.send(piece);
    compressor.output.clear();
    compressor.encoder.write(piece, compressor.output, content_encoder::step::flush);
    co_return co_await sender.send(compressor.output);
  }
};

inline void throw_if_failed(const char* failure) {
  if (failure != nullptr) throw stream_closed(failure);
}

/// The producer of a compressed stream: runs the original producer with a writer that
/// compresses each piece, then ends the compressed stream.
struct compressing_stream {
  body_source original;
  content_coding coding;
  int level;

  task<void> operator()(body_writer& out) {
    stream_sender& sender = stream_access::sender(out);
    auto& source = static_cast<stream_body_state&>(*body_source_access::state(original));
    piece_compressor compressor{content_encoder(coding, level)};
    body_writer compressed = stream_access::writer(sender, {&compressor, &piece_compressor::send});
    co_await source.produce(source, compressed);
    compressor.output.clear();
    compressor.encoder.write({}, compressor.output, content_encoder::step::finish);
    throw_if_failed(co_await sender.send(compressor.output));
  }
};

/// The producer of a compressed file: reads it in steps and sends what the encoder gives back,
/// without flushing between steps (nobody waits for part of a file).
struct compressing_file {
  body_source original;
  content_coding coding;
  int level;

  static constexpr std::size_t read_step = 64 * 1024;
  static constexpr std::size_t send_step = 32 * 1024;

  task<void> operator()(body_writer& out) {
    const auto& file = static_cast<const file_body_state&>(*body_source_access::state(original));
    content_encoder encoder(coding, level, static_cast<std::size_t>(file.length));
    const std::unique_ptr<char[]> chunk(new char[read_step]);
    std::string output;
    std::uint64_t offset = file.offset;
    std::uint64_t remaining = file.length;
    while (remaining > 0) {
      const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, read_step));
      const ssize_t read = ::pread(file.descriptor, chunk.get(), wanted, static_cast<off_t>(offset));
      if (read < 0 && errno == EINTR) continue;
      if (read <= 0) throw std::runtime_error("the file is unreadable, or shorter than when it was opened");
      offset += static_cast<std::uint64_t>(read);
      remaining -= static_cast<std::uint64_t>(read);
      encoder.write({chunk.get(), static_cast<std::size_t>(read)}, output,
                    remaining == 0 ? content_encoder::step::finish : content_encoder::step::keep);
      if (output.size() >= send_step || remaining == 0) {
        co_await out.write(output);
        output.clear();
      }
    }
    if (file.length == 0) {
      encoder.write({}, output, content_encoder::step::finish);
      co_await out.write(output);
    }
  }
};

/// The body of a compressed response to HEAD: never run (a HEAD is answered with the head
/// alone), it stands for a body whose length is not known.
struct head_only_body {
  task<void> operator()(body_writer&) const { co_return; }
};

template <class Producer>
void replace_with_stream(response& res, Producer&& produce) {
  body_source_access::adopt(res.source, new stream_producer_state<Producer>(std::move(produce), std::nullopt));
}

/// What a request with a streamed, compressed body reads: the connection's pieces, decoded.
/// Kept in the request's context, so that it lives as long as the request.
struct decoding_body_reader {
  decoding_body_reader(body_reader from, content_coding coding, std::size_t limit)
      : source(from), decoder(coding, limit) {}

  body_reader source;
  content_decoder decoder;
  std::string piece{};
  bool ended = false;

  // The most a piece may hold: a small compressed read may expand a thousandfold.
  static constexpr std::size_t piece_limit = 64 * 1024;

  static task<std::string_view> next(void* self) {
    auto& reader = *static_cast<decoding_body_reader*>(self);
    reader.piece.clear();
    while (!reader.ended) {
      std::string_view raw;
      if (!reader.decoder.has_more()) {
        raw = co_await reader.source.next(reader.source.source);
        if (raw.empty()) {
          reader.ended = true;
          if (!reader.decoder.finished()) {
            throw http_error(status::bad_request, "the request body ends before its compressed stream does");
          }
          break;
        }
      }
      switch (reader.decoder.write(raw, reader.piece, piece_limit)) {
        case content_decoder::outcome::too_large:
          reader.ended = true;
          throw http_error(status::payload_too_large,
                           "the request body, decompressed, is larger than this route accepts");
        case content_decoder::outcome::corrupt:
          reader.ended = true;
          throw http_error(status::bad_request, "the request body is not a valid compressed stream of its coding");
        case content_decoder::outcome::more:
        case content_decoder::outcome::done: break;
      }
      if (!reader.piece.empty()) co_return std::string_view(reader.piece);
    }
    co_return std::string_view{};
  }
};

/// The compression middleware's settings, checked, and its work.
class compression_policy {
 public:
  explicit compression_policy(compression_settings settings);

  [[nodiscard]] std::optional<response> decompress_request(request& req) const;

  template <class TypeRule>
  void compress_response(const request& req, response& res, const TypeRule& compresses_type) const {
    if (!could_compress(res, compresses_type)) return;
    vary_on_accept_encoding(res.headers);
    const content_coding coding = choose_coding(req.headers(), offer_br_, offer_gzip_);
    if (coding == content_coding::identity) return;
    const int level = coding == content_coding::br ? brotli_quality_ : gzip_level_;
    if (req.method() == method::head) {
      res.body.clear();
      replace_with_stream(res, head_only_body{});
    } else if (!res.source) {
      std::string compressed = encode_whole(coding, level, res.body);
      if (compressed.size() >= res.body.size()) return;  // not worth it: sent as it is, Vary kept
      res.body = std::move(compressed);
    } else if (body_source_access::state(res.source)->what == body_source_state::kind::file) {
      replace_with_stream(res, compressing_file{std::move(res.source), coding, level});
    } else {
      replace_with_stream(res, compressing_stream{std::move(res.source), coding, level});
    }
    res.headers.set("Content-Encoding", coding_name(coding));
    res.headers.erase("Content-Length");
    res.headers.erase("Accept-Ranges");
    if (const std::optional<std::string_view> tag = res.headers.get("ETag"); tag && tag->starts_with('"')) {
      res.headers.set("ETag", "W/" + std::string(*tag));
    }
  }

 private:
  /// Whether the response is one to compress for a client that accepts a coding.
  template <class TypeRule>
  [[nodiscard]] bool could_compress(const response& res, const TypeRule& compresses_type) const {
    const unsigned code = to_number(res.status);
    if (code == 206 || status_forbids_body(res.status)) return false;
    if (res.headers.contains("Content-Encoding")) return false;
    if (const auto cache_control = res.headers.get("Cache-Control");
        cache_control && list_holds(*cache_control, "no-transform")) {
      return false;
    }
    if (res.source) {
      const body_source_state& state = *body_source_access::state(res.source);
      if (state.what == body_source_state::kind::takeover) return false;
      if (state.what == body_source_state::kind::file &&
          static_cast<const file_body_state&>(state).length < minimum_size_) {
        return false;
      }
      if (state.what == body_source_state::kind::stream) {
        const auto& stream = static_cast<const stream_body_state&>(state);
        if (stream.length && *stream.length < minimum_size_) return false;
      }
    } else if (res.body.size() < minimum_size_) {
      return false;
    }
    const std::string_view type = media_type_of(res.headers.get("Content-Type").value_or(""));
    if (iequals(type, "text/event-stream")) return false;  // whatever the list says
    for (const std::string& skipped : skipped_types_) {
      if (skipped.ends_with('/') ? type.size() >= skipped.size() && iequals(type.substr(0, skipped.size()), skipped)
                                 : iequals(type, skipped)) {
        return false;
      }
    }
    return compresses_type(type);
  }

  int gzip_level_;
  int brotli_quality_;
  std::size_t minimum_size_;
  bool offer_br_;
  bool offer_gzip_;
  std::vector<std::string> skipped_types_;
  bool decompress_requests_;
  std::size_t max_decompressed_request_bytes_;
};

}  // namespace asyncrest::detail
