// permessage-deflate on any bytes. The first byte picks what is fuzzed:
//   even  the rest is a Sec-WebSocket-Extensions value: nothing throws, and whatever the server
//         answers, a client reads the same agreement from it;
//   odd   the rest is a compressed message in frames (each a length byte and that many bytes;
//         the window bits and takeover from the first byte): decompressing ends in a clean
//         result or error, never grows past the limit by more than a byte; and the same bytes
//         compressed here decompress to themselves.
#include <asyncrest/websocket/detail/permessage_deflate.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace detail = asyncrest::detail;

void check(bool property) {
  if (!property) std::abort();
}

void fuzz_negotiation(std::string_view header) {
  const asyncrest::deflate_settings enabled{.enabled = true};
  const auto acceptance = detail::accept_deflate_offer(header, enabled);
  (void)detail::check_deflate_answer(header, enabled);
  if (!acceptance) return;
  const auto checked = detail::check_deflate_answer(acceptance->answer, enabled);
  check(!checked.failed());
  check(checked.agreement == acceptance->agreement);
}

void fuzz_messages(std::uint8_t choice, std::string_view input) {
  constexpr std::size_t limit = 1 << 16;
  const detail::deflate_direction direction{8 + (choice >> 1) % 8, (choice & 0x10) != 0};
  detail::message_inflater inflater(direction, limit);
  std::string message;
  detail::inflate_error error = detail::inflate_error::none;
  std::string_view rest = input;
  while (error == detail::inflate_error::none && !rest.empty()) {
    const std::size_t length = std::min<std::size_t>(static_cast<unsigned char>(rest.front()), rest.size() - 1);
    const std::string_view frame = rest.substr(1, length);
    rest.remove_prefix(1 + length);
    const bool final_frame = rest.empty() || (static_cast<unsigned char>(rest.front()) & 0x80) != 0;
    error = inflater.decompress(frame, final_frame, message);
    check(message.size() <= limit + 1);
    if (final_frame) message.clear();
  }

  detail::message_deflater deflater({.enabled = true}, direction);
  detail::message_inflater reader(direction, limit + 1);
  for (int round = 0; round < 2; ++round) {
    std::string payload, back;
    deflater.compress(input, payload);
    check(reader.decompress(payload, true, back) == detail::inflate_error::none);
    check(back == input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    fuzz_negotiation(rest);
  } else {
    fuzz_messages(data[0], rest);
  }
  return 0;
}
