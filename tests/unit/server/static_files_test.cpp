// The pieces of static files that need no socket: the path read and refused, the content-type
// table, Accept-Encoding's choice of a precompressed sibling, and opening beneath a root.
// (What is sent is tested over sockets: integration/server/static_files_test.cpp.)
#include <asyncrest/server/static_files.hpp>

#include <asyncrest/server/detail/media_types.hpp>
#include <asyncrest/server/detail/open_beneath.hpp>
#include <asyncrest/server/detail/precompressed.hpp>
#include <asyncrest/server/detail/static_path.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace {

using namespace asyncrest::detail;
using verdict = static_path::verdict;

verdict judge(std::string_view raw, bool allow_hidden = false) { return resolve_static_path(raw, allow_hidden).result; }

std::string relative(std::string_view raw) { return resolve_static_path(raw, false).relative; }

}  // namespace

TEST_CASE("a static path is decoded once, segment by segment") {
  CHECK(judge("") == verdict::folder);
  CHECK(judge("/") == verdict::folder);
  CHECK(relative("/") == "");
  CHECK(judge("/css/site.css") == verdict::file);
  CHECK(relative("/css/site.css") == "css/site.css");
  CHECK(judge("/docs/") == verdict::folder);
  CHECK(relative("/docs/") == "docs");
  CHECK(relative("/a%20b/%C3%A9t%C3%A9.txt") == "a b/\xC3\xA9t\xC3\xA9.txt");
  // Double encoding is decoded once: "%252e" is the name "%2e", not a dot.
  CHECK(judge("/%252e%252e/x") == verdict::file);
  CHECK(relative("/%252e%252e/x") == "%2e%2e/x");
  // A ';' is part of the name, not a parameter to strip.
  CHECK(relative("/a.txt;x=1") == "a.txt;x=1");
}

TEST_CASE("a path that could leave the root is refused") {
  for (const char* raw : {"/..",
                          "/../etc/passwd",
                          "/a/../../b",
                          "/%2e%2e/x",
                          "/%2E./x",
                          "/.%2e/x",
                          "/./x",
                          "/%2e/x",
                          "/a%2fb",
                          "/a%2F..%2Fb",
                          "/a%5cb",
                          "/a%5C..",
                          "/a\\..\\b",
                          "/a%00b",
                          "/a%0ab",
                          "/a%7fb",
                          "/%c0%ae%c0%ae/x",
                          "/%e0%80%ae",
                          "/%ed%a0%80",
                          "/%ff",
                          "//etc/passwd",
                          "/a//b",
                          "/a//",
                          "/a%",
                          "/a%zz",
                          "/%c0%af"}) {
    CAPTURE(raw);
    CHECK(judge(raw, true) == verdict::bad_request);
    CHECK(resolve_static_path(raw, true).relative.empty());
    CHECK_FALSE(resolve_static_path(raw, true).reason.empty());
  }
}

TEST_CASE("hidden names are not found unless allowed") {
  CHECK(judge("/.env") == verdict::not_found);
  CHECK(judge("/.git/config") == verdict::not_found);
  CHECK(judge("/a/.htpasswd") == verdict::not_found);
  CHECK(judge("/%2egit/config") == verdict::not_found);
  CHECK(judge("/.well-known/security.txt", true) == verdict::file);
  CHECK(judge("/a.b/c") == verdict::file);
}

TEST_CASE("UTF-8 is checked strictly") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAE"));          // overlong '.'
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAE"));      // overlong '.', three bytes
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xC3"));              // cut short
  CHECK_FALSE(is_valid_utf8("\x80"));
}

TEST_CASE("content types come from the extension, a mount's own table first") {
  CHECK(media_type_for("index.html") == "text/html; charset=utf-8");
  CHECK(media_type_for("app.min.JS") == "text/javascript; charset=utf-8");
  CHECK(media_type_for("a/b/logo.svg") == "image/svg+xml");
  CHECK(media_type_for("font.woff2") == "font/woff2");
  CHECK(media_type_for("module.wasm") == "application/wasm");
  CHECK(media_type_for("README") == "application/octet-stream");
  CHECK(media_type_for(".profile") == "application/octet-stream");
  CHECK(media_type_for("dir.d/file") == "application/octet-stream");
  CHECK(media_type_for("x.unknown") == "application/octet-stream");
  const std::vector<std::pair<std::string, std::string>> own{{".js", "application/x-mine"}, {"dat", "text/x-data"}};
  CHECK(media_type_for("a.js", own) == "application/x-mine");
  CHECK(media_type_for("a.DAT", own) == "text/x-data");
  CHECK(media_type_for("a.css", own) == "text/css; charset=utf-8");
}

TEST_CASE("Accept-Encoding: q-values, q=0 and the wildcard") {
  // The first sibling tried for a field; -1 for none.
  const auto first = [](std::string_view field) {
    const int index = codings_to_try(field)[0];
    return index < 0 ? std::string_view("none") : precompressed_codings[static_cast<std::size_t>(index)].name;
  };
  CHECK(first("gzip, br") == "br");
  CHECK(first("gzip;q=0.5, br;q=0.25") == "gzip");
  CHECK(first("GZIP") == "gzip");
  CHECK(first("br;q=0") == "none");
  CHECK(first("*") == "br");
  CHECK(first("*;q=0.3, br;q=0") == "gzip");
  CHECK(first("identity") == "none");
  CHECK(first("") == "none");
  CHECK(first("br;q=2") == "none");  // malformed: not an acceptance
  CHECK(first("br;q=0.5x") == "none");
  CHECK(first("br ; q=0.800, gzip;q=0.7") == "br");

  const auto order = codings_to_try("gzip, br");
  CHECK(precompressed_codings[order[0]].name == "br");  // a tie goes to the smaller files
  CHECK(precompressed_codings[order[1]].name == "gzip");
  CHECK(order[2] == -1);
  const auto preferring_gzip = codings_to_try("gzip;q=1, br;q=0.5");
  CHECK(precompressed_codings[preferring_gzip[0]].name == "gzip");
  CHECK(codings_to_try("br;q=0, gzip;q=0")[0] == -1);
  CHECK(codings_to_try("identity")[0] == -1);
}

TEST_CASE("opening beneath a root never leaves it") {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("asyncrest-beneath-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "root" / "inner");
  std::ofstream(base / "outside.txt") << "secret";
  std::ofstream(base / "root" / "inner" / "file.txt") << "public";
  fs::create_symlink(base / "outside.txt", base / "root" / "escape.txt");
  fs::create_symlink("inner/file.txt", base / "root" / "inside.txt");
  fs::create_directory_symlink(base, base / "root" / "up");

  const file_descriptor root(::open((base / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(root);
  CHECK(open_beneath(root.get(), "inner/file.txt", false));
  CHECK(open_beneath(root.get(), "", false));
  CHECK_FALSE(open_beneath(root.get(), "escape.txt", false));
  CHECK_FALSE(open_beneath(root.get(), "up/outside.txt", false));
  CHECK(open_beneath(root.get(), "escape.txt", true));  // when allowed
  // openat2 follows a link that stays beneath the root; the walk follows none.
  CHECK(open_beneath(root.get(), "inside.txt", false));
  CHECK(open_beneath_by_walk(root.get(), "inner/file.txt"));
  CHECK_FALSE(open_beneath_by_walk(root.get(), "inside.txt"));
  CHECK_FALSE(open_beneath_by_walk(root.get(), "escape.txt"));
  CHECK_FALSE(open_beneath_by_walk(root.get(), "up/outside.txt"));
  fs::remove_all(base);
}

TEST_CASE("a mount refuses a root that is no folder, and a bad index name") {
  CHECK_THROWS_AS((void)asyncrest::static_files<"/static">("/nonexistent-asyncrest-folder"), std::system_error);
  CHECK_THROWS_AS(
      (void)asyncrest::static_files<"/static">(std::filesystem::temp_directory_path(), {.index_file = "../x"}),
      std::invalid_argument);
}
