// A client's address as text, for the access log's lines and the spans' attributes: made once
// per thread for each new address, since a connection's requests all come from one (and
// glibc formats an IPv4 address with sprintf, a cost paid per request otherwise).
#pragma once

#include <asio/ip/address.hpp>

#include <array>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// `address` in its usual text form; the view is valid on this thread until the next call.
inline std::string_view address_text(const asio::ip::address& address) {
  struct last_address {
    bool valid = false;
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};
    unsigned long scope = 0;
    std::string text;
  };
  thread_local last_address last;
  std::array<unsigned char, 16> bytes{};
  unsigned long scope = 0;
  const bool v6 = address.is_v6();
  if (v6) {
    const asio::ip::address_v6 six = address.to_v6();
    bytes = six.to_bytes();
    scope = six.scope_id();
  } else {
    const asio::ip::address_v4::bytes_type four = address.to_v4().to_bytes();
    for (std::size_t index = 0; index < four.size(); ++index) bytes[index] = four[index];
  }
  if (!last.valid || last.v6 != v6 || last.bytes != bytes || last.scope != scope) {
    last.text = address.to_string();
    last.valid = true;
    last.v6 = v6;
    last.bytes = bytes;
    last.scope = scope;
  }
  return last.text;
}

}  // namespace asyncrest::detail
