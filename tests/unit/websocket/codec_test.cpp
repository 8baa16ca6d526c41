// The WebSocket codec's pieces on their own: masking at every offset and length against a byte
// by byte reference, UTF-8 validation fed in every split against whole-string validation, frame
// headers written and read back, and the handshake's key and accept value.
#include <asyncrest/websocket/detail/frame.hpp>
#include <asyncrest/websocket/detail/handshake.hpp>
#include <asyncrest/websocket/detail/utf8.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace detail = asyncrest::detail;

TEST_CASE("apply_mask equals the byte by byte definition at every offset and length") {
  const std::array<unsigned char, 4> mask{0x12, 0x9A, 0xFF, 0x01};
  for (std::size_t size = 0; size < 40; ++size) {
    for (std::uint64_t offset = 0; offset < 8; ++offset) {
      std::string bytes(size, '\0');
      for (std::size_t index = 0; index < size; ++index) bytes[index] = static_cast<char>(index * 31 + 7);
      std::string expected = bytes;
      for (std::size_t index = 0; index < size; ++index) {
        expected[index] = static_cast<char>(expected[index] ^ static_cast<char>(mask[(offset + index) % 4]));
      }
      detail::apply_mask(bytes.data(), bytes.size(), mask, offset);
      CHECK(bytes == expected);
    }
  }
}

TEST_CASE("frame headers: every length encoding written and read back") {
  for (const std::uint64_t length : {0ULL, 125ULL, 126ULL, 65535ULL, 65536ULL, 1ULL << 40}) {
    for (const bool masked : {false, true}) {
      unsigned char out[detail::max_frame_header_size];
      const unsigned char mask[4] = {1, 2, 3, 4};
      const std::size_t size =
          detail::write_frame_header(out, true, false, detail::opcode::binary, length, masked ? mask : nullptr);
      const std::string_view bytes(reinterpret_cast<const char*>(out), size);
      detail::frame_header header;
      for (std::size_t cut = 0; cut < size; ++cut) CHECK(detail::parse_frame_header(bytes.substr(0, cut), header) == 0);
      REQUIRE(detail::parse_frame_header(bytes, header) == size);
      CHECK(header.length == length);
      CHECK(header.masked == masked);
      CHECK(header.final);
      CHECK(header.code == 0x2);
      CHECK(!header.length_top_bit);
    }
  }
}

TEST_CASE("UTF-8: any split of the input gives the whole input's answer") {
  const std::vector<std::string> samples = {
      "plain ASCII, longer than eight bytes",
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
      "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf \xed\x9f\xbf",  // U+1F600, U+10FFFF, U+FFFF, U+D7FF
      "\xed\xa0\x80",
      "\xc0\x80",
      "\xe0\x9f\xbf",
      "\xf0\x8f\xbf\xbf",
      "\xf4\x90\x80\x80",
      "abcdefgh\xff",
      "\xce",
  };
  const std::vector<bool> valid = {true, true, true, false, false, false, false, false, false, false};
  for (std::size_t sample = 0; sample < samples.size(); ++sample) {
    const std::string& text = samples[sample];
    CAPTURE(text);
    CHECK(detail::utf8_validator::valid(text) == valid[sample]);
    for (std::size_t at = 0; at <= text.size(); ++at) {
      detail::utf8_validator validator;
      const bool fed =
          validator.feed(std::string_view(text).substr(0, at)) && validator.feed(std::string_view(text).substr(at));
      CHECK((fed && validator.complete()) == valid[sample]);
    }
  }
}

TEST_CASE("the handshake's key and accept value") {
  CHECK(detail::websocket_accept_value("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 §1.3
  CHECK(detail::is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(!detail::is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZR=="));  // bits past the 128th
  CHECK(!detail::is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ="));
  CHECK(!detail::is_valid_websocket_key("c2hvcnQ="));
  for (int round = 0; round < 20; ++round) CHECK(detail::is_valid_websocket_key(detail::new_websocket_key()));
  CHECK(detail::base64_encode(reinterpret_cast<const unsigned char*>("foobar"), 6) == "Zm9vYmFy");
  CHECK(detail::base64_encode(reinterpret_cast<const unsigned char*>("fooba"), 5) == "Zm9vYmE=");
  CHECK(detail::base64_encode(reinterpret_cast<const unsigned char*>("foob"), 4) == "Zm9vYg==");
  CHECK(detail::list_contains_token("keep-alive, Upgrade", "upgrade"));
  CHECK(!detail::list_contains_token("keep-alive, Upgraded", "upgrade"));
}
