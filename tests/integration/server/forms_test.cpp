// Forms over real sockets: urlencoded bodies from curl --data-urlencode, Python's requests and
// the project's client; multipart uploads from curl -F, requests' files= and the client's
// multipart_body, a 20 MiB file streamed to disk and compared byte for byte; the part-by-part
// reader; every malformed body and every limit answered with its status, with no temporary file
// left behind.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/python_script.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <stdlib.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ar = asyncrest;
namespace fs = std::filesystem;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

/// FNV-1a: a checksum the test computes on both sides.
std::uint64_t checksum(std::string_view bytes, std::uint64_t hash = 14695981039346656037ULL) {
  for (const char byte : bytes) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Bytes of every value, CR, LF and dashes among them, so that delimiters are nearly matched often.
std::string pattern(std::size_t size) {
  static constexpr char letters[] = "\r\n-abc\r\n--\0xyz\xff";
  constexpr std::string_view alphabet(letters, sizeof letters - 1);
  std::string bytes(size, '\0');
  std::uint32_t state = 12345;
  for (std::size_t index = 0; index < size; ++index) {
    state = state * 1664525 + 1013904223;
    bytes[index] = (state >> 28) < 8 ? alphabet[(state >> 16) % alphabet.size()] : static_cast<char>(state >> 20);
  }
  return bytes;
}

/// A directory of its own for each test, removed at its end.
struct scratch_directory {
  fs::path path;
  scratch_directory() {
    std::string name = (fs::temp_directory_path() / "asyncrest-forms-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("cannot make a scratch directory");
    path = name;
    fs::create_directory(path / "uploads");
  }
  ~scratch_directory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  [[nodiscard]] fs::path uploads() const { return path / "uploads"; }
  [[nodiscard]] std::size_t uploads_left() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(uploads()), fs::directory_iterator()));
  }
  fs::path write(std::string_view name, std::string_view bytes) const {
    const fs::path file = path / name;
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }
};

struct probe {
  fs::path uploads;
  fs::path kept;
  std::atomic<std::size_t> largest_piece{0};
};

std::string describe(const ar::multipart_form& form) {
  std::string out;
  for (const ar::form_field& field : form.fields) out += "field " + field.name + "=" + field.value + "\n";
  for (const ar::uploaded_file& file : form.files) {
    out += "file " + file.field_name() + " [" + file.filename() + "] " + file.content_type() + " " +
           std::to_string(file.size()) + " " + std::to_string(checksum(read_file(file.path()))) + "\n";
  }
  return out;
}

auto make_app(probe& state) {
  probe* const p = &state;
  return ar::app{ar::routes(ar::post<"/form">([](ar::request& req) -> ar::task<ar::response> {
                              const ar::form_fields form = co_await ar::read_form(req);
                              std::string out;
                              for (const ar::form_field& field : form) out += field.name + "=" + field.value + "\n";
                              out += "tags:";
                              for (const std::string_view tag : form.get_all("tag")) out += " " + std::string(tag);
                              co_return ar::text(out);
                            }),
                            ar::post<"/form/streamed">([](ar::request& req) -> ar::task<ar::response> {
                              const ar::form_fields form = co_await ar::read_form(req);
                              co_return ar::text(std::string(form.get("a").value_or("-")) + " " +
                                                 std::to_string(form.size()));
                            }).body({.streamed = true}),
                            ar::post<"/form/small">([](ar::request& req) -> ar::task<ar::response> {
                              ar::form_limits limits;
                              limits.max_fields = 2;
                              const ar::form_fields form = co_await ar::read_form(req, limits);
                              co_return ar::text(std::to_string(form.size()));
                            }),
                            ar::post<"/upload">([p](ar::request& req) -> ar::task<ar::response> {
                              ar::multipart_settings settings;
                              settings.upload_directory = p->uploads;
                              const ar::multipart_form form = co_await ar::read_multipart(req, settings);
                              co_return ar::text(describe(form));
                            }).body({.max_bytes = 64 * 1024 * 1024, .streamed = true}),
                            ar::post<"/upload/buffered">([p](ar::request& req) -> ar::task<ar::response> {
                              ar::multipart_settings settings;
                              settings.upload_directory = p->uploads;
                              const ar::multipart_form form = co_await ar::read_multipart(req, settings);
                              co_return ar::text(describe(form));
                            }),
                            ar::post<"/upload/keep">([p](ar::request& req) -> ar::task<ar::response> {
                              ar::multipart_settings settings;
                              settings.upload_directory = p->uploads;
                              ar::multipart_form form = co_await ar::read_multipart(req, settings);
                              if (form.files.size() != 1)
                                throw ar::http_error(ar::status::bad_request, "one file expected");
                              form.files.front().move_to(p->kept);
                              co_return ar::text(describe(form));
                            }).body({.max_bytes = 64 * 1024 * 1024, .streamed = true}),
                            ar::post<"/upload/limited">([p](ar::request& req) -> ar::task<ar::response> {
                              ar::multipart_settings settings;
                              settings.upload_directory = p->uploads;
                              settings.limits.max_parts = 3;
                              settings.limits.max_header_bytes = 256;
                              settings.limits.max_headers_per_part = 3;
                              settings.limits.max_field_bytes = 16;
                              settings.limits.max_total_field_bytes = 24;
                              settings.limits.max_file_bytes = 1024;
                              const ar::multipart_form form = co_await ar::read_multipart(req, settings);
                              co_return ar::text(describe(form));
                            }).body({.streamed = true}),
                            // Part by part, each file's content to a sink of the handler's own (a checksum).
                            ar::post<"/parts">([p](ar::request& req) -> ar::task<ar::response> {
                              ar::multipart_reader form(req);
                              std::string out;
                              while (ar::multipart_part* part = co_await form.next_part()) {
                                out += std::string(part->name()) + "|" + std::string(part->filename().value_or("-")) +
                                       "|" + std::string(part->content_type()) + "|";
                                if (part->name() == "skipped") {
                                  out += "skipped\n";
                                  continue;
                                }
                                std::uint64_t hash = checksum("");
                                for (;;) {
                                  const std::string_view piece = co_await part->read();
                                  if (piece.empty()) break;
                                  hash = checksum(piece, hash);
                                  if (piece.size() > p->largest_piece) p->largest_piece = piece.size();
                                }
                                out += std::to_string(part->size()) + "|" + std::to_string(hash) + "\n";
                              }
                              co_return ar::text(out);
                            }).body({.max_bytes = 64 * 1024 * 1024, .streamed = true}),
                            // Files handed to a sink of the handler's own, fields collected.
                            ar::post<"/sink">([](ar::request& req) -> ar::task<ar::response> {
                              std::string files;
                              const ar::form_fields fields = co_await ar::read_multipart(
                                  req, ar::multipart_settings(), [&files](ar::multipart_part& part) -> ar::task<void> {
                                    const std::string content = co_await part.read_all();
                                    files += std::string(part.name()) + ":" + std::to_string(content.size()) + ";";
                                  });
                              co_return ar::text(files + " fields " + std::to_string(fields.size()));
                            }).body({.streamed = true}))};
}

struct app_factory {
  probe* state;
  auto operator()() const { return make_app(*state); }
};
using server_type = test_server<app_factory>;

app_factory prepared(probe& state, const scratch_directory& scratch) {
  state.uploads = scratch.uploads();
  state.kept = scratch.path / "kept.bin";
  return app_factory{&state};
}

struct fixture {
  scratch_directory scratch;
  probe state;
  server_type server{prepared(state, scratch)};
  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
  }
};

/// Runs a shell command; its standard output and exit status.
std::pair<std::string, int> capture(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  std::array<char, 4096> chunk{};
  std::size_t got = 0;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), got);
  return {output, ::pclose(pipe)};
}

std::string multipart_request(std::string_view path, std::string_view body, std::string_view boundary = "XyZ") {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + std::string(boundary) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string field_part(std::string_view name, std::string_view value, std::string_view boundary = "XyZ") {
  return "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"\r\n\r\n" + std::string(value) + "\r\n";
}

std::string file_part(std::string_view name, std::string_view filename, std::string_view content) {
  return "--XyZ\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" +
         std::string(filename) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + std::string(content) + "\r\n";
}

/// The status and detail of a problem+json answer.
std::string problem(const http_reply& reply) {
  const bool is_problem = reply.header("Content-Type") == "application/problem+json";
  return std::to_string(reply.status) + (is_problem ? " " : " (not problem+json) ") + reply.body;
}

}  // namespace

TEST_CASE("curl --data-urlencode: encoded values, repeated names in order") {
  fixture f;
  const auto [output, status] = capture(
      "curl -sS --max-time 30 --data-urlencode 'name=Ada Lovelace' --data-urlencode 'q=a&b=c+d%' -d tag=x "
      "-d tag=y " +
      f.url("/form"));
  CHECK(status == 0);
  CHECK(output == "name=Ada Lovelace\nq=a&b=c+d%\ntag=x\ntag=y\ntags: x y");
}

TEST_CASE("urlencoded refusals: malformed escape 400, another Content-Type 415, too many fields 413") {
  fixture f;
  const auto post = [&](std::string_view path, std::string_view content_type, std::string_view body) {
    return ar::testing::exchange(
        f.server.port(), "POST " + std::string(path) +
                             " HTTP/1.1\r\nHost: x\r\nContent-Type: " + std::string(content_type) +
                             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
  };
  CHECK(post("/form", "application/x-www-form-urlencoded", "a=%zz").status == 400);
  CHECK(problem(post("/form", "application/x-www-form-urlencoded", "a=%zz")).starts_with("400 {"));
  CHECK(post("/form", "application/json", "{}").status == 415);
  CHECK(post("/form/small", "application/x-www-form-urlencoded; charset=UTF-8", "a=1&b=2").body == "2");
  CHECK(post("/form/streamed", "application/x-www-form-urlencoded", "a=x+y&b=2&c=" + std::string(100000, 'c')).body ==
        "x y 3");
  CHECK(post("/form/small", "application/x-www-form-urlencoded", "a=1&b=2&c=3").status == 413);
}

TEST_CASE("curl -F: fields and files, one of 20 MiB streamed to disk, the temporary files gone after") {
  fixture f;
  const std::string big = pattern(20 * 1024 * 1024);
  const fs::path big_file = f.scratch.write("big.bin", big);
  const fs::path small_file = f.scratch.write("notes.txt", "line one\r\nline two\r\n");
  const auto [output, status] =
      capture("curl -sS --max-time 60 -F title=hello -F 'note=two words' -F 'small=@" + small_file.string() +
              ";type=text/plain' -F 'big=@" + big_file.string() + "' " + f.url("/upload"));
  CHECK(status == 0);
  CHECK(output ==
        "field title=hello\nfield note=two words\n"
        "file small [notes.txt] text/plain 20 " +
            std::to_string(checksum("line one\r\nline two\r\n")) +
            "\n"
            "file big [big.bin] application/octet-stream " +
            std::to_string(big.size()) + " " + std::to_string(checksum(big)) + "\n");
  CHECK(f.scratch.uploads_left() == 0);  // removed when the handler's form went away
}

TEST_CASE("the part-by-part reader gives pieces no larger than a read, and skips what is not read") {
  fixture f;
  const std::string big = pattern(20 * 1024 * 1024);
  const fs::path big_file = f.scratch.write("big.bin", big);
  const auto [output, status] =
      capture("curl -sS --max-time 60 -F skipped=@" + big_file.string() + " -F 'big=@" + big_file.string() +
              ";filename=renamed.bin;type=image/png' -F after=1 " + f.url("/parts"));
  CHECK(status == 0);
  CHECK(output ==
        "skipped|big.bin|application/octet-stream|skipped\n"
        "big|renamed.bin|image/png|" +
            std::to_string(big.size()) + "|" + std::to_string(checksum(big)) +
            "\n"
            "after|-|text/plain|1|" +
            std::to_string(checksum("1")) + "\n");
  MESSAGE("largest piece: " << f.state.largest_piece.load());
  CHECK(f.state.largest_piece <= 64 * 1024);
}

TEST_CASE("Python's requests: data= and files=, a UTF-8 filename") {
  fixture f;
  const std::string content = pattern(300 * 1024);
  const fs::path file = f.scratch.write("upload.bin", content);
  const std::string script = R"(
import sys, requests
url, path = sys.argv[1], sys.argv[2]
with open(path, 'rb') as upload:
    reply = requests.post(url + '/upload', data={'city': 'Zürich', 'tag': ['a', 'b']},
                          files={'doc': ('résumé.bin', upload, 'application/x-custom')})
print(reply.status_code)
print(reply.text, end='')
reply = requests.post(url + '/form', data=[('name', 'Ada Lovelace'), ('tag', 'x&y'), ('tag', '100%')])
print(reply.status_code)
print(reply.text)
)";
  ar::testing::python_script python(script, f.url("") + " " + file.string());
  const auto [output, status] = python.finish();
  CHECK(status == 0);
  CHECK(output ==
        "200\nfield city=Z\xC3\xBCrich\nfield tag=a\nfield tag=b\n"
        "file doc [r\xC3\xA9sum\xC3\xA9.bin] application/x-custom " +
            std::to_string(content.size()) + " " + std::to_string(checksum(content)) +
            "\n"
            "200\nname=Ada Lovelace\ntag=x&y\ntag=100%\ntags: x&y 100%\n");
  CHECK(f.scratch.uploads_left() == 0);
}

TEST_CASE("the project's client posts a form and a 20 MiB multipart upload read from disk") {
  fixture f;
  const std::string big = pattern(20 * 1024 * 1024);
  const fs::path big_file = f.scratch.write("big.bin", big);
  const std::string form_url = f.url("/form");
  const std::string keep_url = f.url("/upload/keep");
  const std::string sink_url = f.url("/sink");
  ar::testing::run_client({}, [&](ar::client& http) -> ar::task<void> {
    const std::vector<std::pair<std::string, std::string>> fields{
        {"name", "Ada Lovelace"}, {"tag", "a&b=c"}, {"tag", "caf\xC3\xA9 100%"}};
    const ar::client_response form = co_await http.post_form(form_url, fields);
    CHECK(form.status == ar::status::ok);
    CHECK(form.body == "name=Ada Lovelace\ntag=a&b=c\ntag=caf\xC3\xA9 100%\ntags: a&b=c caf\xC3\xA9 100%");

    ar::multipart_body upload;
    upload.add_field("title", "a \"quoted\" title\r\nwith two lines")
        .add_file("data", big_file, "application/octet-stream", "name with \"quotes\" and \\.bin");
    const ar::client_response kept = co_await http.post_multipart(keep_url, std::move(upload));
    CHECK(kept.status == ar::status::ok);
    CHECK(kept.body ==
          "field title=a \"quoted\" title\r\nwith two lines\n"
          "file data [name with \"quotes\" and \\.bin] application/octet-stream " +
              std::to_string(big.size()) + " " + std::to_string(checksum(big)) + "\n");

    ar::multipart_body in_memory;
    in_memory.add_file_content("one", "1.txt", "first").add_field("plain", "v").add_file_content("two", "2.txt", "");
    const ar::client_response sunk = co_await http.post_multipart(sink_url, std::move(in_memory));
    CHECK(sunk.body == "one:5;two:0; fields 1");

    ar::multipart_body missing;  // a file that is not there: refused before anything is sent
    missing.add_field("a", "1").add_file("f", f.scratch.path / "absent.bin");
    const ar::result<ar::client_response> refused = co_await http.try_post_multipart(keep_url, std::move(missing));
    CHECK_FALSE(refused);
    CHECK(refused.error() == ar::client_errc::invalid_request);
    CHECK(refused.error_details().message.find("absent.bin") != std::string::npos);

    // A file whose size is not what it reads (Linux reports 0 for /proc files): the request
    // fails rather than sending a body that breaks its Content-Length.
    ar::multipart_body growing;
    growing.add_file("f", "/proc/self/status");
    const ar::result<ar::client_response> broken = co_await http.try_post_multipart(keep_url, std::move(growing));
    CHECK_FALSE(broken);
    CHECK(broken.error() == ar::client_errc::invalid_request);
    CHECK(broken.error_details().message.find("changed size while it was sent") != std::string::npos);

    // The client goes on: a new connection for the next request.
    CHECK((co_await http.post_form(form_url, fields)).status == ar::status::ok);
  });
  CHECK(read_file(f.state.kept) == big);  // moved out of the temporary folder, byte for byte
  CHECK(f.scratch.uploads_left() == 0);
}

TEST_CASE("a buffered route reads multipart bodies too") {
  fixture f;
  const http_reply reply = ar::testing::exchange(
      f.server.port(),
      multipart_request("/upload/buffered", field_part("a", "1") + file_part("f", "x.txt", "abc") + "--XyZ--"));
  CHECK(reply.status == 200);
  CHECK(reply.body == "field a=1\nfile f [x.txt] application/octet-stream 3 " + std::to_string(checksum("abc")) + "\n");
}

TEST_CASE("malformed multipart bodies are 400 and leave no temporary file") {
  fixture f;
  const auto post = [&](std::string_view body, std::string_view boundary = "XyZ") {
    return ar::testing::exchange(f.server.port(), multipart_request("/upload", body, boundary));
  };
  const std::string file = file_part("f", "x.bin", pattern(100 * 1024));
  // No final delimiter, after a file had been started.
  CHECK(problem(post(field_part("a", "1") + file)) ==
        "400 {\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"the multipart body ends "
        "before its final delimiter\"}");
  CHECK(f.scratch.uploads_left() == 0);
  // A delimiter with another boundary than the Content-Type's.
  CHECK(post(field_part("a", "1", "Other") + "--Other--").status == 400);
  // A part's header block over the limit (8 KiB by default).
  CHECK(post("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Filler: " + std::string(9000, 'x') +
             "\r\n\r\n1\r\n--XyZ--")
            .body.find("header block is larger than 8192 bytes") != std::string::npos);
  // A part without Content-Disposition.
  CHECK(post("--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--").status == 400);
  // A filename* in another charset than UTF-8: refused plainly.
  CHECK(post("--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=iso-8859-1''caf%E9\r\n\r\n1\r\n--XyZ--")
            .body.find("not in UTF-8") != std::string::npos);
  // Content-Type without a boundary, with one too long (71), with an empty one; not multipart.
  const auto post_typed = [&](std::string_view content_type) {
    const std::string body = field_part("a", "1") + "--XyZ--";
    return ar::testing::exchange(f.server.port(),
                                 "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: " + std::string(content_type) +
                                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  CHECK(post_typed("multipart/form-data").status == 400);
  CHECK(post_typed("multipart/form-data; boundary=" + std::string(71, 'b')).status == 400);
  CHECK(post_typed("multipart/form-data; boundary=\"\"").status == 400);
  CHECK(post_typed("multipart/form-data; boundary=\"XyZ\"").status == 200);
  CHECK(post_typed("MULTIPART/FORM-DATA; BOUNDARY=XyZ").status == 200);
  CHECK(post_typed("application/x-www-form-urlencoded").status == 415);
  CHECK(f.scratch.uploads_left() == 0);
}

TEST_CASE("a multipart body cut short by the client is 400 and leaves no temporary file") {
  fixture f;
  const std::string body = field_part("a", "1") + file_part("f", "x.bin", pattern(200 * 1024)) + "--XyZ--\r\n";
  raw_client client(f.server.port());
  const std::string request = multipart_request("/upload", body);
  REQUIRE(client.send(request.substr(0, request.size() - 150 * 1024)));
  client.shutdown_send();
  const http_reply reply = client.read_response();
  CHECK(reply.status == 400);
  CHECK(f.scratch.uploads_left() == 0);
}

TEST_CASE("every multipart limit: 413 for sizes and counts, 400 for header blocks; no file left") {
  fixture f;
  const auto post = [&](std::string_view body) {
    return ar::testing::exchange(f.server.port(), multipart_request("/upload/limited", std::string(body) + "--XyZ--"));
  };
  CHECK(post(field_part("a", "1") + file_part("f", "x", std::string(1024, 'z'))).status == 200);
  CHECK(problem(post(field_part("a", "1") + field_part("b", "2") + field_part("c", "3") + field_part("d", "4")))
            .starts_with("413 {"));
  CHECK(post(file_part("f", "x", std::string(1025, 'z'))).body.find("larger than 1024 bytes") != std::string::npos);
  CHECK(post(file_part("f", "x", std::string(1025, 'z'))).status == 413);
  CHECK(post(field_part("a", std::string(17, 'v'))).status == 413);
  CHECK(post(field_part("a", std::string(16, 'v')) + field_part("b", std::string(9, 'v'))).status == 413);
  CHECK(post(field_part("a", std::string(16, 'v')) + field_part("b", std::string(8, 'v'))).status == 200);
  CHECK(post("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n1\r\n").status == 400);
  CHECK(post("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nA: " + std::string(250, 'x') + "\r\n\r\n1\r\n")
            .status == 400);
  CHECK(f.scratch.uploads_left() == 0);
}
