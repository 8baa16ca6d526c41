// HTTP content codings (RFC 9110 §8.4): gzip with zlib, br with brotli, each compressed or
// decompressed piece by piece, and the choice of one from a request's Accept-Encoding. Shared by
// the server's compression middleware and the client. A coding whose library was not linked
// (asyncrest::zlib, asyncrest::brotli) is simply not available: never offered, never chosen.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
#include <zlib.h>
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
#include <brotli/decode.h>
#include <brotli/encode.h>
#endif

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

enum class content_coding : std::uint8_t { identity, gzip, br, deflate };

#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
inline constexpr bool gzip_available = true;
#else
inline constexpr bool gzip_available = false;
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
inline constexpr bool brotli_available = true;
#else
inline constexpr bool brotli_available = false;
#endif

[[nodiscard]] constexpr std::string_view coding_name(content_coding coding) noexcept {
  switch (coding) {
    case content_coding::gzip: return "gzip";
    case content_coding::br: return "br";
    case content_coding::deflate: return "deflate";
    case content_coding::identity: break;
  }
  return "identity";
}

/// Whether this build can decode (and, but for deflate, encode) `coding`.
[[nodiscard]] constexpr bool coding_available(content_coding coding) noexcept {
  switch (coding) {
    case content_coding::gzip:
    case content_coding::deflate: return gzip_available;
    case content_coding::br: return brotli_available;
    case content_coding::identity: break;
  }
  return true;
}

/// The coding a Content-Encoding value names (one coding, case-insensitive; "x-gzip" is gzip),
/// or nothing for one this library does not know.
[[nodiscard]] inline std::optional<content_coding> parse_coding(std::string_view name) noexcept {
  name = trim_optional_whitespace(name);
  if (iequals(name, "gzip") || iequals(name, "x-gzip")) return content_coding::gzip;
  if (iequals(name, "br")) return content_coding::br;
  if (iequals(name, "deflate")) return content_coding::deflate;
  if (iequals(name, "identity")) return content_coding::identity;
  return std::nullopt;
}

/// An RFC 9110 qvalue, in thousandths: "0", "0.5", "1", "1.000". Nothing when malformed.
[[nodiscard]] constexpr std::optional<unsigned> parse_quality(std::string_view text) noexcept {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  unsigned thousandths = text[0] == '1' ? 1000 : 0;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  unsigned scale = 100;
  for (const char digit : text.substr(2)) {
    if (digit < '0' || digit > '9') return std::nullopt;
    thousandths += static_cast<unsigned>(digit - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

/// What an Accept-Encoding list says of each coding the server can send: its quality in
/// thousandths, or nothing where the list is silent.
struct accepted_codings {
  std::optional<unsigned> br, gzip, identity, any;

  /// Reads one Accept-Encoding value; call once per field. A member with a malformed quality is
  /// ignored, as if it had not been sent.
  void read(std::string_view list) noexcept {
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view member = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      const std::size_t semicolon = member.find(';');
      const std::string_view name = trim_optional_whitespace(member.substr(0, semicolon));
      if (name.empty()) continue;
      std::optional<unsigned> quality = 1000;
      for (std::string_view parameters = semicolon == std::string_view::npos ? std::string_view{}
                                                                             : member.substr(semicolon + 1);
           !parameters.empty();) {
        const std::size_t next = parameters.find(';');
        const std::string_view parameter = trim_optional_whitespace(parameters.substr(0, next));
        parameters = next == std::string_view::npos ? std::string_view{} : parameters.substr(next + 1);
        if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
          quality = parse_quality(trim_optional_whitespace(parameter.substr(2)));
        }
      }
      if (!quality) continue;
      std::optional<unsigned>* slot = nullptr;
      if (iequals(name, "br")) {
        slot = &br;
      } else if (iequals(name, "gzip") || iequals(name, "x-gzip")) {
        slot = &gzip;
      } else if (iequals(name, "identity")) {
        slot = &identity;
      } else if (name == "*") {
        slot = &any;
      }
      // A coding named twice keeps its best quality.
      if (slot != nullptr) *slot = std::max(slot->value_or(0), *quality);
    }
  }

  /// The quality of `coding`: its own, else that of "*", else 0 (a content coding the list does
  /// not name is not acceptable; identity is, unless refused by name or by "*;q=0").
  [[nodiscard]] unsigned quality_of(content_coding coding) const noexcept {
    const std::optional<unsigned>& named = coding == content_coding::br     ? br
                                           : coding == content_coding::gzip ? gzip
                                                                            : identity;
    if (named) return *named;
    if (any) return *any;
    return coding == content_coding::identity ? 1 : 0;
  }
};

/// The coding to send for a request with these Accept-Encoding fields (several fields are one
/// list): the acceptable one of highest quality among those the server `offers`, a tie going to
/// the server's order (br, then gzip); identity when none is acceptable, or when the client
/// ranks identity strictly above them.
template <class Fields>
[[nodiscard]] content_coding choose_coding(const Fields& fields, bool offers_br, bool offers_gzip) noexcept {
  accepted_codings accepted;
  bool any_field = false;
  for (const auto& field : fields) {
    if (!iequals(field.name, "Accept-Encoding")) continue;
    any_field = true;
    accepted.read(field.value);
  }
  // No field: RFC 9110 would allow any coding, but clients that can decode say so, and old ones
  // that do not must not get bytes they cannot read.
  if (!any_field) return content_coding::identity;
  content_coding best = content_coding::identity;
  unsigned best_quality = 0;
  if (offers_br && brotli_available && accepted.quality_of(content_coding::br) > best_quality) {
    best = content_coding::br;
    best_quality = accepted.quality_of(content_coding::br);
  }
  if (offers_gzip && gzip_available && accepted.quality_of(content_coding::gzip) > best_quality) {
    best = content_coding::gzip;
    best_quality = accepted.quality_of(content_coding::gzip);
  }
  if (best != content_coding::identity && accepted.identity && *accepted.identity > best_quality) {
    return content_coding::identity;
  }
  return best;
}

/// Compresses a body piece by piece into one gzip or br stream.
class content_encoder {
 public:
  /// `level`: zlib's 1..9 for gzip, brotli's quality 0..11 for br. `size_hint`: the body's
  /// length when known (brotli sizes its window to it), else 0.
  content_encoder(content_coding coding, int level, std::size_t size_hint = 0) : coding_(coding) {
    if (coding == content_coding::gzip) {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
      // 15 + 16: the largest window, with gzip's header and trailer.
      if (deflateInit2(&zlib_, std::clamp(level, 1, 9), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::bad_alloc();
      }
      return;
#endif
    } else if (coding == content_coding::br) {
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
      brotli_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
      if (brotli_ == nullptr) throw std::bad_alloc();
      BrotliEncoderSetParameter(brotli_, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(std::clamp(level, 0, 11)));
      // A 1 MiB window at most: the default 4 MiB costs each streamed response that much.
      BrotliEncoderSetParameter(brotli_, BROTLI_PARAM_LGWIN, 20);
      if (size_hint != 0) {
        BrotliEncoderSetParameter(brotli_, BROTLI_PARAM_SIZE_HINT,
                                  static_cast<std::uint32_t>(std::min<std::size_t>(size_hint, 1U << 30)));
      }
      return;
#endif
    }
    (void)level;
    (void)size_hint;
    throw std::invalid_argument("asyncrest: this build cannot encode the content coding " +
                                std::string(coding_name(coding)));
  }
  content_encoder(const content_encoder&) = delete;
  content_encoder& operator=(const content_encoder&) = delete;
  ~content_encoder() {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    if (coding_ == content_coding::gzip) deflateEnd(&zlib_);
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
    if (brotli_ != nullptr) BrotliEncoderDestroyInstance(brotli_);
#endif
  }

  enum class step : std::uint8_t {
    keep,   // the encoder may hold bytes back for a better ratio
    flush,  // everything written so far can be decoded from what was appended
    finish  // the end of the stream
  };

  /// Appends the compressed form of `input` to `out`.
  void write(std::string_view input, std::string& out, step how) {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    if (coding_ == content_coding::gzip) {
      const int flush = how == step::finish ? Z_FINISH : how == step::flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
      zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      zlib_.avail_in = static_cast<uInt>(input.size());
      for (;;) {
        const std::size_t start = out.size();
        const std::size_t room = std::max<std::size_t>(deflateBound(&zlib_, zlib_.avail_in) + 16, 256);
        out.resize(start + room);
        zlib_.next_out = reinterpret_cast<Bytef*>(out.data() + start);
        zlib_.avail_out = static_cast<uInt>(room);
        const int status = deflate(&zlib_, flush);
        out.resize(start + room - zlib_.avail_out);
        if (status == Z_STREAM_END) return;
        if (status != Z_OK && status != Z_BUF_ERROR) throw std::runtime_error("asyncrest: gzip compression failed");
        // Done once the input is taken and the output had room to spare.
        if (zlib_.avail_in == 0 && zlib_.avail_out != 0 && how != step::finish) return;
      }
    }
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
    if (coding_ == content_coding::br) {
      const BrotliEncoderOperation operation = how == step::finish  ? BROTLI_OPERATION_FINISH
                                               : how == step::flush ? BROTLI_OPERATION_FLUSH
                                                                    : BROTLI_OPERATION_PROCESS;
      std::size_t available_in = input.size();
      const auto* next_in = reinterpret_cast<const std::uint8_t*>(input.data());
      for (;;) {
        std::size_t available_out = 0;
        if (BrotliEncoderCompressStream(brotli_, operation, &available_in, &next_in, &available_out, nullptr,
                                        nullptr) == BROTLI_FALSE) {
          throw std::runtime_error("asyncrest: br compression failed");
        }
        std::size_t produced = 0;
        const std::uint8_t* output = BrotliEncoderTakeOutput(brotli_, &produced);
        out.append(reinterpret_cast<const char*>(output), produced);
        if (available_in == 0 && BrotliEncoderHasMoreOutput(brotli_) == BROTLI_FALSE &&
            (how != step::finish || BrotliEncoderIsFinished(brotli_) == BROTLI_TRUE)) {
          return;
        }
      }
    }
#endif
    (void)input;
    (void)out;
    (void)how;
  }

  [[nodiscard]] content_coding coding() const noexcept { return coding_; }

 private:
  content_coding coding_;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  z_stream zlib_{};
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
  BrotliEncoderState* brotli_ = nullptr;
#endif
};

/// The whole of `body` compressed with `coding` in one go.
[[nodiscard]] inline std::string encode_whole(content_coding coding, int level, std::string_view body) {
  content_encoder encoder(coding, level, body.size());
  std::string out;
  encoder.write(body, out, content_encoder::step::finish);
  return out;
}

/// Decompresses a gzip, deflate (zlib's format) or br stream piece by piece, refusing to produce
/// more than a limit: a small body that expands without end (a "zip bomb") stops at the limit,
/// having used the limit's worth of memory and no more.
class content_decoder {
 public:
  enum class outcome : std::uint8_t {
    more,       // all input taken; the stream goes on
    done,       // the stream ended (input after its end is `corrupt`)
    too_large,  // decoding would pass the limit
    corrupt     // not a valid stream of the coding
  };

  content_decoder(content_coding coding, std::size_t limit) : coding_(coding), limit_(limit) {
    if (coding == content_coding::gzip || coding == content_coding::deflate) {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
      // 15 + 16: gzip's wrapper; 15 alone: zlib's, which is what HTTP's "deflate" names.
      if (inflateInit2(&zlib_, coding == content_coding::gzip ? 15 + 16 : 15) != Z_OK) throw std::bad_alloc();
      return;
#endif
    } else if (coding == content_coding::br) {
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
      brotli_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
      if (brotli_ == nullptr) throw std::bad_alloc();
      return;
#endif
    }
    throw std::invalid_argument("asyncrest: this build cannot decode the content coding " +
                                std::string(coding_name(coding)));
  }
  content_decoder(const content_decoder&) = delete;
  content_decoder& operator=(const content_decoder&) = delete;
  ~content_decoder() {
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    if (coding_ == content_coding::gzip || coding_ == content_coding::deflate) inflateEnd(&zlib_);
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
    if (brotli_ != nullptr) BrotliDecoderDestroyInstance(brotli_);
#endif
  }

  /// Appends what `input` decodes to to `out`, in steps of a few KiB, each checked against the
  /// limit before it is appended. With `most`, stops once this call has appended that many bytes
  /// (a step at most beyond), keeping the input it has not decoded yet: `has_more()` then says
  /// to call again, with more input or none. A piece of a stream that expands a thousandfold then
  /// costs `most` bytes at a time, not a thousand times its size.
  outcome write(std::string_view input, std::string& out, std::size_t most = std::string_view::npos) {
    if (finished_) return input.empty() && held_.empty() ? outcome::done : outcome::corrupt;
    if (!held_.empty()) {
      held_.append(input);
      input = held_;
    }
    std::size_t consumed = 0;
    stopped_early_ = false;
    const outcome result = run(input, out, most, consumed);
    if (result == outcome::more && consumed < input.size()) {
      held_ = std::string(input.substr(consumed));  // a copy first: `input` may view held_
    } else {
      held_.clear();
    }
    return result;
  }

  /// Whether the last write stopped at its `most` with output or input still to decode.
  [[nodiscard]] bool has_more() const noexcept { return stopped_early_ || !held_.empty(); }

  /// Whether the stream has ended: input that stops before is cut short, which is `corrupt`.
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  /// The bytes decoded so far.
  [[nodiscard]] std::size_t decoded_bytes() const noexcept { return decoded_; }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

 private:
  outcome keep(const char* bytes, std::size_t count, std::string& out) {
    if (count > limit_ - decoded_) return outcome::too_large;
    decoded_ += count;
    out.append(bytes, count);
    return outcome::more;
  }

  outcome run(std::string_view input, std::string& out, std::size_t most, std::size_t& consumed) {
    std::array<char, 16 * 1024> step{};
    const std::size_t start = out.size();
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
    if (coding_ == content_coding::gzip || coding_ == content_coding::deflate) {
      zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      zlib_.avail_in = static_cast<uInt>(input.size());
      for (;;) {
        zlib_.next_out = reinterpret_cast<Bytef*>(step.data());
        zlib_.avail_out = static_cast<uInt>(step.size());
        const int status = inflate(&zlib_, Z_NO_FLUSH);
        consumed = input.size() - zlib_.avail_in;
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) return outcome::corrupt;
        if (const outcome kept = keep(step.data(), step.size() - zlib_.avail_out, out); kept != outcome::more) {
          return kept;
        }
        if (status == Z_STREAM_END) {
          finished_ = true;
          return zlib_.avail_in == 0 ? outcome::done : outcome::corrupt;
        }
        if (zlib_.avail_out != 0) return outcome::more;  // all input taken, all output given
        if (out.size() - start >= most) {
          stopped_early_ = true;
          return outcome::more;
        }
      }
    }
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
    if (coding_ == content_coding::br) {
      std::size_t available_in = input.size();
      const auto* next_in = reinterpret_cast<const std::uint8_t*>(input.data());
      for (;;) {
        std::size_t available_out = step.size();
        auto* next_out = reinterpret_cast<std::uint8_t*>(step.data());
        const BrotliDecoderResult result =
            BrotliDecoderDecompressStream(brotli_, &available_in, &next_in, &available_out, &next_out, nullptr);
        consumed = input.size() - available_in;
        if (result == BROTLI_DECODER_RESULT_ERROR) return outcome::corrupt;
        if (const outcome kept = keep(step.data(), step.size() - available_out, out); kept != outcome::more) {
          return kept;
        }
        if (result == BROTLI_DECODER_RESULT_SUCCESS) {
          finished_ = true;
          return available_in == 0 ? outcome::done : outcome::corrupt;
        }
        if (result == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return outcome::more;
        if (out.size() - start >= most) {
          stopped_early_ = true;
          return outcome::more;
        }
      }
    }
#endif
    (void)input;
    (void)out;
    (void)most;
    (void)consumed;
    (void)start;
    (void)step;
    return outcome::corrupt;
  }

  content_coding coding_;
  std::size_t limit_;
  std::size_t decoded_ = 0;
  std::string held_;  // input not decoded yet, after a write that stopped at its `most`
  bool finished_ = false;
  bool stopped_early_ = false;
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB
  z_stream zlib_{};
#endif
#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
  BrotliDecoderState* brotli_ = nullptr;
#endif
};

/// The whole of `body` decoded: the outcome, `done` when it decoded completely into `out`.
[[nodiscard]] inline content_decoder::outcome decode_whole(content_coding coding, std::string_view body,
                                                           std::size_t limit, std::string& out) {
  content_decoder decoder(coding, limit);
  const content_decoder::outcome result = decoder.write(body, out);
  if (result == content_decoder::outcome::more) return content_decoder::outcome::corrupt;  // cut short
  return result;
}

}  // namespace asyncrest::detail
