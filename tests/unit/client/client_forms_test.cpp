// The client's form bodies: urlencoding as browsers do it, and multipart bodies whose bytes the
// server's parser reads back into the same fields and files.
#include <asyncrest/client/forms.hpp>
#include <asyncrest/server/detail/form_syntax.hpp>
#include <asyncrest/server/detail/multipart_parser.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;

/// The request's bytes after the head, with file parts shown as <file:path>.
std::string body_of(const ar::client_request& request) {
  std::string body = request.body;
  for (const ar::request_body_part& part : request.body_parts) {
    body += part.is_file() ? "<file:" + part.file_path().string() + ">" : part.content();
  }
  return body;
}

}  // namespace

TEST_CASE("url_encode_form encodes as browsers do, and the server's parser reads it back") {
  CHECK(ar::url_encode_form({{"name", "Ada Lovelace"}, {"q", "a&b=c+d%"}, {"empty", ""}}) ==
        "name=Ada+Lovelace&q=a%26b%3Dc%2Bd%25&empty=");
  CHECK(ar::url_encode_form({{"caf\xC3\xA9", "*-._~/"}}) == "caf%C3%A9=*-._%7E%2F");
  CHECK(ar::url_encode_form({}).empty());
}

TEST_CASE("a multipart body: its boundary, its parts, its files named, not read") {
  ar::multipart_body body;
  const std::string boundary = body.boundary();
  CHECK(boundary.size() == 42);
  CHECK(ar::detail::is_valid_boundary(boundary));
  CHECK(ar::multipart_body().boundary() != boundary);

  body.add_field("title", "hello")
      .add_file("upload", "/data/photo.jpg", "image/jpeg")
      .add_file_content("notes", "a \"b\" \\c.txt", "line\r\n", "text/plain")
      .add_file("renamed", "/data/x.bin", "application/octet-stream", "y.bin");
  const ar::client_request request = std::move(body).into_request(ar::method::post, "http://127.0.0.1/u");
  CHECK(request.headers.get("Content-Type") == "multipart/form-data; boundary=" + boundary);
  const std::string d = "--" + boundary;
  CHECK(
      body_of(request) ==
      d + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n" + d +
          "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n"
          "\r\n<file:/data/photo.jpg>\r\n" +
          d +
          "\r\nContent-Disposition: form-data; name=\"notes\"; filename=\"a \\\"b\\\" \\\\c.txt\"\r\nContent-Type: "
          "text/plain\r\n\r\nline\r\n\r\n" +
          d +
          "\r\nContent-Disposition: form-data; name=\"renamed\"; filename=\"y.bin\"\r\nContent-Type: "
          "application/octet-stream\r\n\r\n<file:/data/x.bin>\r\n" +
          d + "--\r\n");
}

TEST_CASE("the server's parser reads a client's multipart body back") {
  ar::multipart_body body;
  body.add_field("a", "1").add_file_content("f", "n\"q\".txt", "x\r\n--y").add_field("b", "");
  const std::string boundary = body.boundary();
  const ar::client_request request = std::move(body).into_request(ar::method::post, "http://127.0.0.1/u");
  const std::string bytes = body_of(request);
  ar::detail::multipart_parser parser(boundary, {});
  std::string_view input = bytes;
  std::string_view data;
  std::string seen;
  for (bool going = true; going;) {
    switch (parser.next(input, data)) {
      case ar::detail::multipart_event::part_begin:
        seen += std::string(parser.name()) + (parser.has_filename() ? "[" + std::string(parser.filename()) + "]" : "") +
                "{";
        break;
      case ar::detail::multipart_event::data: seen += std::string(data); break;
      case ar::detail::multipart_event::part_end: seen += "}"; break;
      default: going = false;
    }
  }
  CHECK(parser.finished());
  CHECK(seen == "a{1}f[n\"q\".txt]{x\r\n--y}b{}");
}

TEST_CASE("names that would break the part's header are refused") {
  ar::multipart_body body;
  CHECK_THROWS_AS(body.add_field("a\r\nX-Injected: 1", "v"), ar::client_error);
  CHECK_THROWS_AS(body.add_file_content("f", "evil\n.txt", "x"), ar::client_error);
  CHECK_THROWS_AS(body.add_file_content("f", "x.txt", "x", "text/plain\r\nX-Injected: 1"), ar::client_error);
}
