// Static files over real sockets: files, folders and their index, HEAD and 405; validators and
// conditional requests; single and multiple ranges (the multipart body parsed back and compared
// with the file); precompressed siblings; a table of traversal attempts, hidden files and
// symlinks out of the root; conditional() on a handler's own response; curl and the project's
// client as third-party and first-party clients.
#include <asyncrest/asyncrest.hpp>

#include <support/client_runner.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ar = asyncrest;
namespace fs = std::filesystem;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;

namespace {

constexpr std::string_view secret = "TOP-SECRET-OUTSIDE-THE-ROOT";

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// A site in a temporary folder, made once per run and removed at exit:
///   base/secret.txt                 outside the root
///   base/root/hello.txt, big.bin, index.html, docs/index.html, nodir/ (no index)
///   base/root/app.js (+ .br, .gz), page.css (+ .gz, really gzipped), .env, .well-known/x.txt
///   base/root/escape.txt -> base/secret.txt, base/root/up -> base, base/root/inside.txt -> hello.txt
struct site {
  fs::path base = fs::temp_directory_path() / ("asyncrest-static-" + std::to_string(::getpid()));
  fs::path root = base / "root";
  std::string big;

  site() {
    fs::remove_all(base);
    fs::create_directories(root / "docs");
    fs::create_directories(root / "nodir");
    fs::create_directories(root / ".well-known");
    write_file(base / "secret.txt", secret);
    write_file(root / "hello.txt", "Hello, static world!\n");
    for (int index = 0; index < 100000; ++index) big.push_back(static_cast<char>('a' + (index * 7 + index / 26) % 26));
    write_file(root / "big.bin", big);
    // An hour old: a date is a strong validator (for If-Range) only once its second has passed.
    fs::last_write_time(root / "big.bin", fs::last_write_time(root / "big.bin") - std::chrono::hours(1));
    write_file(root / "index.html", "<h1>root index</h1>");
    write_file(root / "docs" / "index.html", "<h1>docs index</h1>");
    write_file(root / "app.js", "console.log('plain');");
    write_file(root / "app.js.br", "BROTLI-BYTES");
    write_file(root / "app.js.gz", "GZIP-BYTES");
    std::string css;
    for (int index = 0; index < 200; ++index) css += "body { color: #" + std::to_string(100 + index) + "; }\n";
    write_file(root / "page.css", css);
    REQUIRE(
        std::system(("gzip -c -n '" + (root / "page.css").string() + "' > '" + (root / "page.css.gz").string() + "'")
                        .c_str()) == 0);
    write_file(root / ".env", "PASSWORD=hunter2");
    write_file(root / ".well-known" / "x.txt", "well known");
    fs::create_symlink(base / "secret.txt", root / "escape.txt");
    fs::create_directory_symlink(base, root / "up");
    fs::create_symlink("hello.txt", root / "inside.txt");
  }
  ~site() { fs::remove_all(base); }
  site(const site&) = delete;
  site& operator=(const site&) = delete;
};

site& the_site() {
  static site made;
  return made;
}

auto make_app() {
  return ar::app{ar::routes(
      ar::get<"/api">([]() -> ar::response { return ar::text("api"); }),
      ar::get<"/dynamic">([](ar::request& req) -> ar::response {
        ar::response res = ar::text("dynamic body");
        res.headers.set("ETag", "\"d-1\"");
        res.headers.set("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        res.headers.set("Cache-Control", "max-age=5");
        return ar::conditional(req, std::move(res));
      }),
      ar::put<"/dynamic">([](ar::request& req) -> ar::response {
        ar::check_preconditions(req, "\"d-1\"");
        return ar::text("updated");
      }),
      ar::static_files<"/static">(the_site().root, {.max_age = std::chrono::seconds(3600), .max_ranges = 4}),
      ar::static_files<"/assets/v1">(
          the_site().root, {.immutable = true, .precompressed = true, .media_types = {{"txt", "text/x-custom"}}}),
      ar::static_files<"/open">(the_site().root,
                                {.no_cache = true, .allow_hidden_files = true, .follow_symlinks_out_of_root = true}))};
}

/// An app with the middleware: every 2xx answer to GET with an ETag becomes conditional.
auto make_middleware_app() {
  return ar::app{ar::routes(ar::get<"/tagged">([]() -> ar::response {
                   ar::response res = ar::text("tagged");
                   res.headers.set("ETag", "W/\"t-7\"");
                   return res;
                 })),
                 ar::conditional_requests{}};
}

http_reply fetch(std::uint16_t port, std::string_view target, std::string_view fields = "",
                 std::string_view method = "GET") {
  return asyncrest::testing::exchange(port,
                                      std::string(method) + " " + std::string(target) +
                                          " HTTP/1.1\r\nHost: files.example\r\n" + std::string(fields) + "\r\n",
                                      method == "HEAD");
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

std::string run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> chunk{};
  std::size_t read = 0;
  while ((read = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), read);
  REQUIRE(::pclose(pipe) == 0);
  return output;
}

struct part {
  std::string content_type;
  std::string content_range;
  std::string body;
};

/// Splits a multipart/byteranges body at its boundary, each part into its fields and bytes.
std::vector<part> parse_multipart(const std::string& content_type, const std::string& body) {
  const std::string marker = "boundary=";
  const std::size_t at = content_type.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string delimiter = "--" + content_type.substr(at + marker.size());
  std::vector<part> parts;
  REQUIRE(body.starts_with(delimiter + "\r\n"));
  std::size_t position = delimiter.size() + 2;
  while (true) {
    const std::size_t head_end = body.find("\r\n\r\n", position);
    REQUIRE(head_end != std::string::npos);
    part each;
    std::istringstream head(body.substr(position, head_end - position));
    for (std::string line; std::getline(head, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::size_t colon = line.find(": ");
      REQUIRE(colon != std::string::npos);
      if (line.substr(0, colon) == "Content-Type") each.content_type = line.substr(colon + 2);
      if (line.substr(0, colon) == "Content-Range") each.content_range = line.substr(colon + 2);
    }
    const std::size_t next = body.find("\r\n" + delimiter, head_end + 4);
    REQUIRE(next != std::string::npos);
    each.body = body.substr(head_end + 4, next - head_end - 4);
    parts.push_back(std::move(each));
    position = next + 2 + delimiter.size();
    if (body.compare(position, 4, "--\r\n") == 0) {
      CHECK(position + 4 == body.size());
      break;
    }
    REQUIRE(body.compare(position, 2, "\r\n") == 0);
    position += 2;
  }
  return parts;
}

}  // namespace

TEST_CASE("a file, HEAD, 405 and 404") {
  test_server server{&make_app};
  const http_reply got = fetch(server.port(), "/static/hello.txt");
  CHECK(got.status == 200);
  CHECK(got.body == "Hello, static world!\n");
  CHECK(field(got, "Content-Type") == "text/plain; charset=utf-8");
  CHECK(field(got, "Content-Length") == "21");
  CHECK(field(got, "Accept-Ranges") == "bytes");
  CHECK(field(got, "Cache-Control") == "public, max-age=3600");
  CHECK(field(got, "X-Content-Type-Options") == "nosniff");
  CHECK(field(got, "Vary") == "<absent>");
  CHECK(field(got, "ETag").starts_with("\""));
  struct stat facts {};
  REQUIRE(::stat((the_site().root / "hello.txt").c_str(), &facts) == 0);
  char modified[32];
  const std::size_t length = ar::detail::format_http_date(facts.st_mtim.tv_sec, modified);
  CHECK(field(got, "Last-Modified") == std::string(modified, length));

  const http_reply head = fetch(server.port(), "/static/hello.txt", "", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(field(head, "Content-Length") == "21");
  CHECK(field(head, "ETag") == field(got, "ETag"));

  const http_reply posted = fetch(server.port(), "/static/hello.txt", "Content-Length: 0\r\n", "POST");
  CHECK(posted.status == 405);
  CHECK(field(posted, "Allow").starts_with("GET, HEAD"));

  const http_reply missing = fetch(server.port(), "/static/nothing-here.txt");
  CHECK(missing.status == 404);
  CHECK(field(missing, "Content-Type") == "application/problem+json");

  // The query never changes the file.
  CHECK(fetch(server.port(), "/static/hello.txt?file=../secret.txt&x=%2e%2e").body == got.body);
  // Other routes still answer beside the mount.
  CHECK(fetch(server.port(), "/api").body == "api");
  // Content types from the table, and from the mount's own.
  CHECK(field(fetch(server.port(), "/static/app.js"), "Content-Type") == "text/javascript; charset=utf-8");
  CHECK(field(fetch(server.port(), "/static/page.css"), "Content-Type") == "text/css; charset=utf-8");
  CHECK(field(fetch(server.port(), "/assets/v1/hello.txt"), "Content-Type") == "text/x-custom");
  CHECK(field(fetch(server.port(), "/assets/v1/hello.txt"), "Cache-Control") == "<absent>");
  CHECK(field(fetch(server.port(), "/open/hello.txt"), "Cache-Control") == "no-cache");
}

TEST_CASE("folders: index.html, and a redirect to the trailing slash") {
  test_server server{&make_app};
  const http_reply folder = fetch(server.port(), "/static/docs/");
  CHECK(folder.status == 200);
  CHECK(folder.body == "<h1>docs index</h1>");
  CHECK(field(folder, "Content-Type") == "text/html; charset=utf-8");
  CHECK(fetch(server.port(), "/static/").body == "<h1>root index</h1>");

  const http_reply bare = fetch(server.port(), "/static/docs?page=2");
  CHECK(bare.status == 301);
  CHECK(field(bare, "Location") == "/static/docs/?page=2");
  const http_reply mount = fetch(server.port(), "/static");
  CHECK(mount.status == 301);
  CHECK(field(mount, "Location") == "/static/");

  CHECK(fetch(server.port(), "/static/nodir/").status == 404);      // no index inside
  CHECK(fetch(server.port(), "/static/hello.txt/").status == 404);  // a file is no folder
  // The prefix ends on a segment boundary.
  CHECK(fetch(server.port(), "/static../hello.txt").status == 404);
  CHECK(fetch(server.port(), "/statichello.txt").status == 404);
}

TEST_CASE("validators and conditional requests") {
  test_server server{&make_app};
  const http_reply first = fetch(server.port(), "/static/hello.txt");
  const std::string tag = field(first, "ETag");
  const std::string modified = field(first, "Last-Modified");

  const http_reply unchanged = fetch(server.port(), "/static/hello.txt", "If-None-Match: " + tag + "\r\n");
  CHECK(unchanged.status == 304);
  CHECK(unchanged.body.empty());
  CHECK(field(unchanged, "ETag") == tag);
  CHECK(field(unchanged, "Last-Modified") == modified);
  CHECK(field(unchanged, "Cache-Control") == "public, max-age=3600");
  CHECK(field(unchanged, "Content-Length") == "<absent>");
  CHECK(fetch(server.port(), "/static/hello.txt", "If-None-Match: \"other\", W/" + tag + "\r\n").status == 304);
  CHECK(fetch(server.port(), "/static/hello.txt", "If-None-Match: *\r\n").status == 304);
  CHECK(fetch(server.port(), "/static/hello.txt", "If-None-Match: \"other\"\r\n").status == 200);
  CHECK(fetch(server.port(), "/static/hello.txt", "If-None-Match: " + tag + "\r\n", "HEAD").status == 304);

  CHECK(fetch(server.port(), "/static/hello.txt", "If-Modified-Since: " + modified + "\r\n").status == 304);
  CHECK(fetch(server.port(), "/static/hello.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status ==
        200);
  // If-None-Match decides when both are sent.
  CHECK(fetch(server.port(), "/static/hello.txt", "If-None-Match: \"other\"\r\nIf-Modified-Since: " + modified + "\r\n")
            .status == 200);

  CHECK(fetch(server.port(), "/static/hello.txt", "If-Match: " + tag + "\r\n").status == 200);
  const http_reply failed = fetch(server.port(), "/static/hello.txt", "If-Match: \"other\"\r\n");
  CHECK(failed.status == 412);
  CHECK(field(failed, "Content-Type") == "application/problem+json");
  CHECK(fetch(server.port(), "/static/hello.txt", "If-Match: W/" + tag + "\r\n").status == 412);  // strong only
  CHECK(fetch(server.port(), "/static/hello.txt", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status ==
        412);
  CHECK(fetch(server.port(), "/static/hello.txt", "If-Unmodified-Since: " + modified + "\r\n").status == 200);

  // The tag changes with the file, even within the same second.
  const fs::path changing = the_site().root / "changing.txt";
  write_file(changing, "version one");
  const std::string before = field(fetch(server.port(), "/static/changing.txt"), "ETag");
  write_file(changing, "version two");
  const http_reply after = fetch(server.port(), "/static/changing.txt", "If-None-Match: " + before + "\r\n");
  CHECK(after.status == 200);
  CHECK(after.body == "version two");
  CHECK(field(after, "ETag") != before);
  fs::remove(changing);
}

TEST_CASE("ranges: one, several, unsatisfiable, malformed, If-Range and the limit") {
  test_server server{&make_app};
  const std::string& big = the_site().big;
  const std::string length = std::to_string(big.size());

  const http_reply first = fetch(server.port(), "/static/big.bin", "Range: bytes=0-9\r\n");
  CHECK(first.status == 206);
  CHECK(first.body == big.substr(0, 10));
  CHECK(field(first, "Content-Range") == "bytes 0-9/" + length);
  CHECK(field(first, "Content-Length") == "10");
  const http_reply suffix = fetch(server.port(), "/static/big.bin", "Range: bytes=-300\r\n");
  CHECK(suffix.status == 206);
  CHECK(suffix.body == big.substr(big.size() - 300));
  CHECK(field(suffix, "Content-Range") == "bytes 99700-99999/" + length);
  const http_reply open = fetch(server.port(), "/static/big.bin", "Range: bytes=99990-\r\n");
  CHECK(open.body == big.substr(99990));

  const http_reply several = fetch(server.port(), "/static/big.bin", "Range: bytes=0-99, 5000-5999, 99000-\r\n");
  CHECK(several.status == 206);
  CHECK(field(several, "Content-Type").starts_with("multipart/byteranges; boundary="));
  CHECK(field(several, "Content-Length") == std::to_string(several.body.size()));
  const std::vector<part> parts = parse_multipart(field(several, "Content-Type"), several.body);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].body == big.substr(0, 100));
  CHECK(parts[0].content_range == "bytes 0-99/" + length);
  CHECK(parts[0].content_type == "application/octet-stream");
  CHECK(parts[1].body == big.substr(5000, 1000));
  CHECK(parts[1].content_range == "bytes 5000-5999/" + length);
  CHECK(parts[2].body == big.substr(99000));
  CHECK(parts[2].content_range == "bytes 99000-99999/" + length);

  // Overlapping ranges are merged: one range, so no multipart.
  const http_reply merged = fetch(server.port(), "/static/big.bin", "Range: bytes=0-50, 20-99, 100-199\r\n");
  CHECK(merged.status == 206);
  CHECK(field(merged, "Content-Range") == "bytes 0-199/" + length);
  CHECK(merged.body == big.substr(0, 200));

  const http_reply unsatisfiable = fetch(server.port(), "/static/big.bin", "Range: bytes=100000-\r\n");
  CHECK(unsatisfiable.status == 416);
  CHECK(field(unsatisfiable, "Content-Range") == "bytes */" + length);

  for (const char* malformed : {"bytes=abc", "bytes=9-5", "lines=0-5", "bytes="}) {
    CAPTURE(malformed);
    const http_reply whole = fetch(server.port(), "/static/big.bin", std::string("Range: ") + malformed + "\r\n");
    CHECK(whole.status == 200);
    CHECK(whole.body.size() == big.size());
  }
  // More ranges than the mount's limit (4): the whole file.
  const http_reply too_many = fetch(server.port(), "/static/big.bin", "Range: bytes=0-0,2-2,4-4,6-6,8-8\r\n");
  CHECK(too_many.status == 200);
  CHECK(too_many.body == big);

  const std::string tag = field(first, "ETag");
  const http_reply current = fetch(server.port(), "/static/big.bin", "Range: bytes=0-9\r\nIf-Range: " + tag + "\r\n");
  CHECK(current.status == 206);
  CHECK(current.body == big.substr(0, 10));
  const http_reply stale =
      fetch(server.port(), "/static/big.bin", "Range: bytes=0-9\r\nIf-Range: \"an-older-version\"\r\n");
  CHECK(stale.status == 200);
  CHECK(stale.body == big);
  const http_reply by_date = fetch(server.port(), "/static/big.bin",
                                   "Range: bytes=0-9\r\nIf-Range: " + field(first, "Last-Modified") + "\r\n");
  CHECK(by_date.status == 206);
  // A file whose date is not yet past (changed within the current second, or, here, dated an
  // hour ahead) has no strong date: If-Range by date gives it whole.
  const fs::path fresh = the_site().root / "fresh.bin";
  write_file(fresh, big.substr(0, 1000));
  fs::last_write_time(fresh, fs::file_time_type::clock::now() + std::chrono::hours(1));
  const http_reply fresh_reply = fetch(server.port(), "/static/fresh.bin");
  const http_reply fresh_by_date =
      fetch(server.port(), "/static/fresh.bin",
            "Range: bytes=0-9\r\nIf-Range: " + field(fresh_reply, "Last-Modified") + "\r\n");
  CHECK(fresh_by_date.status == 200);
  CHECK(fresh_by_date.body == big.substr(0, 1000));
  CHECK(
      fetch(server.port(), "/static/fresh.bin", "Range: bytes=0-9\r\nIf-Range: " + field(fresh_reply, "ETag") + "\r\n")
          .status == 206);
  fs::remove(fresh);
  // HEAD has no ranges (RFC 9110 §14.2: GET only).
  CHECK(fetch(server.port(), "/static/big.bin", "Range: bytes=0-9\r\n", "HEAD").status == 200);
}

TEST_CASE("precompressed siblings follow Accept-Encoding") {
  test_server server{&make_app};
  const http_reply brotli = fetch(server.port(), "/assets/v1/app.js", "Accept-Encoding: gzip, br\r\n");
  CHECK(brotli.status == 200);
  CHECK(brotli.body == "BROTLI-BYTES");
  CHECK(field(brotli, "Content-Encoding") == "br");
  CHECK(field(brotli, "Content-Type") == "text/javascript; charset=utf-8");
  CHECK(field(brotli, "Vary") == "Accept-Encoding");

  const http_reply gzip = fetch(server.port(), "/assets/v1/app.js", "Accept-Encoding: br;q=0, gzip\r\n");
  CHECK(gzip.body == "GZIP-BYTES");
  CHECK(field(gzip, "Content-Encoding") == "gzip");
  CHECK(field(gzip, "ETag") != field(brotli, "ETag"));
  CHECK(fetch(server.port(), "/assets/v1/app.js", "Accept-Encoding: gzip;q=1, br;q=0.5\r\n").body == "GZIP-BYTES");

  const http_reply refused = fetch(server.port(), "/assets/v1/app.js", "Accept-Encoding: br;q=0, gzip;q=0\r\n");
  CHECK(refused.body == "console.log('plain');");
  CHECK(field(refused, "Content-Encoding") == "<absent>");
  CHECK(field(refused, "Vary") == "Accept-Encoding");
  const http_reply plain = fetch(server.port(), "/assets/v1/app.js");
  CHECK(plain.body == "console.log('plain');");
  CHECK(field(plain, "Vary") == "Accept-Encoding");
  CHECK(field(plain, "ETag") != field(brotli, "ETag"));
  // A 304 for the sibling's own tag.
  CHECK(fetch(server.port(), "/assets/v1/app.js",
              "Accept-Encoding: br\r\nIf-None-Match: " + field(brotli, "ETag") + "\r\n")
            .status == 304);
  // A mount without the option sends the original.
  CHECK(fetch(server.port(), "/static/app.js", "Accept-Encoding: br, gzip\r\n").body == "console.log('plain');");
}

TEST_CASE("traversal attempts are refused and never serve a file outside the root") {
  test_server server{&make_app};
  const std::vector<std::string> attempts = {
      "/static/../secret.txt",
      "/static/%2e%2e/secret.txt",
      "/static/%2E%2E/secret.txt",
      "/static/%2E./secret.txt",
      "/static/.%2e/secret.txt",
      "/static/%252e%252e/secret.txt",
      "/static/docs/../../secret.txt",
      "/static/docs/%2e%2e/%2e%2e/secret.txt",
      "/static/..%2fsecret.txt",
      "/static/..%2Fsecret.txt",
      "/static/docs%2f..%2f..%2fsecret.txt",
      "/static/..%5csecret.txt",
      "/static/..%5Csecret.txt",
      "/static/..\\secret.txt",
      "/static/hello.txt%00.png",
      "/static/%00",
      "/static/%c0%ae%c0%ae/secret.txt",
      "/static/%c0%ae%c0%ae%c0%afsecret.txt",
      "/static/%e0%80%ae%e0%80%ae/secret.txt",
      "/static/..;/secret.txt",
      "/static/hello.txt;/../../secret.txt",
      "/static//etc/passwd",
      "/static///etc/passwd",
      "/static/%2fetc%2fpasswd",
      "/static/escape.txt",
      "/static/up/secret.txt",
      "/static/up/root/hello.txt",
      "/static/.env",
      "/static/%2eenv",
      "/static/.well-known/x.txt",
      "/static../secret.txt",
      "/static/./hello.txt",
  };
  for (const std::string& target : attempts) {
    CAPTURE(target);
    http_reply reply;
    try {
      reply = fetch(server.port(), target);
    } catch (const std::exception&) {
      continue;  // the connection was closed without an answer: nothing was served either
    }
    CHECK((reply.status == 400 || reply.status == 404));
    CHECK(reply.body.find(secret) == std::string::npos);
    CHECK(reply.body.find("root:") == std::string::npos);
    CHECK(reply.body.find("PASSWORD") == std::string::npos);
  }
  // The server still answers afterwards, and serves what is inside.
  CHECK(fetch(server.port(), "/static/hello.txt").status == 200);
  CHECK(fetch(server.port(), "/static/inside.txt").body == "Hello, static world!\n");  // a link inside the root
  // A mount that allows hidden files and links out of the root serves them.
  CHECK(fetch(server.port(), "/open/.env").body == "PASSWORD=hunter2");
  CHECK(fetch(server.port(), "/open/.well-known/x.txt").body == "well known");
  CHECK(fetch(server.port(), "/open/escape.txt").body == secret);
  // ... but still refuses names that climb.
  CHECK(fetch(server.port(), "/open/%2e%2e/secret.txt").status == 400);
}

TEST_CASE("a handler's own validators: conditional() and the middleware") {
  test_server server{&make_app};
  const http_reply fresh = fetch(server.port(), "/dynamic");
  CHECK(fresh.status == 200);
  CHECK(fresh.body == "dynamic body");
  const http_reply cached = fetch(server.port(), "/dynamic", "If-None-Match: \"d-1\"\r\n");
  CHECK(cached.status == 304);
  CHECK(cached.body.empty());
  CHECK(field(cached, "ETag") == "\"d-1\"");
  CHECK(field(cached, "Cache-Control") == "max-age=5");
  CHECK(field(cached, "Content-Type") == "<absent>");
  CHECK(fetch(server.port(), "/dynamic", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status == 304);
  CHECK(fetch(server.port(), "/dynamic", "If-Match: \"d-0\"\r\n").status == 412);

  CHECK(fetch(server.port(), "/dynamic", "If-Match: \"d-1\"\r\nContent-Length: 0\r\n", "PUT").status == 200);
  CHECK(fetch(server.port(), "/dynamic", "If-Match: \"d-0\"\r\nContent-Length: 0\r\n", "PUT").status == 412);
  CHECK(fetch(server.port(), "/dynamic", "If-None-Match: *\r\nContent-Length: 0\r\n", "PUT").status == 412);

  test_server with_middleware{&make_middleware_app};
  CHECK(fetch(with_middleware.port(), "/tagged").status == 200);
  CHECK(fetch(with_middleware.port(), "/tagged", "If-None-Match: W/\"t-7\"\r\n").status == 304);
  CHECK(fetch(with_middleware.port(), "/tagged", "If-None-Match: \"t-7\"\r\n").status == 304);  // weak comparison
  CHECK(fetch(with_middleware.port(), "/tagged", "If-Match: \"t-7\"\r\n").status == 412);       // strong comparison
}

TEST_CASE("curl: -r, -z, If-None-Match and --compressed") {
  test_server server{&make_app};
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string& big = the_site().big;

  CHECK(run("curl -s --max-time 20 -r 100-199 " + base + "/static/big.bin") == big.substr(100, 100));
  CHECK(run("curl -s --max-time 20 -r -50 " + base + "/static/big.bin") == big.substr(big.size() - 50));
  const std::string headers = run("curl -s --max-time 20 -D - -o /dev/null -r 0-0,10-10 " + base + "/static/big.bin");
  CHECK(headers.starts_with("HTTP/1.1 206 Partial Content\r\n"));
  CHECK(headers.find("Content-Type: multipart/byteranges; boundary=") != std::string::npos);

  // -z with a date: If-Modified-Since; the file is older, so 304 and no body.
  const std::string not_modified =
      run("curl -s --max-time 20 -o /dev/null -w '%{http_code}' -z 'Tue, 01 Jan 2999 00:00:00 GMT' " + base +
          "/static/hello.txt");
  CHECK(not_modified == "304");
  CHECK(run("curl -s --max-time 20 -z 'Sun, 06 Nov 1994 08:49:37 GMT' " + base + "/static/hello.txt") ==
        "Hello, static world!\n");

  const std::string tag = field(fetch(server.port(), "/static/hello.txt"), "ETag");
  CHECK(run("curl -s --max-time 20 -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + tag + "' " + base +
            "/static/hello.txt") == "304");

  // --compressed: curl asks for gzip and br, gets page.css.gz (there is no .br), and decodes it.
  CHECK(run("curl -s --max-time 20 --compressed " + base + "/assets/v1/page.css") ==
        read_whole(the_site().root / "page.css"));
  const std::string compressed_head =
      run("curl -s --max-time 20 --compressed -D - -o /dev/null " + base + "/assets/v1/page.css");
  CHECK(compressed_head.find("Content-Encoding: gzip\r\n") != std::string::npos);
  CHECK(compressed_head.find("Vary: Accept-Encoding\r\n") != std::string::npos);

  // --path-as-is keeps curl from resolving the dots itself.
  const std::string climbed =
      run("curl -s --max-time 20 --path-as-is -w '%{http_code}' " + base + "/static/../secret.txt");
  CHECK(climbed.find(secret) == std::string::npos);
  CHECK((climbed.ends_with("400") || climbed.ends_with("404")));
}

TEST_CASE("the project's client: a range and a conditional request") {
  test_server server{&make_app};
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  asyncrest::testing::run_client({}, [&](ar::client& http) -> ar::task<void> {
    ar::headers range;
    range.set("Range", "bytes=10-19");
    auto partial = co_await http.get(base + "/static/big.bin", range);
    CHECK(partial.status == ar::status::partial_content);
    CHECK(partial.body == the_site().big.substr(10, 10));

    auto whole = co_await http.get(base + "/static/hello.txt");
    CHECK(whole.status == ar::status::ok);
    ar::headers conditional;
    conditional.set("If-None-Match", std::string(whole.headers.get("ETag").value_or("")));
    auto unchanged = co_await http.get(base + "/static/hello.txt", conditional);
    CHECK(unchanged.status == ar::status::not_modified);
    CHECK(unchanged.body.empty());
  });
}
