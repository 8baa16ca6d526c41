// Microbenchmarks of the request path's parts: router lookup on the 200-route table, request
// parsing, JSON serialization of a typical object, response serialization, the CORS middleware's
// hooks and cookies.
//   micro_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncrest/core/json.hpp>
#include <asyncrest/http/detail/request_parser.hpp>
#include <asyncrest/server/cors.hpp>
#include <asyncrest/server/detail/multipart_parser.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/detail/route_tree.hpp>
#include <asyncrest/server/forms.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/settings.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;

namespace {

ar::method method_named(std::string_view name) {
  if (name == "GET") return ar::method::get;
  if (name == "POST") return ar::method::post;
  if (name == "PUT") return ar::method::put;
  if (name == "PATCH") return ar::method::patch;
  if (name == "DELETE") return ar::method::delete_;
  throw std::runtime_error("unknown method in the route table: " + std::string(name));
}

/// The route tree of github_routes.txt, with every parameter a string, as the benchmark server's
/// handlers (std::string_view parameters) make it.
struct github_table {
  std::deque<std::string> paths;  // the patterns view these
  ar::detail::route_tree tree;
  std::size_t size = 0;

  github_table() {
    std::ifstream file(GITHUB_ROUTES_FILE);
    std::string verb;
    std::string path;
    while (file >> verb) {
      if (verb.front() == '#') {
        std::getline(file, path);
        continue;
      }
      file >> path;
      const std::string& kept = paths.emplace_back(path);
      ar::detail::path_pattern pattern = ar::detail::parse_path_pattern(kept);
      if (pattern.error != ar::detail::pattern_error::none) throw std::runtime_error("bad route: " + path);
      for (std::size_t index = 0; index < pattern.segment_count; ++index) {
        if (pattern.segments[index].kind == ar::detail::segment_kind::parameter) {
          pattern.segments[index].type = ar::detail::parameter_type::string;
        }
      }
      tree.insert(pattern, method_named(verb), static_cast<std::uint16_t>(size++));
    }
  }
};

const github_table& table() {
  static const github_table instance;
  return instance;
}

void router_lookup_issue(benchmark::State& state) {
  ar::detail::workspace space;
  for (auto _ : state) {
    auto match = table().tree.match("/repos/asyncrest/asyncrest/issues/42", ar::method::get, space);
    benchmark::DoNotOptimize(match);
  }
  state.counters["routes"] = static_cast<double>(table().size);
}
BENCHMARK(router_lookup_issue);

// A mix of shallow, deep, literal-heavy and unmatched paths, looked up in turn.
void router_lookup_mixed(benchmark::State& state) {
  static constexpr std::array<std::string_view, 8> paths{
      "/user",
      "/users/octocat/repos",
      "/repos/asyncrest/asyncrest/pulls/7/reviews",
      "/repos/asyncrest/asyncrest/git/trees/4b825dc6",
      "/orgs/asyncrest/members/octocat",
      "/gists/aa5a315d/star",
      "/search/repositories",
      "/repos/asyncrest/asyncrest/no/such/route",
  };
  ar::detail::workspace space;
  std::size_t next = 0;
  for (auto _ : state) {
    auto match = table().tree.match(paths[next], ar::method::get, space);
    benchmark::DoNotOptimize(match);
    next = (next + 1) % paths.size();
  }
}
BENCHMARK(router_lookup_mixed);

// What wrk sends, and a typical API request with a few more fields.
constexpr std::string_view wrk_request = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
constexpr std::string_view api_request =
    "GET /repos/asyncrest/asyncrest/issues/42?state=open HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: application/vnd.github+json\r\n"
    "Authorization: Bearer 0123456789abcdef0123456789abcdef\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n\r\n";

void parse(benchmark::State& state, std::string_view text) {
  const ar::request_limits limits;
  ar::detail::workspace space;
  ar::detail::request_parser parser(limits);
  for (auto _ : state) {
    space.clear_request();
    parser.begin_request(space.raw_headers, space.body);
    std::size_t parsed = 0;
    for (;;) {
      std::size_t consumed = 0;
      const auto event = parser.execute(text.data(), text.data() + parsed, text.size() - parsed, consumed);
      parsed += consumed;
      if (event == ar::detail::request_parser::event::message_complete ||
          event == ar::detail::request_parser::event::bodiless_message_complete) {
        break;
      }
      if (event == ar::detail::request_parser::event::error) {
        state.SkipWithError("the request did not parse");
        return;
      }
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
void parse_wrk_request(benchmark::State& state) { parse(state, wrk_request); }
void parse_api_request(benchmark::State& state) { parse(state, api_request); }
BENCHMARK(parse_wrk_request);
BENCHMARK(parse_api_request);

// A typical API object: a user with nested and array members (about 250 bytes of JSON).
ar::json_value typical_object() {
  return {{"id", 1296269},
          {"login", "octocat"},
          {"name", "The Octocat"},
          {"site_admin", false},
          {"score", 0.875},
          {"email", nullptr},
          {"plan", {{"name", "pro"}, {"space", 976562499}, {"private_repos", 9999}}},
          {"tags", ar::json_value::array({"admin", "developer", "reviewer"})},
          {"bio", "Writes \"quoted\" text,\nwith escapes"}};
}

void json_value_build_and_write(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    const ar::json_value value = typical_object();
    ar::json_writer writer{out};
    value.write(writer);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(json_value_build_and_write);

void json_value_write_only(benchmark::State& state) {
  const ar::json_value value = typical_object();
  std::string out;
  for (auto _ : state) {
    out.clear();
    ar::json_writer writer{out};
    value.write(writer);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(json_value_write_only);

void json_writer_direct(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    ar::json_writer writer{out};
    writer.begin_object();
    writer.key("id");
    writer.value(1296269);
    writer.key("login");
    writer.value("octocat");
    writer.key("name");
    writer.value("The Octocat");
    writer.key("site_admin");
    writer.value(false);
    writer.key("score");
    writer.value(0.875);
    writer.key("email");
    writer.value(nullptr);
    writer.key("plan");
    writer.begin_object();
    writer.key("name");
    writer.value("pro");
    writer.key("space");
    writer.value(976562499);
    writer.key("private_repos");
    writer.value(9999);
    writer.end_object();
    writer.key("tags");
    writer.begin_array();
    writer.value("admin");
    writer.value("developer");
    writer.value("reviewer");
    writer.end_array();
    writer.key("bio");
    writer.value("Writes \"quoted\" text,\nwith escapes");
    writer.end_object();
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(json_writer_direct);

// The handler's work and the server's for /plaintext and /json: build the response, serialize it.
void response_text(benchmark::State& state) {
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    const ar::response answer = ar::text("Hello, World!");
    ar::detail::append_response_head(out, answer, {});
    out.append(answer.body);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(response_text);

void response_json(benchmark::State& state) {
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    const ar::response answer = ar::json({{"message", "Hello, World!"}});
    ar::detail::append_response_head(out, answer, {});
    out.append(answer.body);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(response_json);

// A response with two fields of its own, as a 201 with its Location.
void response_created(benchmark::State& state) {
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    ar::response answer = ar::raw_json(R"({"id":42})", ar::status::created);
    answer.headers.set("Location", "/users/42");
    ar::detail::append_response_head(out, answer, {});
    out.append(answer.body);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(response_created);

/// A request as the connection fills it, with `fields`, for the middleware's hooks.
struct prepared_request {
  ar::detail::workspace space;
  ar::request req;

  prepared_request(ar::method verb, std::string_view verb_name, std::vector<ar::header_view> fields) {
    space.headers = std::move(fields);
    ar::detail::request_access::reset(req, &space);
    ar::detail::request_access::fill(req, verb, verb_name, "/items/42", "/items/42", "/items/42", {}, {}, 1, 1, true);
  }
};

const ar::cors<>& credentialed_cors() {
  static const ar::cors<> middleware{{.allowed_origins = {"https://app.example.com", "https://admin.example.com"},
                                      .allowed_methods = {"GET", "PUT", "DELETE"},
                                      .allowed_headers = {"Authorization"},
                                      .exposed_headers = {"X-Request-Id"},
                                      .allow_credentials = true}};
  return middleware;
}

// The after hook on a typical response to an allowed origin: Allow-Origin, -Credentials,
// -Expose-Headers and Vary added to a text response (the response's own making included, as
// response_text measures it alone).
void cors_actual_request(benchmark::State& state) {
  prepared_request prepared(ar::method::get, "GET",
                            {{"Host", "api.example.com"}, {"Origin", "https://admin.example.com"}, {"Accept", "*/*"}});
  for (auto _ : state) {
    ar::response answer = ar::text("Hello, World!");
    credentialed_cors().after(prepared.req, answer);
    benchmark::DoNotOptimize(answer.headers.size());
  }
}
BENCHMARK(cors_actual_request);

// A request without Origin: the hook adds Vary alone.
void cors_same_origin_request(benchmark::State& state) {
  prepared_request prepared(ar::method::get, "GET", {{"Host", "api.example.com"}, {"Accept", "*/*"}});
  for (auto _ : state) {
    ar::response answer = ar::text("Hello, World!");
    credentialed_cors().after(prepared.req, answer);
    benchmark::DoNotOptimize(answer.headers.size());
  }
}
BENCHMARK(cors_same_origin_request);

// A preflight answered by the before hook.
void cors_preflight(benchmark::State& state) {
  prepared_request prepared(ar::method::options, "OPTIONS",
                            {{"Host", "api.example.com"},
                             {"Origin", "https://admin.example.com"},
                             {"Access-Control-Request-Method", "PUT"},
                             {"Access-Control-Request-Headers", "authorization,content-type"}});
  for (auto _ : state) {
    std::optional<ar::response> answer = credentialed_cors().before(prepared.req);
    benchmark::DoNotOptimize(answer->headers.size());
  }
}
BENCHMARK(cors_preflight);

// The last of five cookies, looked up in the Cookie field.
void cookie_lookup(benchmark::State& state) {
  prepared_request prepared(
      ar::method::get, "GET",
      {{"Host", "api.example.com"},
       {"Cookie", "_ga=GA1.2.1234567890.1234567890; theme=dark; lang=en; consent=yes; session=0123456789abcdef"}});
  for (auto _ : state) benchmark::DoNotOptimize(prepared.req.cookie("session"));
}
BENCHMARK(cookie_lookup);

// A checked Set-Cookie with the usual attributes, added to a response.
void set_cookie(benchmark::State& state) {
  for (auto _ : state) {
    ar::response answer = ar::text("Hello, World!");
    answer.set_cookie("session", "0123456789abcdef0123456789abcdef",
                      {.max_age = std::chrono::hours(8), .secure = true, .same_site = ar::same_site::strict});
    benchmark::DoNotOptimize(answer.headers.size());
  }
}
BENCHMARK(set_cookie);

// A 1 MiB file part of random bytes (a CR every 256 bytes or so), fed in 64 KiB reads as a
// streamed body arrives: what the multipart parser adds to an upload, per byte.
void multipart_parse_file(benchmark::State& state) {
  std::mt19937_64 random(7);
  std::string content(1024 * 1024, '\0');
  for (char& byte : content) byte = static_cast<char>(random());
  const std::string boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
  const std::string body = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n" +
                           "Content-Type: application/octet-stream\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
  for (auto _ : state) {
    ar::detail::multipart_parser parser(boundary, {});
    std::size_t received = 0;
    for (std::size_t at = 0; at < body.size(); at += 64 * 1024) {
      std::string_view input = std::string_view(body).substr(at, 64 * 1024);
      std::string_view data;
      for (;;) {
        const ar::detail::multipart_event event = parser.next(input, data);
        if (event == ar::detail::multipart_event::data) received += data.size();
        if (event == ar::detail::multipart_event::need_more || event == ar::detail::multipart_event::finished) break;
      }
    }
    benchmark::DoNotOptimize(received);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(multipart_parse_file);

// A sign-up form of six fields, some with escapes.
void urlencoded_form_parse(benchmark::State& state) {
  const std::string body =
      "name=Ada+Lovelace&email=ada%40example.com&password=correct+horse+battery+staple&topic=math&topic=poetry&"
      "agree=on";
  for (auto _ : state) benchmark::DoNotOptimize(ar::parse_form(body).size());
}
BENCHMARK(urlencoded_form_parse);

}  // namespace

BENCHMARK_MAIN();
