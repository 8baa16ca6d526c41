// Content codings: Accept-Encoding negotiation, and gzip/br round trips, corrupt input and bombs.
#include <asyncrest/http/detail/content_coding.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

using asyncrest::detail::content_coding;
using asyncrest::detail::content_decoder;
using asyncrest::detail::content_encoder;

namespace {

struct field {
  std::string_view name;
  std::string_view value;
};

content_coding choose(std::vector<field> fields, bool br = true, bool gzip = true) {
  return asyncrest::detail::choose_coding(fields, br, gzip);
}

std::string sample_text(std::size_t size) {
  std::string text;
  for (std::size_t i = 0; text.size() < size; ++i) text += R"({"id":)" + std::to_string(i) + R"(,"name":"Ada"},)";
  text.resize(size);
  return text;
}

std::vector<content_coding> available_codings() {
  std::vector<content_coding> codings;
  if (asyncrest::detail::gzip_available) codings.push_back(content_coding::gzip);
  if (asyncrest::detail::brotli_available) codings.push_back(content_coding::br);
  return codings;
}

}  // namespace

TEST_CASE("qvalues are read as RFC 9110 writes them, and nothing else") {
  using asyncrest::detail::parse_quality;
  CHECK(parse_quality("1") == 1000u);
  CHECK(parse_quality("1.000") == 1000u);
  CHECK(parse_quality("0") == 0u);
  CHECK(parse_quality("0.5") == 500u);
  CHECK(parse_quality("0.125") == 125u);
  CHECK_FALSE(parse_quality("1.5"));
  CHECK_FALSE(parse_quality("0.1234"));
  CHECK_FALSE(parse_quality("2"));
  CHECK_FALSE(parse_quality(""));
  CHECK_FALSE(parse_quality("0.x"));
}

TEST_CASE("Accept-Encoding: the best quality wins, ties go to br, q=0 refuses, * stands for the rest") {
  if (!asyncrest::detail::gzip_available || !asyncrest::detail::brotli_available) return;
  CHECK(choose({}) == content_coding::identity);  // no field: nothing the client did not ask for
  CHECK(choose({{"Accept-Encoding", ""}}) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "gzip, deflate, br"}}) == content_coding::br);
  CHECK(choose({{"Accept-Encoding", "gzip"}}) == content_coding::gzip);
  CHECK(choose({{"accept-encoding", "GZIP"}}) == content_coding::gzip);
  CHECK(choose({{"Accept-Encoding", "x-gzip"}}) == content_coding::gzip);
  CHECK(choose({{"Accept-Encoding", "br;q=0.5, gzip;q=0.8"}}) == content_coding::gzip);
  CHECK(choose({{"Accept-Encoding", "br;q=0, gzip"}}) == content_coding::gzip);
  CHECK(choose({{"Accept-Encoding", "br;q=0, gzip;q=0"}}) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "*"}}) == content_coding::br);
  CHECK(choose({{"Accept-Encoding", "*;q=0.5, br;q=0.1"}}) == content_coding::gzip);
  CHECK(choose({{"Accept-Encoding", "*;q=0"}}) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "identity"}}) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "identity;q=1, gzip;q=0.5"}}) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "gzip ; q=0.9 , br ; q=0.9"}}) == content_coding::br);
  CHECK(choose({{"Accept-Encoding", "br;q=2, gzip"}}) == content_coding::gzip);  // a malformed member is ignored
  CHECK(choose({{"Accept-Encoding", "gzip;q=0"}, {"Accept-Encoding", "br"}}) == content_coding::br);  // one list
  CHECK(choose({{"Accept-Encoding", "gzip, br"}}, false, true) == content_coding::gzip);              // br not offered
  CHECK(choose({{"Accept-Encoding", "br"}}, false, true) == content_coding::identity);
  CHECK(choose({{"Accept-Encoding", "compress, zstd"}}) == content_coding::identity);
}

TEST_CASE("Content-Encoding names: one coding, without regard to case") {
  using asyncrest::detail::parse_coding;
  CHECK(parse_coding("gzip") == content_coding::gzip);
  CHECK(parse_coding(" X-GZIP ") == content_coding::gzip);
  CHECK(parse_coding("br") == content_coding::br);
  CHECK(parse_coding("deflate") == content_coding::deflate);
  CHECK(parse_coding("identity") == content_coding::identity);
  CHECK_FALSE(parse_coding("gzip, br"));
  CHECK_FALSE(parse_coding("zstd"));
}

TEST_CASE("gzip and br round trips: whole, and piece by piece with a flush after each piece") {
  for (const content_coding coding : available_codings()) {
    CAPTURE(asyncrest::detail::coding_name(coding));
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{5000}, std::size_t{300000}}) {
      const std::string text = sample_text(size);
      const std::string compressed = asyncrest::detail::encode_whole(coding, 5, text);
      if (size >= 5000) CHECK(compressed.size() < text.size() / 3);
      std::string decoded;
      CHECK(asyncrest::detail::decode_whole(coding, compressed, 1 << 20, decoded) == content_decoder::outcome::done);
      CHECK(decoded == text);
    }

    // Streamed: each flushed piece decodes whole before the next is written.
    content_encoder encoder(coding, 5);
    content_decoder decoder(coding, 1 << 20);
    std::string decoded;
    for (int piece = 0; piece < 20; ++piece) {
      const std::string text = "event " + std::to_string(piece) + "\n";
      std::string compressed;
      encoder.write(text, compressed, content_encoder::step::flush);
      const std::size_t before = decoded.size();
      CHECK(decoder.write(compressed, decoded) == content_decoder::outcome::more);
      CHECK(decoded.substr(before) == text);
    }
    std::string tail;
    encoder.write({}, tail, content_encoder::step::finish);
    CHECK(decoder.write(tail, decoded) == content_decoder::outcome::done);
    CHECK(decoder.finished());
  }
}

TEST_CASE("corrupt, cut-short and trailing input is refused") {
  for (const content_coding coding : available_codings()) {
    CAPTURE(asyncrest::detail::coding_name(coding));
    const std::string compressed = asyncrest::detail::encode_whole(coding, 5, sample_text(20000));
    std::string out;
    CHECK(asyncrest::detail::decode_whole(coding, "this is not compressed at all, not in any coding", 1 << 20, out) ==
          content_decoder::outcome::corrupt);
    out.clear();
    CHECK(asyncrest::detail::decode_whole(coding, compressed.substr(0, compressed.size() / 2), 1 << 20, out) ==
          content_decoder::outcome::corrupt);
    out.clear();
    CHECK(asyncrest::detail::decode_whole(coding, compressed + "extra", 1 << 20, out) ==
          content_decoder::outcome::corrupt);
    std::string flipped = compressed;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
    out.clear();
    CHECK(asyncrest::detail::decode_whole(coding, flipped, 1 << 20, out) != content_decoder::outcome::done);
  }
}

TEST_CASE("a bomb stops at the limit, holding no more than the limit") {
  for (const content_coding coding : available_codings()) {
    CAPTURE(asyncrest::detail::coding_name(coding));
    const std::string zeros(10 << 20, '\0');
    const std::string bomb = asyncrest::detail::encode_whole(coding, 9, zeros);
    CHECK(bomb.size() < 64 * 1024);
    std::string out;
    CHECK(asyncrest::detail::decode_whole(coding, bomb, 1 << 20, out) == content_decoder::outcome::too_large);
    CHECK(out.size() <= std::size_t{1} << 20);
    out.clear();
    CHECK(asyncrest::detail::decode_whole(coding, bomb, 10 << 20, out) == content_decoder::outcome::done);
    CHECK(out.size() == zeros.size());
  }
}

TEST_CASE("a decoder asked for at most some bytes per call keeps the rest for the next call") {
  for (const content_coding coding : available_codings()) {
    CAPTURE(asyncrest::detail::coding_name(coding));
    const std::string text = sample_text(1 << 20);
    const std::string compressed = asyncrest::detail::encode_whole(coding, 5, text);
    content_decoder decoder(coding, 2 << 20);
    std::string decoded;
    std::string piece;
    content_decoder::outcome result = decoder.write(compressed, piece, 64 * 1024);
    int calls = 1;
    for (;;) {
      CHECK(piece.size() <= 64 * 1024 + 16 * 1024);
      decoded += piece;
      piece.clear();
      if (result != content_decoder::outcome::more) break;
      REQUIRE(decoder.has_more());
      result = decoder.write({}, piece, 64 * 1024);
      ++calls;
    }
    CHECK(result == content_decoder::outcome::done);
    CHECK(calls >= 12);
    CHECK(decoded == text);
  }
}
