// The server's connection fed from memory: any bytes, arriving in any pieces, must give a
// sequence of well-formed HTTP responses, one per request answered, that a strict parser reads
// back exactly; never a crash, a hang or undefined behaviour.
//
// Input: the first byte picks how the rest is cut into reads (0: one read, k: every k bytes).
#include "memory_connection.hpp"

#include <asyncrest/asyncrest.hpp>
#include <asyncrest/http/detail/response_parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace ar = asyncrest;

namespace {

auto make_routes() {
  return ar::routes(
      ar::get<"/">([](ar::request&) { return ar::text("root"); }),
      ar::get<"/users/{id:int}">([](ar::request&, std::int64_t id) {
        return ar::json({{"id", id}});
      }),
      ar::get<"/files/{rest:path}">([](ar::request&, std::string_view rest) { return ar::text(std::string(rest)); }),
      ar::put<"/items/{name}">([](ar::request& req, std::string_view name) {
        return ar::text(std::string(name) + ":" + std::string(req.body()));
      }),
      ar::post<"/echo">([](ar::request& req) { return ar::text(std::string(req.body())); }),
      ar::post<"/json">(
          [](ar::request& req) { return ar::text(std::string(req.json()["name"].get_string().value())); }));
}

using routes_type = decltype(make_routes());

void dispatch(const void* target, ar::request& req, ar::detail::answer& out) {
  static_cast<const routes_type*>(target)->respond(req, out);
}

ar::server_settings small_limits() {
  ar::server_settings settings;
  settings.limits.max_target_bytes = 512;
  settings.limits.max_header_bytes = 2048;
  settings.limits.max_header_count = 16;
  settings.limits.max_body_bytes = 4096;
  return settings;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const routes_type router = make_routes();
  static const ar::server_settings settings = small_limits();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::size_t> cuts;
  if (data[0] != 0) {
    for (std::size_t at = data[0]; at < input.size(); at += data[0]) cuts.push_back(at);
  }
  bool closed = false;
  std::vector<bool> heads;
  const std::string written =
      ar::detail::memory_connection::serve({&router, &dispatch}, settings, input, cuts, closed, &heads);

  // Read back: every response whole and well formed, and nothing left over but, on a connection
  // left waiting for a body, the 100 Continue that asked for it.
  std::string_view rest = written;
  constexpr std::string_view continue_interim = "HTTP/1.1 100 Continue\r\n\r\n";
  if (!closed && rest.ends_with(continue_interim)) rest.remove_suffix(continue_interim.size());
  std::size_t index = 0;
  ar::detail::response_parser parser;
  std::string body;
  while (!rest.empty()) {
    const bool head = index < heads.size() && heads[index];
    parser.begin(head, 1 << 20);
    body.clear();
    parser.set_body_sink(&body, 1 << 20);
    std::size_t consumed = 0;
    const auto event = parser.feed(rest.data(), rest.size(), consumed);
    if (event != ar::detail::response_parser::event::complete) std::abort();  // a broken or partial response
    rest.remove_prefix(consumed);
    ++index;
  }
  return 0;
}
