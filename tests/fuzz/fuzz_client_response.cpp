// The client's response parser on any bytes, in any pieces: it completes, asks for more or
// reports an error; never a crash, an overread or a body past its limit.
//
// Input: byte 0 bit 0 says HEAD, the rest of byte 0 how the bytes are cut (0: one piece).
#include <asyncrest/http/detail/response_parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool head = (data[0] & 1) != 0;
  const std::size_t stride = data[0] >> 1;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::size_t body_limit = 4096;

  asyncrest::detail::response_parser parser;
  std::string body;
  // Pipelined responses, one after the other, while they parse.
  for (int message = 0; message < 8 && !rest.empty(); ++message) {
    parser.begin(head, 2048);
    body.clear();
    parser.set_body_sink(&body, body_limit);
    auto event = asyncrest::detail::response_parser::event::need_more;
    while (!rest.empty() && event == asyncrest::detail::response_parser::event::need_more) {
      const std::size_t piece = stride == 0 ? rest.size() : std::min(stride, rest.size());
      std::size_t consumed = 0;
      event = parser.feed(rest.data(), piece, consumed);
      if (consumed > piece) std::abort();
      rest.remove_prefix(consumed);
      if (event == asyncrest::detail::response_parser::event::need_more && consumed < piece) std::abort();
    }
    if (event == asyncrest::detail::response_parser::event::need_more) event = parser.finish();
    if (body.size() > body_limit) std::abort();
    if (event != asyncrest::detail::response_parser::event::complete) break;
  }
  return 0;
}
