// JSON string escaping against a plain reference, byte by byte: the fast path (eight bytes at a
// time, a stack buffer for short strings) must write exactly what the simple rules give, and
// the result must be JSON that simdjson reads back to the same text where the input is UTF-8.
#include <asyncrest/core/detail/json_escape.hpp>

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

/// Printable ASCII only: '"', '\\' and control characters escaped (the short forms where JSON has
/// them), DEL too; each character of valid UTF-8 as \u escapes (a surrogate pair past U+FFFF);
/// each byte of invalid UTF-8 as U+FFFD.
std::string reference_escape(std::string_view text) {
  std::string out = "\"";
  std::size_t index = 0;
  while (index < text.size()) {
    const auto byte = static_cast<unsigned char>(text[index]);
    char escaped[8];
    switch (byte) {
      case '"':
        out += "\\\"";
        ++index;
        continue;
      case '\\':
        out += "\\\\";
        ++index;
        continue;
      case '\b':
        out += "\\b";
        ++index;
        continue;
      case '\f':
        out += "\\f";
        ++index;
        continue;
      case '\n':
        out += "\\n";
        ++index;
        continue;
      case '\r':
        out += "\\r";
        ++index;
        continue;
      case '\t':
        out += "\\t";
        ++index;
        continue;
      default: break;
    }
    if (byte < 0x20 || byte == 0x7F) {
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
      ++index;
      continue;
    }
    if (byte < 0x80) {
      out += static_cast<char>(byte);
      ++index;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, each continuation 10xxxxxx, no overlong
    // form, no surrogate, nothing past U+10FFFF.
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
      code = byte & 0x1F;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      code = byte & 0x0F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      code = byte & 0x07;
    }
    bool valid = length != 0 && index + length <= text.size();
    for (std::size_t next = 1; valid && next < length; ++next) {
      const auto continuation = static_cast<unsigned char>(text[index + next]);
      if ((continuation & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (continuation & 0x3F);
    }
    if (valid && ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
                  (length == 4 && (code < 0x10000 || code > 0x10FFFF)))) {
      valid = false;
    }
    if (!valid) {
      out += "\\ufffd";
      ++index;
      continue;
    }
    if (code >= 0x10000) {
      std::snprintf(escaped, sizeof escaped, "\\u%04x", 0xD800 + ((code - 0x10000) >> 10));
      out += escaped;
      code = 0xDC00 + ((code - 0x10000) & 0x3FF);
    }
    std::snprintf(escaped, sizeof escaped, "\\u%04x", code);
    out += escaped;
    index += length;
  }
  out += '"';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string written = "prefix";  // appended after existing text, as in a body
  asyncrest::detail::append_json_string(written, text);
  const std::string expected = reference_escape(text);
  if (std::string_view(written).substr(6) != expected) std::abort();

  static simdjson::dom::parser parser;
  std::string_view read_back;
  if (parser.parse(expected).get(read_back) != simdjson::SUCCESS) std::abort();
  if (simdjson::validate_utf8(text.data(), text.size()) && read_back != text) std::abort();
  return 0;
}
