// Differential: for the same bytes, each request the server accepts (method, target, header
// fields, body) must be the message llhttp's own callbacks report, in the same order; a
// request the server does not accept must have been refused, never silently read another way.
#include "memory_connection.hpp"

#include <asyncrest/asyncrest.hpp>

#include <llhttp.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace ar = asyncrest;

namespace {

struct message {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
};

void answer_ok(const void*, ar::request&, ar::detail::answer& out) { out.value = ar::text("ok"); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// llhttp on its own, with the server's settings: every leniency off, callbacks gathering each
/// message; trailer fields (after the header block) are not the message's fields.
struct reference {
  std::vector<message> messages;
  message current;
  bool in_value = false;
  bool head_done = false;

  static reference& of(llhttp_t* parser) { return *static_cast<reference*>(parser->data); }

  std::vector<message> parse(std::string_view bytes) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = [](llhttp_t* parser) {
      of(parser).current = {};
      of(parser).head_done = false;
      of(parser).in_value = false;
      return 0;
    };
    settings.on_url = [](llhttp_t* parser, const char* at, std::size_t length) {
      of(parser).current.target.append(at, length);
      return 0;
    };
    settings.on_header_field = [](llhttp_t* parser, const char* at, std::size_t length) {
      auto& self = of(parser);
      if (self.head_done) return 0;
      if (self.in_value || self.current.fields.empty()) self.current.fields.emplace_back();
      self.in_value = false;
      self.current.fields.back().first.append(at, length);
      return 0;
    };
    settings.on_header_value = [](llhttp_t* parser, const char* at, std::size_t length) {
      auto& self = of(parser);
      if (self.head_done) return 0;
      self.in_value = true;
      self.current.fields.back().second.append(at, length);
      return 0;
    };
    settings.on_headers_complete = [](llhttp_t* parser) {
      auto& self = of(parser);
      self.head_done = true;
      self.current.method = llhttp_method_name(static_cast<llhttp_method_t>(parser->method));
      return 0;
    };
    settings.on_body = [](llhttp_t* parser, const char* at, std::size_t length) {
      of(parser).current.body.append(at, length);
      return 0;
    };
    settings.on_message_complete = [](llhttp_t* parser) {
      of(parser).messages.push_back(std::move(of(parser).current));
      return 0;
    };
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = this;
    llhttp_set_lenient_headers(&parser, 0);
    llhttp_set_lenient_chunked_length(&parser, 0);
    llhttp_set_lenient_keep_alive(&parser, 0);
    llhttp_set_lenient_transfer_encoding(&parser, 0);
    const char* position = bytes.data();
    const char* const end = bytes.data() + bytes.size();
    while (position < end) {
      const llhttp_errno_t result = llhttp_execute(&parser, position, static_cast<std::size_t>(end - position));
      if (result != HPE_PAUSED_UPGRADE) break;  // the server takes Upgrade requests as plain HTTP, and so here
      position = llhttp_get_error_pos(&parser);
      llhttp_resume_after_upgrade(&parser);
    }
    return std::move(messages);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::size_t> cuts;
  if (data[0] != 0) {
    for (std::size_t at = data[0]; at < input.size(); at += data[0]) cuts.push_back(at);
  }
  static const ar::server_settings settings;
  std::vector<message> served;  // what the connection accepted and handed on
  const auto record = [&served](const ar::request& req) {
    message seen{std::string(req.method_name()), std::string(req.target()), {}, std::string(req.body())};
    for (const auto& [name, value] : req.headers()) seen.fields.emplace_back(name, value);
    served.push_back(std::move(seen));
  };
  bool closed = false;
  (void)ar::detail::memory_connection::serve({nullptr, &answer_ok}, settings, input, cuts, closed, nullptr, record);

  const std::vector<message> expected = reference{}.parse(input);
  if (served.size() > expected.size()) std::abort();  // the server accepted what llhttp did not
  for (std::size_t index = 0; index < served.size(); ++index) {
    const message& got = served[index];
    const message& want = expected[index];
    if (got.method != want.method || got.target != want.target || got.body != want.body) std::abort();
    if (got.fields.size() != want.fields.size()) std::abort();
    for (std::size_t field = 0; field < got.fields.size(); ++field) {
      if (got.fields[field].first != want.fields[field].first) std::abort();
      if (got.fields[field].second != trim(want.fields[field].second)) std::abort();
    }
  }
  return 0;
}
