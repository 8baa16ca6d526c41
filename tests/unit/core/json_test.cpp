// json_writer and json_value: structure, escaping, numbers, and a round trip through simdjson.
#include <asyncrest/core/json.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace {

using asyncrest::json_value;
using asyncrest::json_writer;

std::string escaped(std::string_view text) {
  std::string out;
  json_writer writer{out};
  writer.value(text);
  return out;
}

template <class Number>
std::string number(Number value) {
  std::string out;
  json_writer writer{out};
  writer.value(value);
  return out;
}

std::string hex4(unsigned value) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(digits[(value >> shift) & 0xF]);
  return out;
}

// Parses `text` and returns the string it holds.
std::string parsed_string(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  REQUIRE(parser.parse(text).get(element) == simdjson::SUCCESS);
  std::string_view value;
  REQUIRE(element.get(value) == simdjson::SUCCESS);
  return std::string(value);
}

}  // namespace

TEST_CASE("json_writer: objects, arrays and commas") {
  std::string out;
  json_writer writer{out};
  writer.begin_object();
  writer.key("id");
  writer.value(42);
  writer.key("name");
  writer.value("Ada");
  writer.key("tags");
  writer.begin_array();
  writer.value("a");
  writer.value("b");
  writer.begin_array();
  writer.end_array();
  writer.begin_object();
  writer.end_object();
  writer.end_array();
  writer.key("nested");
  writer.begin_object();
  writer.key("ok");
  writer.value(true);
  writer.key("none");
  writer.value(nullptr);
  writer.key("off");
  writer.value(false);
  writer.end_object();
  writer.key("raw");
  writer.raw(R"({"pre":[1,2]})");
  writer.key("last");
  writer.value(std::string("x"));
  writer.end_object();
  CHECK(out == R"({"id":42,"name":"Ada","tags":["a","b",[],{}],"nested":{"ok":true,"none":null,"off":false},)"
               R"("raw":{"pre":[1,2]},"last":"x"})");
}

TEST_CASE("json_writer: top-level values and arrays of arrays") {
  CHECK(number(7) == "7");
  CHECK(escaped("") == R"("")");

  std::string out;
  json_writer writer{out};
  writer.begin_array();
  writer.begin_array();
  writer.value(1);
  writer.end_array();
  writer.begin_array();
  writer.value(2);
  writer.raw("3");
  writer.end_array();
  writer.value(std::string_view("s"));
  writer.end_array();
  CHECK(out == R"([[1],[2,3],"s"])");
}

TEST_CASE("json_writer: the writer appends to what the string holds") {
  std::string out = "prefix:";
  json_writer writer{out};
  writer.begin_array();
  writer.end_array();
  CHECK(out == "prefix:[]");
}

TEST_CASE("json escaping: quotes, backslash and the short escapes") {
  CHECK(escaped("plain ASCII ~!") == R"("plain ASCII ~!")");
  CHECK(escaped("say \"hi\"") == R"("say \"hi\"")");
  CHECK(escaped("C:\\dir\\") == R"("C:\\dir\\")");
  CHECK(escaped("/") == R"("/")");
  CHECK(escaped("\b\f\n\r\t") == R"("\b\f\n\r\t")");
}

TEST_CASE("json escaping: every control character and DEL") {
  for (unsigned code = 0; code < 0x20; ++code) {
    CAPTURE(code);
    const char character = static_cast<char>(code);
    std::string expected;
    switch (code) {
      case 0x08: expected = "\\b"; break;
      case 0x09: expected = "\\t"; break;
      case 0x0A: expected = "\\n"; break;
      case 0x0C: expected = "\\f"; break;
      case 0x0D: expected = "\\r"; break;
      default: expected = hex4(code); break;
    }
    CHECK(escaped(std::string_view(&character, 1)) == "\"" + expected + "\"");
    CHECK(escaped(std::string("a") + character + "b") == std::string("\"a") + expected + "b\"");
  }
  CHECK(escaped(std::string_view("\0", 1)) == R"("\u0000")");
  CHECK(escaped("\x1f") == R"("\u001f")");
  CHECK(escaped("\x7f") == R"("\u007f")");
  CHECK(escaped("a\x7f"
                "b") == R"("a\u007fb")");
}

TEST_CASE("json escaping: non-ASCII characters become \\u escapes") {
  CHECK(escaped("\xC3\xA9") == R"("\u00e9")");  // é, two bytes
  CHECK(escaped("caf\xC3\xA9!") == R"("caf\u00e9!")");
  CHECK(escaped("\xC2\x80") == R"("\u0080")");      // the smallest two-byte character
  CHECK(escaped("\xE2\x82\xAC") == R"("\u20ac")");  // €, three bytes
  CHECK(escaped("\xEF\xBF\xBF") == R"("\uffff")");
  CHECK(escaped("\xEE\x80\x80") == R"("\ue000")");            // right after the surrogates
  CHECK(escaped("\xF0\x9F\x98\x80") == R"("\ud83d\ude00")");  // U+1F600, a surrogate pair
  CHECK(escaped("\xF0\x90\x80\x80") == R"("\ud800\udc00")");  // U+10000
  CHECK(escaped("\xF4\x8F\xBF\xBF") == R"("\udbff\udfff")");  // U+10FFFF
  CHECK(escaped("x\xF0\x9F\x98\x80y\xC3\xA9") == R"("x\ud83d\ude00y\u00e9")");
}

TEST_CASE("json escaping: invalid UTF-8 becomes U+FFFD") {
  CHECK(escaped("\x80") == R"("\ufffd")");  // a lone continuation byte
  CHECK(escaped("a\xBF"
                "b") == R"("a\ufffdb")");
  CHECK(escaped("\xC0\xAF") == R"("\ufffd\ufffd")");                      // overlong '/'
  CHECK(escaped("\xC1\xBF") == R"("\ufffd\ufffd")");                      // overlong
  CHECK(escaped("\xE0\x80\xAF") == R"("\ufffd\ufffd\ufffd")");            // overlong, three bytes
  CHECK(escaped("\xF0\x80\x80\xAF") == R"("\ufffd\ufffd\ufffd\ufffd")");  // overlong, four bytes
  CHECK(escaped("\xED\xA0\x80") == R"("\ufffd\ufffd\ufffd")");            // an encoded surrogate
  CHECK(escaped("\xED\xBF\xBF") == R"("\ufffd\ufffd\ufffd")");
  CHECK(escaped("\xF4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  CHECK(escaped("\xF5\x80\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");
  CHECK(escaped("\xFF") == R"("\ufffd")");
  CHECK(escaped("\xFE") == R"("\ufffd")");
  // Truncated sequences: at the end, or cut short by an ASCII character.
  CHECK(escaped("\xC3") == R"("\ufffd")");
  CHECK(escaped("x\xE2") == R"("x\ufffd")");
  CHECK(escaped("\xC3"
                "A") == R"("\ufffdA")");
  for (const std::string_view truncated : {std::string_view("\xE2\x82"),
                                           std::string_view("\xE2\x82"
                                                            "A"),
                                           std::string_view("\xF0\x9F\x98"),
                                           std::string_view("\xF0\x9F\x98"
                                                            "A")}) {
    CAPTURE(truncated);
    const std::string out = escaped(truncated);
    // One U+FFFD for the whole truncated sequence is what the Unicode standard recommends; one
    // per byte is allowed too. Either way: only replacement characters, and the 'A' survives.
    std::string rest = out.substr(1, out.size() - 2);
    const bool ends_with_a = !rest.empty() && rest.back() == 'A';
    if (ends_with_a) rest.pop_back();
    CHECK(ends_with_a == (truncated.back() == 'A'));
    REQUIRE(!rest.empty());
    CHECK(rest.size() % 6 == 0);
    for (std::size_t at = 0; at < rest.size(); at += 6) CHECK(rest.substr(at, 6) == R"(\ufffd)");
  }
  // A valid character right after an invalid byte is kept.
  CHECK(escaped("\x80\xC3\xA9") == R"("\ufffd\u00e9")");
}

TEST_CASE("json escaping: every byte at every place of a string scanned eight bytes at a time") {
  // Each byte alone is escaped by the byte-at-a-time path; placed anywhere in a longer string
  // of plain characters (inside, across and after the eight-byte words), it must come out the
  // same, with the plain characters around it untouched.
  for (unsigned code = 0; code < 256; ++code) {
    const char character = static_cast<char>(code);
    const std::string alone = escaped(std::string_view(&character, 1));
    const std::string inner = alone.substr(1, alone.size() - 2);
    for (const std::size_t length : {std::size_t{9}, std::size_t{19}, std::size_t{80}}) {
      for (std::size_t at = 0; at < length; ++at) {
        CAPTURE(code);
        CAPTURE(at);
        std::string text(length, 'x');
        text[at] = character;
        std::string expected = "\"";
        expected.append(at, 'x').append(inner).append(length - at - 1, 'x').append("\"");
        REQUIRE(escaped(text) == expected);
      }
    }
  }
}

TEST_CASE("json escaping: plain strings of every length up to and past the short-string buffer") {
  for (std::size_t length = 0; length <= 140; ++length) {
    CAPTURE(length);
    std::string text;
    for (std::size_t at = 0; at < length; ++at) text.push_back(static_cast<char>('a' + at % 26));
    std::string out = "prefix";
    asyncrest::detail::append_json_string(out, text);
    REQUIRE(out == "prefix\"" + text + "\"");
  }
}

TEST_CASE("json escaping: the output is ASCII that parses back to the input") {
  const std::string input = "q\"b\\c/\x01\x1f\x7f \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 end";
  const std::string out = escaped(input);
  for (const char character : out) {
    const auto byte = static_cast<unsigned char>(character);
    CHECK((byte >= 0x20 && byte < 0x7F));
  }
  CHECK(parsed_string(out) == input);

  // Invalid input parses back with U+FFFD (EF BF BD) in place of each bad byte.
  CHECK(parsed_string(escaped("a\x80z")) == "a\xEF\xBF\xBDz");
}

TEST_CASE("json numbers: integers") {
  CHECK(number(0) == "0");
  CHECK(number(-1) == "-1");
  CHECK(number(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(number(std::numeric_limits<std::int64_t>::max()) == "9223372036854775807");
  CHECK(number(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(number(std::int8_t{-128}) == "-128");
  CHECK(number(std::uint8_t{255}) == "255");
  CHECK(number(static_cast<unsigned short>(65535)) == "65535");
}

TEST_CASE("json numbers: doubles are written shortest and round-trip") {
  CHECK(number(0.1) == "0.1");
  CHECK(number(1.5) == "1.5");
  CHECK(number(-2.25) == "-2.25");
  CHECK(number(100.0) == "100");
  CHECK(number(1e21) == "1e+21");
  CHECK(number(1e-7) == "1e-07");
  CHECK(number(0.1f) == "0.10000000149011612");  // a float is written as the double it widens to
  CHECK(number(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(number(std::numeric_limits<double>::denorm_min()) == "5e-324");

  for (const double value : {0.1, 1.0 / 3.0, 2.0 / 3.0, 123456.789e10, -9.87654321e-100, 5e-324,
                             std::numeric_limits<double>::max(), 0.30000000000000004}) {
    CAPTURE(value);
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    REQUIRE(parser.parse(number(value)).get(element) == simdjson::SUCCESS);
    double back = 0;
    REQUIRE(element.get(back) == simdjson::SUCCESS);
    CHECK(back == value);
  }
}

TEST_CASE("json numbers: NaN and infinities become null") {
  CHECK(number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(number(std::numeric_limits<double>::infinity()) == "null");
  CHECK(number(-std::numeric_limits<double>::infinity()) == "null");
  CHECK(number(std::numeric_limits<float>::infinity()) == "null");
  CHECK(json_value(std::nan("")).dump() == "null");
}

TEST_CASE("json_value: scalars") {
  CHECK(json_value().dump() == "null");
  CHECK(json_value(nullptr).dump() == "null");
  CHECK(json_value(true).dump() == "true");
  CHECK(json_value(false).dump() == "false");
  CHECK(json_value(-5).dump() == "-5");
  CHECK(json_value(std::numeric_limits<std::int64_t>::min()).dump() == "-9223372036854775808");
  CHECK(json_value(std::numeric_limits<std::uint64_t>::max()).dump() == "18446744073709551615");
  CHECK(json_value(2.5).dump() == "2.5");
  CHECK(json_value(0.5f).dump() == "0.5");
  CHECK(json_value("text").dump() == R"("text")");
  CHECK(json_value(std::string_view("view")).dump() == R"("view")");
  CHECK(json_value(std::string("owned\n")).dump() == R"("owned\n")");
  CHECK(json_value().is_null());
  CHECK_FALSE(json_value(0).is_null());
}

TEST_CASE("json_value: a braced list is an object when every item is a name/value pair") {
  const json_value user{{"id", 7}, {"name", "Ada"}, {"tags", json_value::array({"admin"})}};
  CHECK(user.is_object());
  CHECK(user.dump() == R"({"id":7,"name":"Ada","tags":["admin"]})");

  const json_value one{{"only", true}};
  CHECK(one.is_object());
  CHECK(one.dump() == R"({"only":true})");

  const json_value nested{{"outer", {{"inner", {1, 2, 3}}}}};
  CHECK(nested.dump() == R"({"outer":{"inner":[1,2,3]}})");
}

TEST_CASE("json_value: any other braced list is an array") {
  const json_value numbers{1, 2, 3};
  CHECK(numbers.is_array());
  CHECK(numbers.dump() == "[1,2,3]");

  CHECK(json_value{"a", 1}.dump() == R"(["a",1])");                             // two items, not pairs
  CHECK(json_value{{1, 2}, {3, 4}}.dump() == "[[1,2],[3,4]]");                  // pairs without names
  CHECK(json_value{{"a", 1}, {"b", 2, 3}}.dump() == R"([["a",1],["b",2,3]])");  // one is no pair
  CHECK(json_value{{"a", 1}, 5}.dump() == R"([["a",1],5])");
  CHECK(json_value{nullptr, true, 1.5, "s"}.dump() == R"([null,true,1.5,"s"])");
}

TEST_CASE("json_value: array and object say which explicitly") {
  const json_value pairs = json_value::array({{"a", 1}, {"b", 2}});
  CHECK(pairs.is_array());
  CHECK(pairs.dump() == R"([["a",1],["b",2]])");

  CHECK(json_value::array().dump() == "[]");
  CHECK(json_value::array().is_array());
  CHECK(json_value::object().dump() == "{}");
  CHECK(json_value::object().is_object());

  const json_value object = json_value::object({{"x", 1}, {"list", json_value::array({1, "two"})}});
  CHECK(object.dump() == R"({"x":1,"list":[1,"two"]})");
}

TEST_CASE("json_value: set and push_back") {
  json_value object;
  object.set("a", 1).set("b", json_value::array()).set("a", 2);
  CHECK(object.is_object());
  CHECK(object.dump() == R"({"a":1,"b":[],"a":2})");  // set appends; it does not replace

  json_value array;
  array.push_back(1).push_back("x").push_back(json_value::object({{"k", nullptr}}));
  CHECK(array.is_array());
  CHECK(array.dump() == R"([1,"x",{"k":null}])");

  json_value existing{1, 2};
  existing.push_back(3);
  CHECK(existing.dump() == "[1,2,3]");

  json_value members{{"a", 1}};
  members.set("b", "\"quoted\"");
  CHECK(members.dump() == R"({"a":1,"b":"\"quoted\""})");
}

TEST_CASE("json_value: dump escapes names as well as values") {
  const json_value value{{"na\"me\n", "v\xC3\xA9"}};
  CHECK(value.dump() == R"({"na\"me\n":"v\u00e9"})");
}

TEST_CASE("json_value: a round trip through simdjson") {
  json_value document{
      {"id", std::numeric_limits<std::int64_t>::min()},
      {"big", std::numeric_limits<std::uint64_t>::max()},
      {"ratio", 0.1},
      {"name", "J\xC3\xB6rg \xF0\x9F\x98\x80 \"q\" \\ \x01"},
      {"flags", {true, false, nullptr}},
      {"empty", json_value::object()},
      {"items", json_value::array({json_value::object({{"n", 1}}), json_value::object({{"n", 2}})})},
  };
  const std::string text = document.dump();

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(text).get(root) == simdjson::SUCCESS);
  CHECK(root["id"].get_int64().value() == std::numeric_limits<std::int64_t>::min());
  CHECK(root["big"].get_uint64().value() == std::numeric_limits<std::uint64_t>::max());
  CHECK(root["ratio"].get_double().value() == 0.1);
  CHECK(std::string_view(root["name"].get_string().value()) == "J\xC3\xB6rg \xF0\x9F\x98\x80 \"q\" \\ \x01");
  simdjson::dom::array flags = root["flags"].get_array().value();
  REQUIRE(flags.size() == 3);
  CHECK(flags.at(0).get_bool().value() == true);
  CHECK(flags.at(1).get_bool().value() == false);
  CHECK(flags.at(2).is_null());
  CHECK(root["empty"].get_object().value().size() == 0);
  simdjson::dom::array items = root["items"].get_array().value();
  REQUIRE(items.size() == 2);
  CHECK(items.at(1)["n"].get_int64().value() == 2);

  // For pure ASCII without escapes, simdjson's minified form of our output is the output itself.
  const std::string plain = json_value{{"a", {1, -2, 3.5}}, {"b", {{"c", "d"}}}, {"e", nullptr}}.dump();
  CHECK(plain == R"({"a":[1,-2,3.5],"b":{"c":"d"},"e":null})");
  simdjson::dom::element plain_root;
  REQUIRE(parser.parse(plain).get(plain_root) == simdjson::SUCCESS);
  CHECK(simdjson::minify(plain_root) == plain);
}
