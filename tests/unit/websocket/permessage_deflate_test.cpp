// permessage-deflate: negotiation in both roles, compression and decompression, limits, memory,
// and interoperability with Python's zlib (which Python's `websockets` uses the same way).
#if defined(ASYNCREST_WITH_ZLIB) && ASYNCREST_WITH_ZLIB

#include <asyncrest/websocket/detail/permessage_deflate.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asyncrest::deflate_settings;
using asyncrest::detail::accept_deflate_offer;
using asyncrest::detail::check_deflate_answer;
using asyncrest::detail::deflate_agreement;
using asyncrest::detail::deflate_direction;
using asyncrest::detail::deflate_offer;
using asyncrest::detail::extension_element;
using asyncrest::detail::extension_list_reader;
using asyncrest::detail::inflate_error;
using asyncrest::detail::message_deflater;
using asyncrest::detail::message_inflater;
using asyncrest::detail::websocket_role;

using namespace std::string_view_literals;

constexpr deflate_settings enabled{.enabled = true};
constexpr std::size_t no_limit = std::size_t(-1);

// The answer a server with `settings` gives to `offers`, or "<declined>".
std::string answer_to(std::string_view offers, const deflate_settings& settings = enabled) {
  const auto accepted = accept_deflate_offer(offers, settings);
  return accepted ? accepted->answer : "<declined>";
}

// The error a client with `settings` finds in `answer`, or "<ok>".
std::string client_error(std::string_view answer, const deflate_settings& settings = enabled) {
  const auto checked = check_deflate_answer(answer, settings);
  return checked.failed() ? std::string(checked.error) : "<ok>";
}

std::string compressed(message_deflater& deflater, std::string_view message) {
  std::string out;
  deflater.compress(message, out);
  return out;
}

std::string decompressed(message_inflater& inflater, std::string_view payload, inflate_error expected = {}) {
  std::string message;
  CHECK(inflater.decompress(payload, true, message) == expected);
  return message;
}

// Text with repeats at varied distances: compressible, like JSON.
std::string sample_text(std::size_t size, unsigned seed = 1) {
  static constexpr std::string_view words[] = {
      "\"id\":", "\"name\":",  "\"status\":\"ok\"",   "{", "}", ",", "hello", "world", "deploy",
      "42",      "1700000000", "\"room\":\"general\""};
  std::mt19937 random(seed);
  std::string text;
  while (text.size() < size) text += words[random() % std::size(words)];
  text.resize(size);
  return text;
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xFF);
  return bytes;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (const char byte : bytes) {
    text += digits[static_cast<unsigned char>(byte) >> 4];
    text += digits[static_cast<unsigned char>(byte) & 15];
  }
  return text;
}

std::string unhex(std::string_view text) {
  std::string bytes;
  for (std::size_t index = 0; index + 1 < text.size(); index += 2)
    bytes += static_cast<char>(std::stoi(std::string(text.substr(index, 2)), nullptr, 16));
  return bytes;
}

// Runs a Python snippet with Debian's python3: it reads `inputs` (a list of bytes) and sets
// `outputs` (a list of bytes), which come back here. Nothing when python3 cannot run.
std::optional<std::vector<std::string>> run_python(std::string_view snippet, const std::vector<std::string>& inputs) {
  static int calls = 0;
  const auto directory = std::filesystem::temp_directory_path() /
                         ("asyncrest-deflate-" + std::to_string(::getpid()) + "-" + std::to_string(++calls));
  std::filesystem::create_directories(directory);
  {
    std::ofstream script(directory / "script.py");
    script << "import sys, zlib\n"
              "inputs = [bytes.fromhex(line.strip()) for line in open(sys.argv[1])]\n"
              "outputs = []\n"
           << snippet
           << "\nwith open(sys.argv[2], 'w') as out:\n"
              "    for item in outputs: out.write(item.hex() + '\\n')\n";
    std::ofstream input(directory / "input.txt");
    for (const std::string& item : inputs) input << hex(item) << '\n';
  }
  const std::string command = "/usr/bin/python3 " + (directory / "script.py").string() + " " +
                              (directory / "input.txt").string() + " " + (directory / "output.txt").string();
  const int status = std::system(command.c_str());
  std::optional<std::vector<std::string>> outputs;
  if (status == 0) {
    outputs.emplace();
    std::ifstream output(directory / "output.txt");
    for (std::string line; std::getline(output, line);) outputs->push_back(unhex(line));
  }
  std::filesystem::remove_all(directory);
  return outputs;
}

}  // namespace

TEST_CASE("Sec-WebSocket-Extensions: the RFC 6455 §9.1 list, element by element") {
  extension_list_reader reader(
      " , foo ,bar; a; b=1 ;c = \"x\\\"y\" , , permessage-deflate;client_max_window_bits=\"1\\0\"\t");
  extension_element element;
  REQUIRE(reader.next(element));
  CHECK(element.name == "foo");
  CHECK(element.parameter_count == 0);
  REQUIRE(reader.next(element));
  CHECK(element.well_formed);
  CHECK(element.name == "bar");
  REQUIRE(element.parameter_count == 3);
  CHECK(element.parameters[0].name == "a");
  CHECK_FALSE(element.parameters[0].has_value);
  CHECK(element.parameters[1].value == "1");
  CHECK(element.parameters[2].name == "c");
  CHECK(element.parameters[2].quoted);
  std::string unquoted;
  asyncrest::detail::for_each_value_character(element.parameters[2], [&](char character) { unquoted += character; });
  CHECK(unquoted == "x\"y");
  REQUIRE(reader.next(element));
  CHECK(element.name == "permessage-deflate");
  CHECK(asyncrest::detail::window_bits_value(element.parameters[0]) == 10);
  CHECK_FALSE(reader.next(element));

  // A malformed element is reported, and reading goes on after it (a comma in quotes is not an end).
  extension_list_reader broken("a;=1, b; x=\"p,q\" y, c;z=\"unterminated, d");
  std::vector<std::string> seen;
  while (broken.next(element)) seen.push_back(std::string(element.name) + (element.well_formed ? "" : "!"));
  CHECK(seen == std::vector<std::string>{"a!", "b!", "c!"});

  for (const std::string_view bad :
       {";a", "a b", "a;b=", "a;b=\"x", "a;b=\"\x01\"", "\"a\"", "a;b c", "a;b=c=d", "a;1;2;3;4;5;6;7;8;9"}) {
    extension_list_reader one(bad);
    REQUIRE(one.next(element));
    CHECK_MESSAGE(!element.well_formed, bad);
  }
  extension_list_reader empty(" ,\t, ");
  CHECK_FALSE(empty.next(element));
}

TEST_CASE("permessage-deflate: the server picks the first offer it can honour") {
  // Every parameter, and their answers.
  CHECK(answer_to("permessage-deflate") == "permessage-deflate");
  CHECK(answer_to("permessage-deflate; client_max_window_bits") == "permessage-deflate");
  CHECK(answer_to("permessage-deflate; client_max_window_bits=10") == "permessage-deflate; client_max_window_bits=10");
  CHECK(answer_to("permessage-deflate; server_max_window_bits=9") == "permessage-deflate; server_max_window_bits=9");
  CHECK(answer_to("permessage-deflate; server_max_window_bits=8") == "permessage-deflate; server_max_window_bits=8");
  CHECK(answer_to("permessage-deflate; server_no_context_takeover") ==
        "permessage-deflate; server_no_context_takeover");
  CHECK(answer_to("permessage-deflate; client_no_context_takeover") ==
        "permessage-deflate; client_no_context_takeover");
  CHECK(answer_to("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                  "server_max_window_bits=12; client_max_window_bits=11") ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; "
        "client_max_window_bits=11");
  // Case of names, whitespace, quoted values.
  CHECK(answer_to("Permessage-Deflate ;\tServer_Max_Window_Bits = \"10\"") ==
        "permessage-deflate; server_max_window_bits=10");
  // Bad values, duplicates, unknown parameters: that offer is declined, the next one taken.
  for (const std::string_view bad :
       {"permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=1a",
        "permessage-deflate; server_max_window_bits=\"\"", "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=-9", "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"\"", "permessage-deflate; mystery",
        "permessage-deflate; client_max_window_bits; client_max_window_bits",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits=\"9", "permessage-deflate; ;",
        // a long run of bytes that are not digits (a signed overflow once, under UBSan)
        "permessage-deflate; server_max_window_bits=\"\\&\\\\ttttttttttttttttttttttttttttttt\\\\\xb1"
        "0\""}) {
    CHECK_MESSAGE(answer_to(bad) == "<declined>", bad);
    if (bad.find('"') != std::string_view::npos && bad.back() != '"') continue;  // the quote runs to the end
    const std::string then_good = std::string(bad) + ", permessage-deflate; client_max_window_bits=9";
    CHECK_MESSAGE(answer_to(then_good) == "permessage-deflate; client_max_window_bits=9", then_good);
  }
  // Several extensions and several offers: the first acceptable deflate offer wins.
  CHECK(answer_to("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=10, permessage-deflate") ==
        "permessage-deflate; server_max_window_bits=10");
  CHECK(answer_to("foo; bar=\"a,b\", permessage-deflate") == "permessage-deflate");
  CHECK(answer_to("") == "<declined>");
  CHECK(answer_to("x-webkit-deflate-frame") == "<declined>");
  CHECK(answer_to("permessage-deflate", deflate_settings{}) == "<declined>");  // disabled by default
}

TEST_CASE("permessage-deflate: the server's settings shape its answer") {
  const deflate_settings limited{.enabled = true,
                                 .server_no_context_takeover = true,
                                 .client_no_context_takeover = true,
                                 .server_max_window_bits = 10,
                                 .client_max_window_bits = 9};
  // A client that cannot be told its window is declined; one that can is limited.
  CHECK(answer_to("permessage-deflate", limited) == "<declined>");
  const auto accepted = accept_deflate_offer("permessage-deflate, permessage-deflate; client_max_window_bits", limited);
  REQUIRE(accepted);
  CHECK(accepted->answer ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=9");
  CHECK(accepted->agreement == deflate_agreement{true, true, 10, 9});
  CHECK(answer_to("permessage-deflate; server_max_window_bits=12; client_max_window_bits=8", limited) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=8");
  CHECK(answer_to("permessage-deflate; server_max_window_bits=9; client_max_window_bits=15", limited) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; "
        "client_max_window_bits=9");
  // Who resets and which window, per direction.
  const deflate_agreement agreed{.server_no_context_takeover = true, .server_max_window_bits = 10};
  CHECK(agreed.outgoing(websocket_role::server).window_bits == 10);
  CHECK(agreed.outgoing(websocket_role::server).reset_per_message);
  CHECK(agreed.incoming(websocket_role::client).window_bits == 10);
  CHECK(agreed.incoming(websocket_role::client).reset_per_message);
  CHECK(agreed.outgoing(websocket_role::client).window_bits == 15);
  CHECK_FALSE(agreed.incoming(websocket_role::server).reset_per_message);
  CHECK_THROWS_AS((void)accept_deflate_offer("permessage-deflate", {.enabled = true, .server_max_window_bits = 16}),
                  std::invalid_argument);
  CHECK_THROWS_AS((void)deflate_offer({.enabled = true, .memory_level = 0}), std::invalid_argument);
}

TEST_CASE("permessage-deflate: the client's offer and its check of the answer") {
  CHECK(deflate_offer(deflate_settings{}).empty());
  CHECK(deflate_offer(enabled) == "permessage-deflate; client_max_window_bits");
  const deflate_settings asking{.enabled = true,
                                .server_no_context_takeover = true,
                                .client_no_context_takeover = true,
                                .server_max_window_bits = 10,
                                .client_max_window_bits = 12};
  CHECK(deflate_offer(asking) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=12");
  // Every offer the client makes is one its own server side accepts as it stands.
  CHECK(answer_to(deflate_offer(asking)) != "<declined>");

  CHECK(client_error("") == "<ok>");
  CHECK_FALSE(check_deflate_answer("", enabled).agreement);
  CHECK(client_error("permessage-deflate") == "<ok>");
  CHECK(check_deflate_answer("permessage-deflate", enabled).agreement == deflate_agreement{});
  CHECK(check_deflate_answer("permessage-deflate; server_no_context_takeover; server_max_window_bits=9; "
                             "client_max_window_bits=8; client_no_context_takeover",
                             enabled)
            .agreement == deflate_agreement{true, true, 9, 8});
  CHECK(check_deflate_answer("permessage-deflate; server_max_window_bits=9", asking).failed());  // no snct
  CHECK(check_deflate_answer("permessage-deflate; server_no_context_takeover; server_max_window_bits=9", asking)
            .agreement == deflate_agreement{true, true, 9, 12});

  // What fails the connection.
  CHECK(client_error("permessage-deflate", deflate_settings{}) ==
        "the server accepted an extension the client did not offer");
  CHECK(client_error("x-other") == "the server accepted an extension the client did not offer");
  CHECK(client_error("permessage-deflate, permessage-deflate") == "the server accepted permessage-deflate twice");
  CHECK(client_error("permessage-deflate; a=\"") == "the server's Sec-WebSocket-Extensions is malformed");
  for (const std::string_view bad :
       {"permessage-deflate; mystery", "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7", "permessage-deflate; server_no_context_takeover=x",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover"})
    CHECK_MESSAGE(client_error(bad) == "the server's permessage-deflate has an unknown, repeated or invalid parameter",
                  bad);
  CHECK(client_error("permessage-deflate; client_max_window_bits") ==
        "the server's client_max_window_bits has no value");
  CHECK(client_error("permessage-deflate; server_no_context_takeover", asking) ==
        "the server did not agree to the offered server_max_window_bits");
  CHECK(client_error("permessage-deflate; server_no_context_takeover; server_max_window_bits=11", asking) ==
        "the server did not agree to the offered server_max_window_bits");
  CHECK(client_error("permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
                     "client_max_window_bits=13",
                     asking) == "the server's client_max_window_bits is larger than offered");
}

TEST_CASE("permessage-deflate: any header, an answer the client agrees with, or none") {
  // Random lists of offers built from the grammar's pieces, now and then broken by a stray
  // character: whatever the server answers, a client reads the same agreement from it, and
  // nothing throws.
  static constexpr std::string_view names[] = {"permessage-deflate", "permessage-deflate", "Permessage-Deflate",
                                               "x-other"};
  static constexpr std::string_view parameters[] = {"server_no_context_takeover", "client_no_context_takeover",
                                                    "server_max_window_bits", "client_max_window_bits", "other"};
  static constexpr std::string_view values[] = {"8", "9", "12", "15", "16", "0", "\"10\"", "\"1\\1\"", "x", "\"\""};
  static constexpr std::string_view spaces[] = {"", "", " ", "\t "};
  static constexpr std::string_view strays[] = {";", ",", "=", "\"", "\\", "\x01", " "};
  std::mt19937 random(3);
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string header;
    for (unsigned element = 1 + random() % 3; element > 0; --element) {
      header += names[random() % std::size(names)];
      for (unsigned count = random() % 4; count > 0; --count) {
        ((header += spaces[random() % 4]) += ';') += spaces[random() % 4];
        header += parameters[random() % std::size(parameters)];
        if (random() % 2 != 0) (header += '=') += values[random() % std::size(values)];
      }
      if (random() % 10 == 0) header.insert(random() % (header.size() + 1), strays[random() % std::size(strays)]);
      if (element > 1) (header += spaces[random() % 4]) += ", ";
    }
    CAPTURE(header);
    const auto acceptance = accept_deflate_offer(header, enabled);
    (void)check_deflate_answer(header, enabled);
    if (!acceptance) continue;
    ++accepted;
    const auto checked = check_deflate_answer(acceptance->answer, enabled);
    CHECK_FALSE(checked.failed());
    CHECK(checked.agreement == acceptance->agreement);
  }
  MESSAGE(accepted << " of 5000 random headers held an acceptable offer");
  CHECK(accepted > 500);
}

TEST_CASE("permessage-deflate: round trips with and without context takeover") {
  const std::string message = sample_text(2000);
  for (const bool takeover : {true, false}) {
    CAPTURE(takeover);
    const deflate_direction direction{15, !takeover};
    message_deflater deflater(enabled, direction);
    message_inflater inflater(direction, no_limit);
    const std::string first = compressed(deflater, message);
    const std::string second = compressed(deflater, message);
    CHECK(first.size() < message.size() / 2);
    if (takeover) {
      // The second copy is one reference to the first.
      CHECK(second.size() < first.size() / 5);
    } else {
      CHECK(second == first);
    }
    CHECK(decompressed(inflater, first) == message);
    CHECK(decompressed(inflater, second) == message);
    // An empty message is the single byte 00, with the context kept or not.
    const std::string empty = compressed(deflater, "");
    CHECK(decompressed(inflater, empty).empty());
  }
  CHECK(compressed(*std::make_unique<message_deflater>(enabled, deflate_direction{15, true}), "") ==
        std::string(1, '\0'));
  // The RFC's own example (§7.2.3.1): "Hello" as one compressed message.
  message_inflater inflater({15, false}, no_limit);
  CHECK(decompressed(inflater, "\xf2\x48\xcd\xc9\xc9\x07\x00"sv) == "Hello");
  message_deflater deflater(enabled, {15, false});
  CHECK(compressed(deflater, "Hello") == "\xf2\x48\xcd\xc9\xc9\x07\x00"sv);
  CHECK(deflater.worth_compressing(64));
  CHECK_FALSE(deflater.worth_compressing(63));
}

TEST_CASE("permessage-deflate: window bits 8 to 15: the compressor keeps to its window") {
  // A random block sent twice: the second message can only refer to the first (1000 bytes back)
  // through a window of 1000 bytes plus zlib's 262 of lookahead, that is from 11 bits.
  const std::string block = random_bytes(1000, 7);
  for (int bits = 8; bits <= 15; ++bits) {
    CAPTURE(bits);
    message_deflater deflater(enabled, {bits, false});
    message_inflater inflater({bits, false}, no_limit);
    message_inflater narrow({9, false}, no_limit);
    const std::string first = compressed(deflater, block);
    const std::string second = compressed(deflater, block);
    CHECK(decompressed(inflater, first) == block);
    CHECK(decompressed(inflater, second) == block);
    CHECK(decompressed(narrow, first) == block);
    if (bits >= 11) {
      CHECK(second.size() < 20);
      // A peer that agreed to a smaller window refuses a reference past it.
      decompressed(narrow, second, inflate_error::invalid_data);
    } else {
      CHECK(second.size() > 900);
      CHECK(decompressed(narrow, second) == block);
    }
    // Text, many messages, the context kept.
    for (unsigned seed = 1; seed <= 4; ++seed) {
      const std::string text = sample_text(3000, seed);
      CHECK(decompressed(inflater, compressed(deflater, text)) == text);
    }
  }
  // With 8 bits zlib compresses with 9, whose farthest reference (250 bytes) fits in the 256 a
  // peer keeps; zlib's decompressor with 8 bits refuses anything farther across messages.
  const std::string short_block = random_bytes(240, 9);
  message_deflater deflater(enabled, {8, false});
  message_inflater inflater({8, false}, no_limit);
  CHECK(decompressed(inflater, compressed(deflater, short_block)) == short_block);
  const std::string repeat = compressed(deflater, short_block);
  CHECK(repeat.size() < 20);
  CHECK(decompressed(inflater, repeat) == short_block);
  message_deflater wider(enabled, {10, false});
  const std::string over = random_bytes(300, 11);
  message_inflater eight({8, false}, no_limit);
  CHECK(decompressed(eight, compressed(wider, over)) == over);
  decompressed(eight, compressed(wider, over), inflate_error::invalid_data);  // 300 bytes back
}

TEST_CASE("permessage-deflate: frames fed one by one, down to one byte each") {
  const std::string message = sample_text(5000, 5);
  message_deflater deflater(enabled, {15, false});
  message_inflater inflater({15, false}, no_limit);
  for (const std::size_t frame_size : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100}}) {
    CAPTURE(frame_size);
    const std::string payload = compressed(deflater, message);
    std::string received;
    for (std::size_t offset = 0; offset < payload.size(); offset += frame_size) {
      const std::string_view frame = std::string_view(payload).substr(offset, frame_size);
      REQUIRE(inflater.decompress(frame, offset + frame_size >= payload.size(), received) == inflate_error::none);
    }
    CHECK(received == message);
  }
  // Empty frames, a final empty frame.
  const std::string payload = compressed(deflater, message);
  std::string received;
  CHECK(inflater.decompress("", false, received) == inflate_error::none);
  CHECK(inflater.decompress(payload, false, received) == inflate_error::none);
  CHECK(inflater.decompress("", true, received) == inflate_error::none);
  CHECK(received == message);
  // The sender streams too: pieces compressed one by one read as the whole.
  std::string streamed;
  for (std::size_t offset = 0; offset < message.size(); offset += 333)
    deflater.compress_part(std::string_view(message).substr(offset, 333), offset + 333 >= message.size(), streamed);
  CHECK(decompressed(inflater, streamed) == message);
}

TEST_CASE("permessage-deflate: a message past the limit is refused as it grows (zip bomb)") {
  const std::string zeros(16 << 20, '\0');
  message_deflater deflater({.enabled = true, .level = 9}, {15, true});
  const std::string bomb = compressed(deflater, zeros);
  MESSAGE("16 MiB of zeros compress to " << bomb.size() << " bytes");
  CHECK(bomb.size() < 32 * 1024);
  constexpr std::size_t limit = 1 << 20;
  {
    message_inflater inflater({15, true}, limit);
    std::string message;
    CHECK(inflater.decompress(bomb, true, message) == inflate_error::message_too_big);
    CHECK(message.size() == limit + 1);  // one byte past: no more was made
    CHECK(message.capacity() <= 2 * limit + 64);
    CHECK(close_code_for(inflate_error::message_too_big) == 1009);
    // Closing: the error again, nothing more decompressed.
    CHECK(inflater.decompress("\x00", true, message) == inflate_error::message_too_big);
  }
  {
    // Frame by frame, the limit holds across frames.
    message_inflater inflater({15, true}, limit);
    std::string message;
    inflate_error error = inflate_error::none;
    for (std::size_t offset = 0; offset < bomb.size() && error == inflate_error::none; offset += 100)
      error = inflater.decompress(std::string_view(bomb).substr(offset, 100), false, message);
    CHECK(error == inflate_error::message_too_big);
    CHECK(message.size() == limit + 1);
  }
  // Exactly at the limit is accepted; the count starts again with each message.
  message_inflater inflater({15, false}, 4096);
  message_deflater exact(enabled, {15, false});
  for (int round = 0; round < 3; ++round)
    CHECK(decompressed(inflater, compressed(exact, std::string(4096, 'a'))).size() == 4096);
  decompressed(inflater, compressed(exact, std::string(4097, 'a')), inflate_error::message_too_big);
}

TEST_CASE("permessage-deflate: corrupt data is refused, and so is anything after a final block") {
  CHECK(close_code_for(inflate_error::invalid_data) == 1007);
  // Random bytes: invalid at once or, if they happen to decode, not ending between blocks.
  for (unsigned seed = 1; seed <= 50; ++seed) {
    message_inflater inflater({15, false}, 1 << 20);
    std::string message;
    CHECK_MESSAGE(inflater.decompress(random_bytes(200, seed), true, message) == inflate_error::invalid_data, seed);
  }
  // A reserved block type.
  message_inflater reserved({15, false}, no_limit);
  decompressed(reserved, "\x07\x00"sv, inflate_error::invalid_data);
  // An empty payload is not DEFLATE: the appended tail alone is a bad stored block.
  message_inflater empty({15, false}, no_limit);
  decompressed(empty, "", inflate_error::invalid_data);
  // A message cut short.
  message_deflater deflater(enabled, {15, false});
  const std::string payload = compressed(deflater, sample_text(3000));
  message_inflater truncated({15, false}, no_limit);
  decompressed(truncated, std::string_view(payload).substr(0, payload.size() / 2), inflate_error::invalid_data);
  // A final block (BFINAL) ends the message; bytes after it are refused.
  const std::string final_block("\xf3\x48\xcd\xc9\xc9\x07\x00"sv);  // "Hello", BFINAL set
  message_inflater after_end({15, false}, no_limit);
  CHECK(decompressed(after_end, final_block) == "Hello");
  CHECK(decompressed(after_end, final_block) == "Hello");  // the next message reads after a reset
  decompressed(after_end, final_block + std::string(1, '\0'), inflate_error::invalid_data);
  // ... in the same frame or a later one.
  message_inflater later_frame({15, false}, no_limit);
  std::string message;
  CHECK(later_frame.decompress(final_block, false, message) == inflate_error::none);
  CHECK(later_frame.decompress("", false, message) == inflate_error::none);
  CHECK(later_frame.decompress("\x01", true, message) == inflate_error::invalid_data);
  CHECK(message == "Hello");
}

TEST_CASE("permessage-deflate: memory held by an idle connection") {
  auto& pool = asyncrest::detail::zlib_stream_pool::this_thread();
  pool.clear();
  const std::string message = sample_text(1000);
  {
    message_deflater deflater(enabled, {15, false});
    message_inflater inflater({15, false}, no_limit);
    CHECK(deflater.held_bytes() == 0);  // nothing before the first message
    CHECK(inflater.held_bytes() == 0);
    CHECK(decompressed(inflater, compressed(deflater, message)) == message);
    MESSAGE("context takeover, window 15, memory level 8: the compressor holds "
            << deflater.held_bytes() << " bytes, the decompressor " << inflater.held_bytes());
    CHECK(deflater.held_bytes() > 256 * 1024);
    CHECK(deflater.held_bytes() < 270 * 1024);
    CHECK(inflater.held_bytes() > 32 * 1024);
    CHECK(inflater.held_bytes() < 42 * 1024);

    message_deflater small(deflate_settings{.enabled = true, .memory_level = 4}, {10, false});
    message_inflater small_inflater({10, false}, no_limit);
    CHECK(decompressed(small_inflater, compressed(small, message)) == message);
    MESSAGE("window 10, memory level 4: " << small.held_bytes() << " and " << small_inflater.held_bytes() << " bytes");
    CHECK(small.held_bytes() < 20 * 1024);
    CHECK(small_inflater.held_bytes() < 10 * 1024);
  }
  pool.clear();
  {
    // Without context takeover nothing is held between messages, and the streams go round
    // through the thread's pool instead of being allocated again.
    message_deflater deflater(enabled, {15, true});
    message_inflater inflater({15, true}, no_limit);
    for (int round = 0; round < 3; ++round) {
      CHECK(decompressed(inflater, compressed(deflater, message)) == message);
      CHECK(deflater.held_bytes() == 0);
      CHECK(inflater.held_bytes() == 0);
      CHECK(pool.size() == 2);
    }
    // A second connection with the same parameters takes the same spare streams.
    message_deflater other(enabled, {15, true});
    CHECK(compressed(other, message) == compressed(deflater, message));
    CHECK(pool.size() == 2);
  }
  pool.clear();
}

TEST_CASE("permessage-deflate: interoperates with Python's zlib, as used by Python's websockets") {
  std::vector<std::string> messages;
  for (unsigned seed = 1; seed <= 5; ++seed) messages.push_back(sample_text(500 + 300 * seed, seed % 2 + 1));
  messages.push_back(messages.front());  // a repeat, found through the kept context
  messages.push_back(std::string(1, 'x'));

  for (const int bits : {15, 12, 9}) {
    CAPTURE(bits);
    const std::string parameters = std::to_string(bits);
    // Python compresses with context takeover, as websockets does: sync flush, tail removed.
    const auto from_python =
        run_python("c = zlib.compressobj(" + std::to_string(enabled.level) + ", zlib.DEFLATED, -" + parameters +
                       ", 8)\n"
                       "for item in inputs:\n"
                       "    data = c.compress(item) + c.flush(zlib.Z_SYNC_FLUSH)\n"
                       "    assert data.endswith(b'\\x00\\x00\\xff\\xff')\n"
                       "    outputs.append(data[:-4])\n",
                   messages);
    REQUIRE_MESSAGE(from_python, "python3 must run (cmake/install-dependencies.sh installs it)");
    REQUIRE(from_python->size() == messages.size());
    message_inflater inflater({bits, false}, no_limit);
    message_deflater deflater(enabled, {bits, false});
    std::vector<std::string> ours;
    for (std::size_t index = 0; index < messages.size(); ++index) {
      CHECK(decompressed(inflater, (*from_python)[index]) == messages[index]);
      ours.push_back(compressed(deflater, messages[index]));
      // The same zlib with the same parameters: the same bytes.
      CHECK(ours.back() == (*from_python)[index]);
    }
    // Python decompresses ours, context kept across messages.
    const auto decoded = run_python("d = zlib.decompressobj(wbits=-" + parameters +
                                        ")\n"
                                        "for item in inputs:\n"
                                        "    outputs.append(d.decompress(item + b'\\x00\\x00\\xff\\xff'))\n",
                                    ours);
    REQUIRE(decoded);
    CHECK(*decoded == messages);
  }

  // Window 8: Python's zlib cannot compress with it, but reads what this side made with it.
  message_deflater deflater(enabled, {8, false});
  std::vector<std::string> ours;
  for (const std::string& message : messages) ours.push_back(compressed(deflater, message));
  const auto decoded = run_python(
      "d = zlib.decompressobj(wbits=-8)\n"
      "for item in inputs:\n"
      "    outputs.append(d.decompress(item + b'\\x00\\x00\\xff\\xff'))\n",
      ours);
  REQUIRE(decoded);
  CHECK(*decoded == messages);

  // Messages ended with a final block (BFINAL), as a sender without a sync flush may do; each
  // next one refers to the ones before it (its dictionary), as the context is kept.
  const auto finished = run_python(
      "for index, item in enumerate(inputs):\n"
      "    history = b''.join(inputs[:index])[-32768:]\n"
      "    c = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, *([history] if history else []))\n"
      "    outputs.append(c.compress(item) + c.flush(zlib.Z_FINISH))\n",
      messages);
  REQUIRE(finished);
  CHECK((*finished)[5].size() < 20);  // the repeat of the first message, by reference
  message_inflater inflater({15, false}, no_limit);
  for (std::size_t index = 0; index < messages.size(); ++index)
    CHECK(decompressed(inflater, (*finished)[index]) == messages[index]);
}

#else

#include <doctest/doctest.h>

TEST_CASE("permessage-deflate: not tested, built without zlib (asyncrest::zlib)") {
  MESSAGE("zlib was not found: install zlib1g-dev (cmake/install-dependencies.sh) to test permessage-deflate");
}

#endif
