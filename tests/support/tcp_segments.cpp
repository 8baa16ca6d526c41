// The kernel's count of segments that carried data into a socket, from Linux's tcp_info: glibc's
// <netinet/tcp.h>, which Asio includes, has an older tcp_info without it, and the two headers
// cannot be included together.
#include <support/tcp_segments.hpp>

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

namespace asyncrest::testing {

std::uint32_t data_segments_received(int descriptor) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(descriptor, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
      length < offsetof(tcp_info, tcpi_data_segs_in) + sizeof info.tcpi_data_segs_in) {
    throw std::runtime_error("TCP_INFO without tcpi_data_segs_in (Linux 4.6 or later)");
  }
  return info.tcpi_data_segs_in;
}

}  // namespace asyncrest::testing
