// The incremental multipart parser: the same body split at every position gives the same parts;
// preamble, epilogue, transport padding, CRLF in content, empty parts; what it refuses. And the
// syntax around it: the boundary of a Content-Type, Content-Disposition with filename*.
#include <asyncrest/server/detail/form_syntax.hpp>
#include <asyncrest/server/detail/multipart_parser.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace detail = asyncrest::detail;

struct outcome {
  std::string parts;  // "name[filename]{content}" per part, or "ERROR: why"
  bool finished = false;
  std::size_t data_events = 0;
};

/// Feeds `body` in the pieces `cuts` gives (offsets where a new piece starts).
outcome parse(std::string_view body, const std::vector<std::size_t>& cuts,
              const detail::multipart_parser_limits& limits = {}, std::string_view boundary = "XyZ") {
  detail::multipart_parser parser(boundary, limits);
  outcome result;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(body.size());
  for (const std::size_t end : ends) {
    std::string piece(body.substr(start, end - start));  // a copy, as a new read buffer would be
    start = end;
    std::string_view input = piece;
    std::string_view data;
    for (bool more = true; more;) {
      switch (parser.next(input, data)) {
        case detail::multipart_event::need_more: more = false; break;
        case detail::multipart_event::part_begin:
          result.parts += std::string(parser.name());
          if (parser.has_filename()) result.parts += "[" + std::string(parser.filename()) + "]";
          result.parts += "{";
          break;
        case detail::multipart_event::data:
          REQUIRE(!data.empty());
          result.parts += std::string(data);
          ++result.data_events;
          break;
        case detail::multipart_event::part_end: result.parts += "}"; break;
        case detail::multipart_event::finished:
          result.finished = true;
          more = false;
          break;
        case detail::multipart_event::error: return {"ERROR: " + parser.error(), false};
      }
    }
  }
  if (!result.finished) result.parts += " TRUNCATED: " + std::string(parser.truncation());
  return result;
}

outcome parse_whole(std::string_view body, const detail::multipart_parser_limits& limits = {}) {
  return parse(body, {}, limits);
}

const std::string two_parts =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    "Hello\r\n--XyQ\r\n-XyZ\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line one\r\nline two\r\r\n\r\n-\r\n--\r\n--X\r\n"
    "--XyZ--\r\n";
const std::string two_parts_expected =
    "title{Hello\r\n--XyQ\r\n-XyZ}file[a.txt]{line one\r\nline two\r\r\n\r\n-\r\n--\r\n--X}";

}  // namespace

TEST_CASE("a body parsed whole") {
  const outcome whole = parse_whole(two_parts);
  CHECK(whole.parts == two_parts_expected);
  CHECK(whole.finished);
  CHECK(whole.data_events == 2);  // CRs that begin no delimiter do not cut the content
}

TEST_CASE("the same body split in two at every position, and byte by byte") {
  for (std::size_t cut = 1; cut < two_parts.size(); ++cut) {
    CAPTURE(cut);
    const outcome split = parse(two_parts, {cut});
    CHECK(split.parts == two_parts_expected);
    CHECK(split.finished);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t cut = 1; cut < two_parts.size(); ++cut) every_byte.push_back(cut);
  CHECK(parse(two_parts, every_byte).parts == two_parts_expected);
}

TEST_CASE("split in three at every pair of positions") {
  for (std::size_t first = 1; first < two_parts.size(); first += 3) {
    for (std::size_t second = first + 1; second < two_parts.size(); ++second) {
      const outcome split = parse(two_parts, {first, second});
      if (split.parts != two_parts_expected) {
        CAPTURE(first);
        CAPTURE(second);
        CHECK(split.parts == two_parts_expected);
        return;
      }
    }
  }
}

TEST_CASE("preamble and epilogue are ignored") {
  const std::string body =
      "This is the preamble. --XyZ is not at a line start\r\n-XyZ\r\n--Xy\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
      "--XyZ--\r\nThis is the epilogue, with --XyZ in it.\r\n--XyZ\r\n";
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    CAPTURE(cut);
    const outcome result = parse(body, {cut});
    CHECK(result.parts == "a{1}");
    CHECK(result.finished);
  }
}

TEST_CASE("a preamble that is only a line break, or that nearly holds the delimiter") {
  const std::string part = "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--";
  for (const std::string preamble : {"\r\n", "\r\n-", "\r\n--Xy", "-\r\n--", "--Xy\r\n--XyQ\r"}) {
    const std::string body = preamble + "\r\n--XyZ\r\n" + part;
    for (std::size_t cut = 1; cut < body.size(); ++cut) {
      CAPTURE(preamble);
      CAPTURE(cut);
      CHECK(parse(body, {cut}).parts == "a{1}");
    }
  }
}

TEST_CASE("transport padding after a delimiter, and a final delimiter with nothing after it") {
  const std::string body = "--XyZ \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--";
  CHECK(parse_whole(body).parts == "a{1}");
  CHECK(parse_whole(body).finished);
}

TEST_CASE("empty parts, and parts with CRLF-only content") {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"crlf\"\r\n\r\n\r\n\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"nofile\"; filename=\"\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n\r\n"
      "--XyZ--\r\n";
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    CAPTURE(cut);
    CHECK(parse(body, {cut}).parts == "empty{}crlf{\r\n}nofile[]{}");
  }
}

TEST_CASE("a body with no part at all") {
  CHECK(parse_whole("--XyZ--\r\n").parts.empty());
  CHECK(parse_whole("--XyZ--\r\n").finished);
}

TEST_CASE("a missing final delimiter, a body cut short, no delimiter at all") {
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue").parts ==
        "a{value TRUNCATED: the multipart body ends before its final delimiter");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--XyZ").parts ==
        "a{value} TRUNCATED: the multipart body ends before its final delimiter");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-da").parts ==
        " TRUNCATED: the multipart body ends inside a part's header block");
  CHECK(parse_whole("just some text\r\n").parts ==
        " TRUNCATED: the multipart body has no delimiter with the boundary of its Content-Type");
  CHECK(parse_whole("--OtherBoundary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--OtherBoundary--")
            .parts == " TRUNCATED: the multipart body has no delimiter with the boundary of its Content-Type");
}

TEST_CASE("CRLF edge cases around delimiters are refused") {
  CHECK(parse_whole("--XyZ\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: the multipart body has a delimiter followed by neither CRLF nor \"--\"");
  CHECK(parse_whole("--XyZ\rContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: the multipart body has a delimiter line ending in a bare CR");
  CHECK(parse_whole("--XyZ-\r\n").parts == "ERROR: the multipart body has a delimiter followed by a single '-'");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\nX: y\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part's header field holds a bare CR, LF or NUL");
}

TEST_CASE("header blocks: too large, too many fields, malformed, without a name") {
  const detail::multipart_parser_limits small{.max_parts = 3, .max_header_bytes = 128, .max_headers = 2};
  const std::string huge = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Filler: " + std::string(200, 'f') +
                           "\r\n\r\n1\r\n--XyZ--";
  CHECK(parse_whole(huge, small).parts == "ERROR: a part's header block is larger than 128 bytes");
  // A header block that never ends is refused at the limit, not buffered.
  CHECK(parse(std::string("--XyZ\r\n") + std::string(100000, 'h'), {5000, 9000}, small).parts ==
        "ERROR: a part's header block is larger than 128 bytes");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nA: 1\r\nB: 2\r\n\r\n1\r\n--XyZ--", small)
            .parts == "ERROR: a part has more than 2 header fields");
  CHECK(parse_whole("--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part has no Content-Disposition field");
  CHECK(parse_whole("--XyZ\r\n\r\n1\r\n--XyZ--").parts == "ERROR: a part has no Content-Disposition field");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part's Content-Disposition is not form-data");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part's Content-Disposition has no name");
  CHECK(parse_whole("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part's Content-Disposition is malformed");
  CHECK(parse_whole("--XyZ\r\nNo colon here\r\n\r\n1\r\n--XyZ--").parts ==
        "ERROR: a part's header line is not a field");
}

TEST_CASE("the number of parts is limited") {
  const detail::multipart_parser_limits two{.max_parts = 2};
  std::string body;
  for (int part = 0; part < 3; ++part) body += "--XyZ\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
  body += "--XyZ--";
  const std::string result = parse_whole(body, two).parts;
  CHECK(result == "ERROR: the multipart body has more than 2 parts");
  detail::multipart_parser parser("XyZ", two);
  std::string_view input = body;
  std::string_view data;
  while (parser.next(input, data) != detail::multipart_event::error) {
  }
  CHECK(parser.error_is_limit());
}

TEST_CASE("a boundary of 70 characters, with the characters RFC 2046 allows") {
  const std::string boundary = "'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
  REQUIRE(boundary.size() == 70);
  const std::string body =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" + boundary + "--\r\n";
  for (std::size_t cut = 1; cut < body.size(); ++cut) CHECK(parse(body, {cut}, {}, boundary).parts == "a{x}");
}

TEST_CASE("the boundary parameter of Content-Type") {
  std::string boundary;
  using detail::boundary_problem;
  CHECK(detail::read_boundary("multipart/form-data; boundary=abc", boundary) == boundary_problem::none);
  CHECK(boundary == "abc");
  CHECK(detail::read_boundary("Multipart/Form-Data;BOUNDARY=\"a b:c\"", boundary) == boundary_problem::none);
  CHECK(boundary == "a b:c");
  CHECK(detail::read_boundary("multipart/form-data; charset=utf-8; boundary=\"q\\\"x\"", boundary) ==
        boundary_problem::malformed);  // '"' is not a boundary character
  CHECK(detail::read_boundary("multipart/form-data ; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", boundary) ==
        boundary_problem::none);
  CHECK(boundary == "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  CHECK(detail::read_boundary("multipart/form-data; boundary=" + std::string(70, 'b'), boundary) ==
        boundary_problem::none);
  CHECK(detail::read_boundary("multipart/form-data; boundary=" + std::string(71, 'b'), boundary) ==
        boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data", boundary) == boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data; boundary=", boundary) == boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data; boundary=\"\"", boundary) == boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data; boundary=\"ends with space \"", boundary) ==
        boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data; boundary=\"unclosed", boundary) == boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/form-data; boundary=a; boundary=b", boundary) == boundary_problem::malformed);
  CHECK(detail::read_boundary("multipart/mixed; boundary=abc", boundary) == boundary_problem::not_multipart_form_data);
  CHECK(detail::read_boundary("text/plain", boundary) == boundary_problem::not_multipart_form_data);
}

TEST_CASE("Content-Disposition: quoted names, filename*, refusals") {
  std::string name;
  std::string filename;
  std::string scratch;
  bool has_filename = false;
  using detail::disposition_problem;
  auto read = [&](std::string_view field) {
    return detail::read_disposition(field, name, filename, has_filename, scratch);
  };
  CHECK(read("form-data; name=\"field\"") == disposition_problem::none);
  CHECK(name == "field");
  CHECK_FALSE(has_filename);
  CHECK(read("form-data; name=plain; filename=\"a \\\"quoted\\\" name.txt\"") == disposition_problem::none);
  CHECK(name == "plain");
  CHECK(has_filename);
  CHECK(filename == "a \"quoted\" name.txt");
  CHECK(read("form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt") ==
        disposition_problem::none);
  CHECK(filename == "na\xC3\xAFve file.txt");
  CHECK(read("form-data; name=\"f\"; filename*=utf-8'en'x.txt; filename=\"later.txt\"") == disposition_problem::none);
  CHECK(filename == "x.txt");  // filename* wins whatever the order
  CHECK(read("form-data; name=\"f\"; filename=\"../../etc/passwd\"") == disposition_problem::none);
  CHECK(filename == "../../etc/passwd");  // kept as data, never a path
  CHECK(read("form-data; name=\"f\"; filename*=iso-8859-1''caf%E9.txt") == disposition_problem::unsupported_charset);
  CHECK(read("form-data; name=\"f\"; filename*=UTF-8''bad%zz") == disposition_problem::malformed);
  CHECK(read("form-data; name=\"f\"; filename*=no-quotes") == disposition_problem::malformed);
  CHECK(read("form-data") == disposition_problem::no_name);
  CHECK(read("form-data; name=\"a\"; name=\"b\"") == disposition_problem::malformed);
  CHECK(read("inline; name=\"a\"") == disposition_problem::not_form_data);
  CHECK(read("form-data; name") == disposition_problem::malformed);
}
