// The access log's formats, and which request ids are kept.
#include <asyncrest/server/access_log.hpp>

#include <asio/ip/address.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace ar = asyncrest;

namespace {

ar::detail::access_log_entry sample_entry() {
  using namespace std::chrono;
  ar::detail::access_log_entry entry;
  entry.time = sys_days{year{2026} / 12 / 7} + hours{14} + minutes{41} + seconds{39} + milliseconds{123};
  entry.level = "info";
  entry.request_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  entry.method = "GET";
  entry.route = "/users/{id}";
  entry.path = "/users/42";
  entry.target = "/users/42?x=1";
  entry.status = 200;
  entry.duration_ms = 0.4125;
  entry.bytes_in = 0;
  entry.bytes_out = 17;
  entry.client = "127.0.0.1";
  entry.user_agent = "curl/7.88.1";
  entry.referer = "";
  entry.trace_id = "0af7651916cd43dd8448eb211c80319c";
  return entry;
}

}  // namespace

TEST_CASE("access log line: JSON") {
  std::string line;
  ar::detail::append_json_access_line(line, sample_entry());
  CHECK(
      line ==
      R"({"time":"2026-12-07T14:41:39.123Z","level":"info","request_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
      R"("method":"GET","route":"/users/{id}","path":"/users/42","status":200,"duration_ms":0.413,"bytes_in":0,)"
      R"("bytes_out":17,"client":"127.0.0.1","user_agent":"curl/7.88.1","trace_id":"0af7651916cd43dd8448eb211c80319c"})"
      "\n");

  auto bare = sample_entry();
  bare.request_id = bare.route = bare.user_agent = bare.trace_id = {};
  bare.bytes_out.reset();
  bare.duration_ms = 1234.5;
  bare.user_agent = "a\"b\\c\x01\xc3\xa9";
  line.clear();
  ar::detail::append_json_access_line(line, bare);
  CHECK(line == R"({"time":"2026-12-07T14:41:39.123Z","level":"info","method":"GET","path":"/users/42","status":200,)"
                R"("duration_ms":1234.500,"bytes_in":0,"client":"127.0.0.1","user_agent":"a\"b\\c\u0001\u00e9"})"
                "\n");
}

TEST_CASE("access log line: combined") {
  std::string line;
  auto entry = sample_entry();
  entry.user_agent = "odd \"agent\"\n";
  ar::detail::append_combined_access_line(line, entry);
  CHECK(line ==
        "127.0.0.1 - - [07/Dec/2026:14:41:39 +0000] \"GET /users/42?x=1 HTTP/1.1\" 200 17 \"-\" "
        "\"odd \\x22agent\\x22\\x0A\"\n");
  entry.bytes_out.reset();
  line.clear();
  ar::detail::append_combined_access_line(line, entry);
  CHECK(line.find("\" 200 - \"-\"") != std::string::npos);
}

TEST_CASE("request id: which incoming ids are well formed") {
  CHECK(ar::request_id::well_formed("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
  CHECK(ar::request_id::well_formed("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  CHECK(ar::request_id::well_formed("a+b/c=d_e.f:g@h"));
  CHECK(ar::request_id::well_formed(std::string(64, 'x')));
  CHECK_FALSE(ar::request_id::well_formed(""));
  CHECK_FALSE(ar::request_id::well_formed(std::string(65, 'x')));
  CHECK_FALSE(ar::request_id::well_formed("has space"));
  CHECK_FALSE(ar::request_id::well_formed("new\nline"));
  CHECK_FALSE(ar::request_id::well_formed("quote\""));
  CHECK_FALSE(ar::request_id::well_formed("caf\xc3\xa9"));

  const ar::request_id made = ar::request_id::generate();
  CHECK(made.value().size() == 32);
  CHECK(made.value().find_first_not_of("0123456789abcdef") == std::string_view::npos);
  CHECK(ar::request_id::generate().value() != made.value());
}

TEST_CASE("a client's address as text: each address its own, though made once per thread for the last one") {
  const auto text = [](const char* address) {
    return std::string(ar::detail::address_text(asio::ip::make_address(address)));
  };
  CHECK(text("127.0.0.1") == "127.0.0.1");
  CHECK(text("127.0.0.1") == "127.0.0.1");
  CHECK(text("10.1.2.3") == "10.1.2.3");
  CHECK(text("::1") == "::1");
  CHECK(text("::ffff:10.1.2.3") == "::ffff:10.1.2.3");  // the same last four bytes as the IPv4 one
  CHECK(text("10.1.2.3") == "10.1.2.3");
  // Only the scope differs (Asio names it by its interface when there is one).
  CHECK(text("fe80::1%1") == asio::ip::make_address("fe80::1%1").to_string());
  CHECK(text("fe80::1%2") == asio::ip::make_address("fe80::1%2").to_string());
}
