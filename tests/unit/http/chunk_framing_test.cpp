// The framing of a chunked body's pieces, shared by the server's streamed responses and the
// client's streamed requests.
#include <asyncrest/http/detail/chunk_framing.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <limits>

namespace ar = asyncrest;

TEST_CASE("a chunk's size line is its size in hexadecimal and CRLF") {
  CHECK(ar::detail::chunk_size_line(1).text() == "1\r\n");
  CHECK(ar::detail::chunk_size_line(10).text() == "a\r\n");
  CHECK(ar::detail::chunk_size_line(0x10000).text() == "10000\r\n");
  CHECK(ar::detail::chunk_size_line(0x1a2b3c).text() == "1a2b3c\r\n");
  CHECK(ar::detail::chunk_size_line(std::numeric_limits<std::size_t>::max()).text() == "ffffffffffffffff\r\n");
}

TEST_CASE("the last chunk has size zero and no trailer fields") {
  CHECK(ar::detail::last_chunk == "0\r\n\r\n");
  CHECK(ar::detail::chunk_end == "\r\n");
}
