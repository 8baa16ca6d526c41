// Where the request parser records a header field: offsets, so that the buffer may move while the
// request arrives.
#pragma once

#include <cstdint>

namespace asyncrest::detail {

/// Offsets of one header field, relative to the start of its request in the read buffer; turned
/// into views once the whole request is in place and the buffer can no longer move.
struct raw_header {
  std::uint32_t name_offset = 0;
  std::uint32_t name_length = 0;
  std::uint32_t value_offset = 0;
  std::uint32_t value_length = 0;
};

}  // namespace asyncrest::detail
