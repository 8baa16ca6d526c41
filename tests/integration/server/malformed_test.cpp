// Malformed and hostile input over real sockets. Each bad request goes on a fresh connection,
// followed in the same send() by a valid "GET /secret" that a server reading the bytes
// differently would answer: the test checks the error status, that the connection is closed
// with nothing more sent (the smuggled request is not answered), and that the server still
// serves new connections afterwards. Each test case ends by stopping its server, which must
// return promptly once every client has gone: a connection the server forgot to close would hold
// the drain for its whole (long) deadline.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using asyncrest::testing::test_settings;
using namespace std::string_literals;

namespace {

auto make_app() {
  return ar::app{
      ar::routes(ar::get<"/">([]() -> ar::response { return ar::text("ok"); }),
                 ar::get<"/secret">([]() -> ar::response { return ar::text("secret"); }),
                 ar::post<"/echo">([](ar::request& req) -> ar::response { return ar::text(std::string(req.body())); }),
                 ar::post<"/fields">([](ar::request& req) -> ar::response {
                   std::string fields;
                   for (const auto& [name, value] : req.headers())
                     fields.append(name).append("=").append(value).append(";");
                   return ar::text(fields);
                 }))};
}

using server_type = test_server<decltype(&make_app)>;

constexpr std::string_view smuggled = "GET /secret HTTP/1.1\r\nHost: x\r\n\r\n";

/// The bytes with control characters spelled out, for failure messages.
std::string printable(std::string_view bytes) {
  std::string out;
  for (const char character : bytes) {
    const auto code = static_cast<unsigned char>(character);
    if (character == '\r') {
      out += "\\r";
    } else if (character == '\n') {
      out += "\\n";
    } else if (code < 0x20 || code >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", code);
      out += escaped;
    } else {
      out.push_back(character);
    }
  }
  return out;
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

/// Whether a new connection still gets a correct answer.
bool server_answers(std::uint16_t port) {
  try {
    const http_reply reply = asyncrest::testing::exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    return reply.status == 200 && reply.body == "ok";
  } catch (const std::exception&) {
    return false;
  }
}

bool nothing_arrives(raw_client& client, std::chrono::milliseconds wait) {
  pollfd ready{client.descriptor(), POLLIN, 0};
  return ::poll(&ready, 1, static_cast<int>(wait.count())) == 0;
}

struct bad_request {
  std::string name;
  std::string bytes;
  int expected;
};

/// Reads the one response the bad request deserves; a failed check if none arrives.
bool read_reply(raw_client& client, http_reply& reply) {
  try {
    reply = client.read_response();
    return true;
  } catch (const std::exception& error) {
    FAIL_CHECK("no response: " << error.what());
    return false;
  }
}

/// The error status, a problem body, "Connection: close", the connection closed without a
/// second response, and the server still serving.
void check_error_reply(raw_client& client, const http_reply& reply, int expected, std::uint16_t port) {
  CHECK(reply.status == expected);
  CHECK(field(reply, "Content-Type") == "application/problem+json");
  CHECK(field(reply, "Connection") == "close");
  CHECK_MESSAGE(reply.body.find("\"status\":" + std::to_string(expected) + ",") != std::string::npos,
                "body: " << reply.body);
  CHECK(reply.body.find("secret") == std::string::npos);
  // True only on EOF with nothing else to read: a response to the smuggled request fails it.
  CHECK(client.closed_by_server());
  CHECK(server_answers(port));
}

void check_rejected(std::uint16_t port, const bad_request& bad) {
  INFO("case: " << bad.name << "  bytes: " << printable(bad.bytes));
  raw_client client(port);
  CHECK(client.send(bad.bytes + std::string(smuggled)));
  http_reply reply;
  if (!read_reply(client, reply)) return;
  check_error_reply(client, reply, bad.expected, port);
}

/// Runs `body` against a fresh server, then checks that stopping it does not wait on a leaked
/// connection. The drain deadline is far beyond the bound checked, so a connection left open
/// would show; the bound itself is generous (seconds).
template <class Body>
void with_server(Body body) {
  ar::server_settings settings = test_settings();
  settings.timeouts.drain = std::chrono::seconds(60);
  settings.timeouts.keep_alive = std::chrono::seconds(60);
  server_type server{&make_app, settings};
  body(server.port());
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  CHECK_MESSAGE(elapsed < std::chrono::seconds(5), "stop() took " << elapsed.count() << " ms");
}

void check_all(const std::vector<bad_request>& cases) {
  with_server([&](std::uint16_t port) {
    for (const bad_request& bad : cases) check_rejected(port, bad);
  });
}

const std::string chunked_post = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

TEST_CASE("malformed request lines are 400") {
  check_all({
      {"garbage request line", "GARBAGE\r\n\r\n", 400},
      {"TLS handshake bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 400},
      {"words that are no request line", "this is not http\r\n\r\n", 400},
      {"junk after the version", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400},
      {"lower-case protocol name", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
      {"space inside the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"two spaces before the version", "GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a tab for a space", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a bare CR ending the request line", "GET / HTTP/1.1\r\rHost: x\r\n\r\n", 400},
      {"a bare CR before the version", "GET /\r HTTP/1.1\r\nHost: x\r\n\r\n", 400},
  });
}

TEST_CASE("request targets of the wrong form are 400") {
  // RFC 9112 §3.2: origin-form (a path), absolute-form, and "*" for OPTIONS only.
  check_all({
      {"GET *", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"HEAD *", "HEAD * HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"POST *", "POST * HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400},
      {"DELETE *", "DELETE * HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"OPTIONS with more after the asterisk", "OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"GET */", "GET */ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a relative path", "GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"authority-form outside CONNECT", "GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a query alone", "GET ?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a scheme starting with a digit", "GET 1http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a tab in the target", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"DEL in the target",
       "GET /a\x7f"
       "b HTTP/1.1\r\nHost: x\r\n\r\n",
       400},
      {"a byte above 0x7f in the target",
       "GET /a\xff"
       "b HTTP/1.1\r\nHost: x\r\n\r\n",
       400},
      {"a control byte in the target",
       "GET /a\x01"
       "b HTTP/1.1\r\nHost: x\r\n\r\n",
       400},
  });

  with_server([](std::uint16_t port) {
    // The forms that are allowed still are.
    raw_client client(port);
    CHECK(client.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(client.read_response().status == 204);
    CHECK(client.send("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"));
    const http_reply absolute = client.read_response();
    CHECK(absolute.status == 200);
    CHECK(absolute.body == "ok");
  });
}

TEST_CASE("Host header problems are 400") {
  check_all({
      {"missing Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Host headers", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
      {"two identical Host headers", "GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", 400},
      {"Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"Host with two colons", "GET / HTTP/1.1\r\nHost: x:y:z\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: user@x\r\n\r\n", 400},
      {"Host with a non-numeric port", "GET / HTTP/1.1\r\nHost: x:http\r\n\r\n", 400},
  });
}

TEST_CASE("a malformed Host after well-formed ones on the same connection is 400") {
  // The last Host found well formed is remembered, to skip checking it again; anything else is
  // still checked.
  with_server([](std::uint16_t port) {
    raw_client client(port);
    const std::string good = "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n";
    REQUIRE(client.send(good + good + "GET / HTTP/1.1\r\nHost: example.com:80 80\r\n\r\n"));
    CHECK(client.read_response().status == 200);
    CHECK(client.read_response().status == 200);
    const http_reply refused = client.read_response();
    CHECK(refused.status == 400);
    CHECK(refused.body.find("the Host header is malformed") != std::string::npos);
    CHECK(client.closed_by_server());
  });
}

TEST_CASE("unknown and unsupported methods are 501") {
  check_all({
      {"unknown well-formed method", "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"methods are case-sensitive", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501},
  });

  with_server([](std::uint16_t port) {
    INFO("case: BREW sent in two pieces");
    raw_client client(port);
    CHECK(client.send("BR"));
    // "BR" may still become a well-formed method: the server must wait, not answer 400.
    CHECK(nothing_arrives(client, std::chrono::milliseconds(300)));
    CHECK(client.send("EW / HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(smuggled)));
    http_reply reply;
    if (read_reply(client, reply)) check_error_reply(client, reply, 501, port);
  });
}

TEST_CASE("Transfer-Encoding and Content-Length framing") {
  check_all({
      {"unsupported coding before chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"unsupported coding on its own line before chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
      {"chunked not last", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
      {"chunked twice", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
      {"a coding without chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400},
      {"a coding without chunked, with Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"Content-Length and chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"chunked and Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      {"two different Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
      {"Content-Length with a letter", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5a\r\n\r\nhello", 400},
      {"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello", 400},
      {"Content-Length with a sign", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400},
      {"Content-Length as a list", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", 400},
      {"HTTP/1.0 with Transfer-Encoding",
       "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400},
  });
}

TEST_CASE("header syntax errors are 400") {
  check_all({
      {"obs-fold with a space", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"obs-fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400},
      {"bare CR inside a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400},
      {"whitespace between Host and colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"whitespace between a field name and colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400},
      {"NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"s, 400},
      {"DEL in a header value",
       "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f"
       "b\r\n\r\n",
       400},
      {"a line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400},
      {"an empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", 400},
  });
}

TEST_CASE("a field name with a byte that is not a token character is 400") {
  // RFC 9110 §5.1: field-name = token. Every delimiter, white space and control byte, DEL and
  // bytes above 0x7f, inside a name; and framing fields whose names a space breaks.
  std::vector<bad_request> cases;
  for (const char inside : std::string(" \t\"(),/:;<=>?@[\\]{}\x7f\x80\xe9\x01\x1f")) {
    if (inside == ':') continue;  // ends the name: "Foo" with the value "Bar: x", which is valid
    cases.push_back({"byte " + printable(std::string(1, inside)) + " inside a name",
                     "GET / HTTP/1.1\r\nHost: x\r\nFoo" + std::string(1, inside) + "Bar: x\r\n\r\n", 400});
  }
  cases.push_back({"NUL inside a name", "GET / HTTP/1.1\r\nHost: x\r\nFoo\0Bar: x\r\n\r\n"s, 400});
  cases.push_back({"a space inside Host", "GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 400});
  cases.push_back(
      {"Content Length, with a space", "POST /echo HTTP/1.1\r\nHost: x\r\nContent Length: 5\r\n\r\nhello", 400});
  cases.push_back({"Transfer Encoding, with a space",
                   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400});
  check_all(cases);
}

TEST_CASE("bare LF line endings are 400") {
  check_all({
      {"bare LF everywhere", "GET / HTTP/1.1\nHost: x\n\n", 400},
      {"bare LF after a header field", "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400},
      {"bare LF after the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400},
      {"bare LF ending the header block", "GET / HTTP/1.1\r\nHost: x\r\n\n", 400},
      {"bare LF after a chunk size", chunked_post + "5\nhello\r\n0\r\n\r\n", 400},
      {"bare LF after chunk data", chunked_post + "5\r\nhello\n0\r\n\r\n", 400},
      {"bare LF after the last chunk", chunked_post + "5\r\nhello\r\n0\n\r\n", 400},
      {"bare LF ending the chunked body", chunked_post + "5\r\nhello\r\n0\r\n\n", 400},
  });
}

TEST_CASE("malformed chunks are 400") {
  check_all({
      {"invalid chunk size", chunked_post + "zz\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk size overflow", chunked_post + "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400},
      {"empty chunk size", chunked_post + "\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk data longer than its size", chunked_post + "3\r\nhello\r\n0\r\n\r\n", 400},
      {"a bare CR ending a chunk size line", chunked_post + "5\r\r;ABCD\r\nhello\r\n0\r\n\r\n", 400},
      {"CR CR LF ending a chunk size line", chunked_post + "5\r\r\nhello\r\n0\r\n\r\n", 400},
      {"a bare CR after chunk data", chunked_post + "5\r\nhello\r0\r\n\r\n", 400},
      {"CR CR LF after chunk data", chunked_post + "5\r\nhello\r\r\n0\r\n\r\n", 400},
      {"two other bytes after chunk data", chunked_post + "5\r\nhelloXY0\r\n\r\n", 400},
      {"a bare CR ending the last chunk", chunked_post + "5\r\nhello\r\n0\r\r\n", 400},
      {"a bare CR inside a chunk extension", chunked_post + "5;a=b\rc\r\nhello\r\n0\r\n\r\n", 400},
      {"a control byte in a chunk extension", chunked_post + "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400},
      {"a space before the chunk size", chunked_post + " 5\r\nhello\r\n0\r\n\r\n", 400},
      {"a space after the chunk size", chunked_post + "5 \r\nhello\r\n0\r\n\r\n", 400},
      {"a tab after the chunk size", chunked_post + "5\t\r\nhello\r\n0\r\n\r\n", 400},
      {"a 0x prefix on the chunk size", chunked_post + "0x5\r\nhello\r\n0\r\n\r\n", 400},
      {"a negative chunk size", chunked_post + "-5\r\nhello\r\n0\r\n\r\n", 400},
      {"a trailer name with a space", chunked_post + "5\r\nhello\r\n0\r\nX T: a\r\n\r\n", 400},
      {"a trailer without a colon", chunked_post + "5\r\nhello\r\n0\r\nXT\r\n\r\n", 400},
      {"a bare CR ending a trailer", chunked_post + "5\r\nhello\r\n0\r\nX-T: a\r\r\n", 400},
      {"a bare LF ending a trailer", chunked_post + "5\r\nhello\r\n0\r\nX-T: a\n\r\n", 400},
      {"a control byte in a trailer", chunked_post + "5\r\nhello\r\n0\r\nX-T: a\x01\r\n\r\n", 400},
  });

  with_server([](std::uint16_t port) {
    // The chunk size line alone, with nothing after it: refused at once, not waited on.
    INFO("case: a bare CR ending a chunk size line, nothing after it");
    raw_client client(port, std::chrono::seconds(3));
    CHECK(client.send(chunked_post + "5\r\r;ABCD\r\n"));
    http_reply reply;
    if (read_reply(client, reply)) check_error_reply(client, reply, 400, port);
  });
}

TEST_CASE("trailer fields are checked and limited, never taken for header fields") {
  with_server([](std::uint16_t port) {
    raw_client client(port);
    CHECK(
        client.send("POST /fields HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n0\r\nHost: evil\r\nAuthorization: Bearer forged\r\n\r\n"));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 200);
    CHECK(reply.body == "Host=x;Transfer-Encoding=chunked;");
    CHECK(server_answers(port));
  });
  // As large as the header block may be (16 KiB), and no more.
  check_all({{"a trailer section over the header limit",
              chunked_post + "5\r\nhello\r\n0\r\nX-T: " + std::string(17 * 1024, 'a') + "\r\n\r\n", 431}});
  std::string many;
  for (int index = 0; index < 101; ++index) many += "X-" + std::to_string(index) + ": a\r\n";
  check_all(
      {{"more trailer fields than header fields may be", chunked_post + "5\r\nhello\r\n0\r\n" + many + "\r\n", 431}});
}

TEST_CASE("unsupported HTTP versions are 505") {
  check_all({
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505},
      {"HTTP/0.9 spelled out", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505},
      {"HTTP/3.1", "GET / HTTP/3.1\r\nHost: x\r\n\r\n", 505},
  });
}

TEST_CASE("bad request targets") {
  check_all({
      {"NUL in the target", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"s, 400},
  });

  with_server([](std::uint16_t port) {
    // Well framed: the connection may stay open, so only the status is checked.
    for (const char* target : {"/a%zz", "/a%4", "/%00", "/a%2"}) {
      INFO("target: " << target);
      raw_client client(port);
      CHECK(client.send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
      http_reply reply;
      if (!read_reply(client, reply)) continue;
      CHECK(reply.status == 400);
      CHECK(field(reply, "Content-Type") == "application/problem+json");
      CHECK_MESSAGE(reply.body.find("\"status\":400,") != std::string::npos, "body: " << reply.body);
    }
    CHECK(server_answers(port));
  });
}

TEST_CASE("an expectation other than 100-continue is 417") {
  check_all({
      {"unknown expectation", "GET / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n", 417},
      {"unknown expectation with a body",
       "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 5\r\n\r\nhello", 417},
  });
}

TEST_CASE("a server that saw all of this still stops promptly") {
  with_server([](std::uint16_t port) {
    const std::vector<std::string> bad = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        // Never finished: the server must not wait on these past their clients.
        "GET / HTTP/1.1\r\nHost: x\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "BR",
    };
    for (const std::string& bytes : bad) {
      raw_client client(port);
      CHECK(client.send(bytes));
    }
    // A client that half-closes after a complete request still gets its answer.
    raw_client polite(port);
    CHECK(polite.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    polite.shutdown_send();
    http_reply reply;
    if (read_reply(polite, reply)) CHECK(reply.body == "ok");
    CHECK(server_answers(port));
  });
}
